package cli

import "github.com/tracker-ml/tracker/internal/demo"

// demoFadeWeek keeps TestDemoFindsThePlantedTruth in cli_test.go compiling
// now that the demo's world lives in internal/demo. When that test moves
// into this file it can use demo.FadeWeek and this alias can go.
const demoFadeWeek = demo.FadeWeek
