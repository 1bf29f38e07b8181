// Command tracker records every weekly version of a Keras model in one
// embedded database and measures which input features each version uses.
package main

import (
	"os"

	"github.com/tracker-ml/tracker/cmd/tracker/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.System()))
}
