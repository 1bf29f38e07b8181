package keras

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/snapshot"
)

// expected is what gen_fixtures.py read from each fixture with h5py.
type expected struct {
	KerasVersion string `json:"keras_version"`
	Layers       []struct {
		Name    string `json:"name"`
		Tensors []struct {
			Role   string    `json:"role"`
			Shape  []int     `json:"shape"`
			Head   []float64 `json:"head"`
			Tail   float64   `json:"tail"`
			SumAbs float64   `json:"sum_abs"`
		} `json:"tensors"`
	} `json:"layers"`
}

func loadExpected(t testing.TB) map[string]expected {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]expected
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// denseStructure writes a Keras 3 style Sequential config for a chain of
// Dense layers whose shapes come from the h5py reference, for the weights-only
// fixtures that ship no structure of their own.
func denseStructure(t testing.TB, exp expected, activation string) string {
	t.Helper()
	var layers []any
	for i, l := range exp.Layers {
		cfg := map[string]any{"name": l.Name, "units": l.Tensors[0].Shape[1], "activation": activation, "use_bias": true}
		if i == len(exp.Layers)-1 {
			cfg["activation"] = "sigmoid"
		}
		layers = append(layers, map[string]any{"module": "keras.layers", "class_name": "Dense", "config": cfg,
			"build_config": map[string]any{"input_shape": []any{nil, l.Tensors[0].Shape[0]}}})
	}
	b, _ := json.Marshal(map[string]any{"class_name": "Sequential", "config": map[string]any{"name": "sequential", "layers": layers}})
	p := filepath.Join(t.TempDir(), "structure.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fixtureFiles resolves the fixture key of fixtures.json, with a structure
// for the weights-only ones.
func fixtureFiles(t testing.TB, fx, key string, exp expected) Files {
	t.Helper()
	path := filepath.Join(fx, "keras", filepath.FromSlash(key))
	structure := ""
	switch {
	case strings.HasPrefix(key, "checkers-"):
		structure = denseStructure(t, exp, "tanh")
	case strings.Contains(key, "tuner_all/trial_1/"):
		// Same architecture as the .keras model saved from the same project.
		structure = filepath.Join(fx, "keras", "pima-keras-zip-keras3132", "model.keras")
	case strings.Contains(key, "tuner_all/"):
		structure = denseStructure(t, exp, "relu")
	}
	files, err := Resolve(path, structure)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", key, err)
	}
	return files
}

func TestLoadFixturesMatchIndependentReader(t *testing.T) {
	fx := fixtures.Dir(t)
	want := loadExpected(t)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range want {
			if !yield(k) {
				return
			}
		}
	})
	for _, key := range keys {
		exp := want[key]
		t.Run(key, func(t *testing.T) {
			snap, err := Load(fixtureFiles(t, fx, key, exp))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if exp.KerasVersion != "" && snap.Meta().KerasVersion != exp.KerasVersion {
				t.Errorf("keras_version = %q, want %q", snap.Meta().KerasVersion, exp.KerasVersion)
			}
			var weighted []snapshot.Layer
			for _, l := range snap.Layers() {
				if len(l.Weights) > 0 {
					weighted = append(weighted, l)
				}
			}
			if len(weighted) != len(exp.Layers) {
				t.Fatalf("%d layers with weights, want %d", len(weighted), len(exp.Layers))
			}
			for i, el := range exp.Layers {
				got := weighted[i]
				if got.Name != el.Name {
					t.Errorf("layer %d is %q, want %q", i, got.Name, el.Name)
				}
				if len(got.Weights) != len(el.Tensors) {
					t.Fatalf("layer %q: %d tensors, want %d", el.Name, len(got.Weights), len(el.Tensors))
				}
				for j, et := range el.Tensors {
					checkTensor(t, fmt.Sprintf("%s/%s", el.Name, et.Role), got.Weights[j], et.Role, et.Shape, et.Head, et.Tail, et.SumAbs)
				}
			}
		})
	}
}

func checkTensor(t *testing.T, what string, got snapshot.Tensor, role string, shape []int, head []float64, tail, sumAbs float64) {
	t.Helper()
	if got.Name != role {
		t.Errorf("%s: role %q, want %q", what, got.Name, role)
	}
	if !slices.Equal(got.Shape, shape) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape, shape)
	}
	for k, h := range head {
		if k < len(got.Data) && float64(got.Data[k]) != h {
			t.Errorf("%s[%d] = %v, want %v (bit-exact)", what, k, got.Data[k], h)
		}
	}
	if n := len(got.Data); n == 0 || float64(got.Data[n-1]) != tail {
		t.Errorf("%s: last value differs from h5py's %v", what, tail)
	}
	var s float64
	for _, v := range got.Data {
		s += math.Abs(float64(v))
	}
	if math.Abs(s-sumAbs) > 1e-9*math.Max(1, sumAbs) {
		t.Errorf("%s: sum|w| = %v, want %v", what, s, sumAbs)
	}
}

func TestLoadRefusesLSTMNamingTheLayer(t *testing.T) {
	path := fixtures.Keras(t, "textgen-lstm-full-h5-keras224/068_weights-improvement-20-1.9326.hdf5")
	_, err := Load(Files{Weights: path})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
	for _, want := range []string{"LSTM", "lstm_1", path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoadWeightsOnlyAsksForStructure(t *testing.T) {
	path := fixtures.Keras(t, "checkers-weights-only-keras216/checkers_model_tanh_adadelta.h5")
	files, err := Resolve(path, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load(files)
	if !errors.Is(err, ErrNoStructure) || !strings.Contains(err.Error(), "model.to_json") {
		t.Fatalf("err = %v, want ErrNoStructure saying what structure to give", err)
	}
	if strings.Contains(err.Error(), "--") {
		t.Errorf("err = %v names a CLI flag; the CLI adds that hint", err)
	}
}

func TestLoadStructureFromAnotherModelIsAMismatch(t *testing.T) {
	fx := fixtures.Dir(t)
	weights := filepath.Join(fx, "keras", "pima-keras3-tuner-weights-h5/tuner_all/trial_4/checkpoint.weights.h5")
	structure := filepath.Join(fx, "keras", "pima-keras-zip-keras3132/model.keras")
	_, err := Load(Files{Structure: structure, Weights: weights})
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("err = %v, want ErrMismatch", err)
	}
	t.Log(err)
}

func TestLoadSeedNamingByPrefix(t *testing.T) {
	src := fixtures.Keras(t, "pima-json-h5-keras224")
	dir := filepath.Join(t.TempDir(), "Model", "20190114")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(src, "022.json"), filepath.Join(dir, "0_10.1_structure.json"))
	copyFile(t, filepath.Join(src, "022.h5"), filepath.Join(dir, "0_10.1_weights.h5"))
	for _, p := range []string{filepath.Join(dir, "0_10.1"), dir, filepath.Join(dir, "0_10.1_structure.json"), filepath.Join(dir, "0_10.1_weights.h5")} {
		files, err := Resolve(p, "")
		if err != nil {
			t.Fatalf("Resolve(%s): %v", p, err)
		}
		snap, err := Load(files)
		if err != nil {
			t.Fatalf("Load(%s): %v", p, err)
		}
		if snap.Inputs() != 8 || snap.Outputs() != 1 || snap.Meta().Format != "keras2-json+weights-h5" {
			t.Errorf("%s: inputs %d outputs %d format %s", p, snap.Inputs(), snap.Outputs(), snap.Meta().Format)
		}
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
