package cli

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
)

// nanModel writes the Pima model with one NaN in its first kernel.
func nanModel(t testing.TB, dir string) string {
	t.Helper()
	files, err := keras.Resolve(fixtures.Keras(t, "pima-json-h5-keras224/022.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := keras.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	layers := slices.Clone(orig.Layers())
	w := slices.Clone(layers[0].Weights)
	w[0].Data = slices.Clone(w[0].Data)
	w[0].Data[5] = float32(math.NaN())
	layers[0].Weights = w
	snap, err := snapshot.New(orig.Inputs(), layers, orig.Meta())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := keras.Export(snap, dir, "nan"); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "nan")
}

func writeFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBadInputIsRefusedAndLeavesTheStoreUntouched feeds ingest every kind
// of bad input: each must exit non-zero with a message naming the file and
// the problem and saying what to do, and leave the store byte-identical.
func TestBadInputIsRefusedAndLeavesTheStoreUntouched(t *testing.T) {
	fx := fixtures.Dir(t)
	k := func(rel string) string { return filepath.Join(fx, "keras", filepath.FromSlash(rel)) }
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	good, _ := seedLayout(t, tmp)
	mustRun(t, db, "ingest", good)

	truncated := filepath.Join(tmp, "trunc", "model.h5")
	full, err := os.ReadFile(k("sonar-full-h5-keras231/my_model.h5"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, truncated, string(full[:len(full)/2]))

	notKeras := writeFile(t, filepath.Join(tmp, "notkeras", "m.json"), `{"foo": 1}`)
	copyFile(t, k("pima-json-h5-keras224/022.h5"), filepath.Join(tmp, "notkeras", "m.h5"))

	// A structure naming a layer the weights file does not have.
	missing := strings.Replace(mustRead(t, k("pima-json-h5-keras224/022.json")), `"dense_3"`, `"dense_9"`, 1)
	writeFile(t, filepath.Join(tmp, "missing", "m.json"), missing)
	copyFile(t, k("pima-json-h5-keras224/022.h5"), filepath.Join(tmp, "missing", "m.h5"))

	// One more unit in the first layer than the weights have.
	shape := strings.Replace(mustRead(t, k("pima-json-h5-keras224/022.json")), `"units": 12`, `"units": 13`, 1)
	writeFile(t, filepath.Join(tmp, "shape", "m.json"), shape)
	copyFile(t, k("pima-json-h5-keras224/022.h5"), filepath.Join(tmp, "shape", "m.h5"))

	// A bias-free first layer, so the weights file has one tensor too many.
	count := strings.Replace(mustRead(t, k("pima-json-h5-keras224/022.json")), `"use_bias": true`, `"use_bias": false`, 1)
	writeFile(t, filepath.Join(tmp, "count", "m.json"), count)
	copyFile(t, k("pima-json-h5-keras224/022.h5"), filepath.Join(tmp, "count", "m.h5"))

	nan := nanModel(t, filepath.Join(tmp, "nan"))
	if err := os.MkdirAll(filepath.Join(tmp, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // substrings of stderr
	}{
		{"a missing file", []string{"--week", "2019-02-04", filepath.Join(tmp, "nope", "model")},
			exitError, []string{filepath.Join(tmp, "nope", "model"), "does not exist", "model_structure.json"}},
		{"a directory with no model", []string{"--week", "2019-02-04", filepath.Join(tmp, "empty")},
			exitError, []string{filepath.Join(tmp, "empty"), "holds no model", "NAME_structure.json"}},
		{"a file that is not HDF5", []string{"--week", "2019-02-04", writeFile(t, filepath.Join(tmp, "text", "m.h5"), "hello")},
			exitError, []string{"m.h5", "not an HDF5 file", "model.save_weights"}},
		{"a truncated HDF5 file", []string{"--week", "2019-02-04", truncated},
			exitError, []string{truncated, "truncated"}},
		{"JSON that is not a Keras config", []string{"--week", "2019-02-04", notKeras},
			exitError, []string{notKeras, "not a Keras model config"}},
		{"a structure naming a layer the weights lack", []string{"--week", "2019-02-04", filepath.Join(tmp, "missing", "m.json")},
			exitError, []string{"missing/m.json", "missing/m.h5", `no group for layer "dense_9"`, "same save"}},
		{"a structure whose shapes differ from the weights", []string{"--week", "2019-02-04", filepath.Join(tmp, "shape", "m.json")},
			exitError, []string{"shape/m.json", `layer "dense_1"`, "[8 12]", "[8 13]"}},
		{"a structure whose tensor count differs from the weights", []string{"--week", "2019-02-04", filepath.Join(tmp, "count", "m.json")},
			exitError, []string{"count/m.json", `layer "dense_1"`, "2 weight tensors", "needs 1"}},
		{"an unsupported LSTM layer", []string{"--week", "2019-02-04", k("textgen-lstm-full-h5-keras224/068_weights-improvement-20-1.9326.hdf5")},
			exitError, []string{"068_weights-improvement-20-1.9326.hdf5", "LSTM", `"lstm_1"`, "supported"}},
		{"NaN weights", []string{"--week", "2019-02-04", nan},
			exitError, []string{"nan_weights.h5", "NaN", `"dense_1"`, "--allow-nonfinite"}},
		{"a weights-only file with no structure", []string{"--week", "2019-02-04", k("checkers-weights-only-keras216/checkers_model_tanh_adadelta.h5")},
			exitError, []string{"checkers_model_tanh_adadelta.h5", "no architecture", "--structure"}},
		{"a path with no week in it", []string{filepath.Join(tmp, "missing", "m.json")},
			exitUsage, []string{"missing/m.json", "--week"}},
		{"a week that does not parse", []string{"--week", "14/01/2019", good},
			exitUsage, []string{"14/01/2019", "YYYY-MM-DD"}},
		{"a different model for a week that has one", []string{"--week", "2019-01-14", k("sonar-full-h5-keras231/my_model.h5")},
			exitError, []string{"2019-01-14", "--replace"}},
		{"a batch whose second model is bad", []string{"--week", "2019-02-04", k("sonar-full-h5-keras231/my_model.h5"), filepath.Join(tmp, "shape", "m.json")},
			exitError, []string{"shape/m.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fileSum(t, db)
			r := tr(t, db, append([]string{"ingest"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, tc.code, r.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, r.err)
				}
			}
			if r.out != "" {
				t.Errorf("stdout is not empty: %q", r.out)
			}
			if fileSum(t, db) != before {
				t.Fatal("the store changed")
			}
		})
	}

	t.Run("NaN weights are stored with --allow-nonfinite", func(t *testing.T) {
		mustRun(t, db, "ingest", "--week", "2019-02-04", "--allow-nonfinite", nan)
	})
}

func TestUnreadableFileIsRefused(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("skipped: root reads files whatever their permissions")
	}
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	good, _ := seedLayout(t, tmp)
	if err := os.Chmod(good+"_weights.h5", 0); err != nil {
		t.Fatal(err)
	}
	r := tr(t, db, "ingest", good)
	if r.code != exitError || !strings.Contains(r.err, "permission denied") || !strings.Contains(r.err, "0_10.1_weights.h5") {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatal("a refused ingest created the store")
	}
}

func mustRead(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
