package nn_test

import (
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/internal/npy"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
)

const python = "/usr/bin/python3"

func needNumpy(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import numpy, h5py").Run(); err != nil {
		t.Skip("skipped: needs Debian's python3-numpy and python3-h5py for the independent reference")
	}
}

func loadFixture(t *testing.T, rel string) *snapshot.Snapshot {
	t.Helper()
	files, err := keras.Resolve(fixtures.Keras(t, rel), "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := keras.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeNpy writes a 2-D float32 array for the numpy reference.
func writeNpy(t *testing.T, path string, data []float32, rows, cols int) {
	t.Helper()
	if err := npy.Write(path, data, rows, cols); err != nil {
		t.Fatal(err)
	}
}

// readNpy reads the numpy reference's answer.
func readNpy(t *testing.T, path string) []float32 {
	t.Helper()
	y, err := npy.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func randomRows(seed uint64, rows, cols int, scale float64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

// TestForwardAgreesWithNumpy runs real fixtures through the engine and
// through an independent numpy forward pass over the same weights (exported
// in the Keras 2 layout and read back with h5py).
func TestForwardAgreesWithNumpy(t *testing.T) {
	needNumpy(t)
	for _, tc := range []struct {
		rel   string
		scale float64
	}{
		{"pima-json-h5-keras224/022.json", 30},
		{"breast-cancer-dropout-json-h5-tfkeras27/classificador_breast.json", 5},
		{"sonar-full-h5-keras231/my_model.h5", 0.3},
		{"churn-full-h5-keras3113/model.h5", 1},
		{"diabetes4-keras-zip-keras35-batchnorm/model.keras", 1},
		{"pima-keras-zip-keras3132/model.keras", 30},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			snap := loadFixture(t, tc.rel)
			net, err := nn.New(snap)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			s, w, err := keras.Export(snap, dir, "m")
			if err != nil {
				t.Fatal(err)
			}
			const rows = 257
			x := randomRows(7, rows, snap.Inputs(), tc.scale)
			writeNpy(t, filepath.Join(dir, "x.npy"), x, rows, snap.Inputs())
			cmd := exec.Command(python, "testdata/forward.py", s, w, filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("numpy reference: %v\n%s", err, out)
			}
			want := readNpy(t, filepath.Join(dir, "y.npy"))
			got := net.Forward(x, rows)
			if len(got) != len(want) {
				t.Fatalf("%d outputs, numpy %d", len(got), len(want))
			}
			for i := range got {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-5 {
					t.Fatalf("output %d (row %d): tracker %v, numpy %v, |diff| %.2g > 1e-5", i, i/net.Outputs(), got[i], want[i], d)
				}
			}
		})
	}
}
