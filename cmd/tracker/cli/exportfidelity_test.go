package cli

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
)

// TestExportModelWritesWhatWasRead ingests every Keras fixture, writes the
// stored version back with export-model and checks that the files say
// what was read: ingesting them again gives the same hash, and the
// structure JSON is the one the loader's own snapshot exports, so the
// functional or sequential form and every layer setting (BatchNormalization
// momentum among them) survive the store.
func TestExportModelWritesWhatWasRead(t *testing.T) {
	fx := fixtures.Dir(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "snapshot", "keras", "testdata", "fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index map[string]json.RawMessage
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(index))
	// The fixtures are all Sequential with Keras's default momentum, so one
	// more input is the batch-norm fixture made functional with momentum
	// 0.9: the settings the store once dropped.
	paths := map[string]string{"functional-momentum-0.9": functionalMomentumModel(t, fx)}
	for _, rel := range names {
		paths[rel] = filepath.Join(fx, "keras", filepath.FromSlash(rel))
	}
	tested := 0
	for _, rel := range slices.Sorted(maps.Keys(paths)) {
		path := paths[rel]
		files, err := keras.Resolve(path, "")
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		snap, err := keras.Load(files)
		if errors.Is(err, keras.ErrNoStructure) {
			continue // weights-only saves: covered with --structure elsewhere
		}
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		want, err := keras.StructureJSON(snap)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		t.Run(strings.ReplaceAll(rel, "/", "_"), func(t *testing.T) {
			tmp := t.TempDir()
			db := filepath.Join(tmp, "tracker.db")
			first := mustRun(t, db, "ingest", "--week", "2019-01-14", path)
			out := filepath.Join(tmp, "out")
			mustRun(t, db, "export-model", "2019-01-14", "--out", out)
			got, err := os.ReadFile(filepath.Join(out, "default_structure.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, got, want) {
				t.Errorf("export-model wrote\n%s\nwant what the loaded model exports\n%s", got, want)
			}
			again := mustRun(t, db, "ingest", "--week", "2019-01-21", filepath.Join(out, "default"))
			if h1, h2 := strings.Fields(first)[3], strings.Fields(again)[3]; h1 != h2 {
				t.Errorf("hash %s before export, %s after", h1, h2)
			}
		})
		tested++
	}
	if tested == 0 {
		t.Fatal("no fixture with a structure was found")
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// functionalMomentumModel writes the batch-norm fixture as a functional
// model whose BatchNormalization momentum is 0.9, and returns its prefix.
func functionalMomentumModel(t *testing.T, fx string) string {
	t.Helper()
	files, err := keras.Resolve(filepath.Join(fx, "keras", "diabetes4-keras-zip-keras35-batchnorm", "model.keras"), "")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := keras.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	layers := slices.Clone(orig.Layers())
	bn := 0
	for i := range layers {
		layers[i].Spec.Inbound = "input_1"
		if i > 0 {
			layers[i].Spec.Inbound = layers[i-1].Spec.Name
		}
		if layers[i].Spec.Class == snapshot.ClassBatchNormalization {
			layers[i].Spec.Momentum = 0.9
			bn++
		}
	}
	if bn == 0 {
		t.Fatal("the batch-norm fixture has no BatchNormalization layer")
	}
	snap, err := snapshot.New(orig.Inputs(), layers, orig.Meta())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	structure, _, err := keras.Export(snap, dir, "functional")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(structure)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"momentum": 0.9`) && !strings.Contains(string(b), `"momentum":0.9`) {
		t.Fatalf("the exported structure does not keep momentum 0.9:\n%s", b)
	}
	return filepath.Join(dir, "functional")
}
