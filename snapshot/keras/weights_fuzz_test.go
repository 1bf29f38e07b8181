package keras

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadWeights feeds Load mutations of a small Keras 2 weights file for
// testdata/hostile/model.json: it must load the model or refuse the file,
// never crash or hang. A crash inside libhdf5 kills the fuzzing process
// rather than failing the test; the fuzzer still saves the input under
// testdata/fuzz. Inputs are capped at 64 KiB, four times the seed. The
// coordinator's exec count lags far behind (libhdf5's C code brings no
// coverage, so workers rarely report back): a worker runs about 2,500
// inputs a second.
func FuzzLoadWeights(f *testing.F) {
	for _, name := range []string{"good.h5", "kernel_bigendian.h5", "kernel_huge_chunked.h5"} {
		b, err := os.ReadFile(filepath.Join(hostileDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	structure, err := filepath.Abs(filepath.Join(hostileDir, "model.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		path := filepath.Join(t.TempDir(), "m.h5")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		snap, err := Load(Files{Structure: structure, Weights: path})
		if err != nil {
			return
		}
		if snap.Inputs() != 6 || snap.Params() != 33 {
			t.Fatalf("loaded a model with %d inputs and %d weights, want 6 and 33", snap.Inputs(), snap.Params())
		}
	})
}
