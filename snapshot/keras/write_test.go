package keras

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/snapshot"
)

func TestExportRoundTripsBitExactly(t *testing.T) {
	for _, rel := range []string{
		"pima-json-h5-keras224/022.json",
		"breast-cancer-dropout-json-h5-tfkeras27/classificador_breast.json",
		"churn-full-h5-keras3113/model.h5",
		"diabetes4-keras-zip-keras35-batchnorm/model.keras",
	} {
		t.Run(rel, func(t *testing.T) {
			orig := loadFixture(t, rel)
			dir := t.TempDir()
			s, w, err := Export(orig, dir, "model")
			if err != nil {
				t.Fatal(err)
			}
			back, err := Load(Files{Structure: s, Weights: w})
			if err != nil {
				t.Fatal(err)
			}
			if back.Hash() != orig.Hash() {
				t.Fatalf("hash after export %s, before %s", back.ShortHash(), orig.ShortHash())
			}
			h5pyAgrees(t, w, orig.Layers()[0].Name, orig.Layers()[0].Weights[0].Data)
		})
	}
}

// h5pyAgrees reads the exported kernel of the first layer with h5py, an
// independent reader, and compares every value bit for bit.
func h5pyAgrees(t *testing.T, path, layer string, want []float32) {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import h5py").Run(); err != nil {
		t.Log("h5py check skipped: Debian's python3-h5py is not installed")
		return
	}
	script := `
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
g = f[sys.argv[2]]
wn = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["weight_names"]]
print(json.dumps({"layer_names": names, "kernel": [float(x) for x in g[wn[0]][()].ravel()], "dtype": str(f.attrs["layer_names"].dtype)}))
`
	out, err := exec.Command(py, "-c", script, path, layer).Output()
	if err != nil {
		t.Fatalf("h5py could not read %s: %v", path, err)
	}
	var got struct {
		LayerNames []string  `json:"layer_names"`
		Kernel     []float64 `json:"kernel"`
		Dtype      string    `json:"dtype"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Dtype[:2] != "|S" {
		t.Errorf("layer_names dtype %s, want fixed-length bytes as Keras 2.2.4 writes", got.Dtype)
	}
	if len(got.Kernel) != len(want) {
		t.Fatalf("h5py read %d kernel values, want %d", len(got.Kernel), len(want))
	}
	for i := range want {
		if got.Kernel[i] != float64(want[i]) {
			t.Fatalf("kernel[%d]: h5py %v, tracker %v", i, got.Kernel[i], want[i])
		}
	}
}

func TestExportWritesFilesNamedForTheModel(t *testing.T) {
	snap := loadFixture(t, "pima-json-h5-keras224/022.json")
	dir := t.TempDir()
	if _, _, err := Export(snap, dir, "churn"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"churn_structure.json", "churn_weights.h5"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Error(err)
		}
	}
}

// loadFixture resolves and loads a shared Keras fixture, or skips the test
// when the fixtures are absent.
func loadFixture(t testing.TB, rel string) *snapshot.Snapshot {
	t.Helper()
	files, err := Resolve(fixtures.Keras(t, rel), "")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Load(files)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
