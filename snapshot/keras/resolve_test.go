package keras

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyAs copies testdata/conventions/tiny.json or tiny.h5 (by the extension
// of name) into dir under name, and returns its path.
func copyAs(t testing.TB, dir, name string) string {
	t.Helper()
	src := "testdata/conventions/tiny.h5"
	if ext := filepath.Ext(name); ext == ".json" || ext == ".yaml" || ext == ".yml" {
		src = "testdata/conventions/tiny.json" // JSON is YAML too
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestResolvePairsEveryNamingConvention(t *testing.T) {
	tests := []struct {
		name      string
		files     []string
		path      string // relative to the folder; "." is the folder
		structure string // base name, "" for none
		weights   string
		paired    string
	}{
		{"a prefix finds NAME_structure.json and NAME_weights.h5", []string{"m_structure.json", "m_weights.h5"}, "m", "m_structure.json", "m_weights.h5", ""},
		{"a structure file finds NAME.h5", []string{"m.json", "m.h5"}, "m.json", "m.json", "m.h5", ""},
		{"a structure file finds NAME.hdf5", []string{"m.json", "m.hdf5"}, "m.json", "m.json", "m.hdf5", ""},
		{"a YAML structure finds NAME.h5", []string{"m.yaml", "m.h5"}, "m.yaml", "m.yaml", "m.h5", ""},
		{"a structure file finds NAME_weights.h5", []string{"X.json", "X_weights.h5"}, "X.json", "X.json", "X_weights.h5", "NAME.json with NAME_weights.h5"},
		{"a weights file finds NAME.json", []string{"X.json", "X_weights.h5"}, "X_weights.h5", "X.json", "X_weights.h5", "NAME.json with NAME_weights.h5"},
		{"a prefix finds NAME.json and NAME_weights.h5", []string{"X.yml", "X_weights.hdf5"}, "X", "X.yml", "X_weights.hdf5", "NAME.json with NAME_weights.h5"},
		{"a directory finds NAME.json and NAME_weights.h5", []string{"X.json", "X_weights.h5", "sub/other.h5"}, ".", "X.json", "X_weights.h5", "NAME.json with NAME_weights.h5"},
		{"an architecture file finds NAME_weights.h5", []string{"my_model_architecture.json", "my_model_weights.h5"}, "my_model_architecture.json", "my_model_architecture.json", "my_model_weights.h5", "NAME_architecture.json with NAME_weights.h5"},
		{"a weights file finds NAME_architecture.json", []string{"model_architecture.json", "model_weights.h5"}, "model_weights.h5", "model_architecture.json", "model_weights.h5", "NAME_architecture.json with NAME_weights.h5"},
		{"a prefix finds NAME_architecture.yaml", []string{"model_architecture.yaml", "model_weights.h5"}, "model", "model_architecture.yaml", "model_weights.h5", "NAME_architecture.json with NAME_weights.h5"},
		{"a directory finds NAME_architecture.json", []string{"model_architecture.json", "model_weights.h5", "history.json"}, ".", "model_architecture.json", "model_weights.h5", "NAME_architecture.json with NAME_weights.h5"},
		{"a directory keeps pairing NAME.json with NAME.h5 silently", []string{"022.json", "022.h5"}, ".", "022.json", "022.h5", ""},
		{"a structure file keeps NAME.h5 over NAME_weights.h5, as before", []string{"X.json", "X.h5", "X_weights.h5"}, "X.json", "X.json", "X.h5", ""},
		{"a prefix keeps NAME_structure.json over NAME_architecture.json, as before", []string{"X_structure.json", "X_architecture.json", "X_weights.h5"}, "X", "X_structure.json", "X_weights.h5", ""},
		{"a directory keeps NAME_structure.json over a model NAME.json, as before", []string{"m_structure.json", "m.json", "m_weights.h5"}, ".", "m_structure.json", "m_weights.h5", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				copyAs(t, dir, f)
			}
			files, err := Resolve(filepath.Join(dir, tc.path), "")
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got := filepath.Base(files.Structure); got != tc.structure {
				t.Errorf("structure %s, want %s", got, tc.structure)
			}
			if got := filepath.Base(files.Weights); got != tc.weights {
				t.Errorf("weights %s, want %s", got, tc.weights)
			}
			if files.Paired != tc.paired {
				t.Errorf("Paired %q, want %q", files.Paired, tc.paired)
			}
			snap, err := Load(files)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if snap.Inputs() != 3 || snap.Params() != 11 {
				t.Errorf("inputs=%d params=%d, want 3 and 11", snap.Inputs(), snap.Params())
			}
		})
	}
}

func TestResolveRefusesToGuessBetweenPairs(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		path  string
		want  []string // each in the message
	}{
		{"a structure file with both .h5 and .hdf5 weights", []string{"X.json", "X.h5", "X.hdf5"}, "X.json", []string{`"X.json with X.h5"`, `"X.json with X.hdf5"`}},
		{"a weights file with NAME.json and NAME_architecture.json beside it", []string{"X.json", "X_architecture.json", "X_weights.h5"}, "X_weights.h5", []string{`"X_architecture.json with X_weights.h5"`, `"X.json with X_weights.h5"`}},
		{"a directory with two pairs", []string{"a.json", "a.h5", "b_structure.json", "b_weights.h5"}, ".", []string{"holds 2 models", `"a.json with a.h5"`, `"b_structure.json with b_weights.h5"`}},
		{"a directory with a pair and a lone weights file", []string{"a.json", "a_weights.h5", "full.h5"}, ".", []string{"holds 2 models", `"a.json with a_weights.h5"`, `"full.h5"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				copyAs(t, dir, f)
			}
			files, err := Resolve(filepath.Join(dir, tc.path), "")
			if !errors.Is(err, ErrAmbiguous) {
				t.Fatalf("Resolve = %+v, %v; want ErrAmbiguous", files, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not contain %s", err, w)
				}
			}
		})
	}
}

func TestResolveSaysWhereItLooked(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		path  string
		kind  error
		want  []string
	}{
		{"a structure file with no weights lists every convention", []string{"X.json"}, "X.json", ErrNotFound, []string{"X.h5", "X.hdf5", "X_weights.h5", "X_weights.hdf5"}},
		{"an architecture file with no weights lists NAME_weights.h5", []string{"m_architecture.json"}, "m_architecture.json", ErrNotFound, []string{"m_weights.h5", "m_architecture.h5"}},
		{"a prefix with weights only asks for the structure", []string{"m_weights.h5"}, "m", ErrNoStructure, []string{"m_weights.h5", `"m_structure.json", "m.json", "m_architecture.json" (or .yaml, .yml)`}},
		{"a prefix with a structure only asks for the weights", []string{"m_architecture.yaml"}, "m", ErrNotFound, []string{"m_architecture.yaml", `"m_weights.h5", "m.h5" (or .hdf5)`}},
		{"a prefix that matches nothing", nil, "m", ErrNotFound, []string{"does not exist", `"m_structure.json"`, `"m_weights.h5"`}},
		{"an empty directory names the conventions", nil, ".", ErrNotFound, []string{"NAME_architecture.json with NAME_weights.h5", "NAME.json with NAME.h5 or NAME_weights.h5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				copyAs(t, dir, f)
			}
			_, err := Resolve(filepath.Join(dir, tc.path), "")
			if !errors.Is(err, tc.kind) {
				t.Fatalf("Resolve: %v; want %v", err, tc.kind)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not contain %s", err, w)
				}
			}
		})
	}
}

// TestResolveLeavesFilesThatAreNotModelConfigsAlone: training scripts save
// metrics and settings as NAME.json beside the model; the newer pairing
// rules must not take them for its structure.
func TestResolveLeavesFilesThatAreNotModelConfigsAlone(t *testing.T) {
	tests := []struct {
		name             string
		files            []string // copies of the tiny model
		notes            []string // JSON that is not a model config
		path             string
		structure, wants string
	}{
		{"a full-model checkpoint beside its metrics loads alone by folder", []string{"025_best_weights.hdf5"}, []string{"025_best.json"}, ".", "", "025_best_weights.hdf5"},
		{"a full-model checkpoint beside its metrics loads alone by file", []string{"025_best_weights.hdf5"}, []string{"025_best.json"}, "025_best_weights.hdf5", "", "025_best_weights.hdf5"},
		{"settings m.json beside m_structure.json do not make the prefix ambiguous", []string{"m_structure.json", "m_weights.h5"}, []string{"m.json"}, "m", "m_structure.json", "m_weights.h5"},
		{"settings m.json beside m_structure.json do not make the weights ambiguous", []string{"m_structure.json", "m_weights.h5"}, []string{"m.json"}, "m_weights.h5", "m_structure.json", "m_weights.h5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				copyAs(t, dir, f)
			}
			for _, n := range tc.notes {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(`{"loss": 0.41, "accuracy": 0.83}`), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			files, err := Resolve(filepath.Join(dir, tc.path), "")
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			got := ""
			if files.Structure != "" {
				got = filepath.Base(files.Structure)
			}
			if got != tc.structure || filepath.Base(files.Weights) != tc.wants {
				t.Errorf("Resolve = %s with %s, want %q with %s", got, filepath.Base(files.Weights), tc.structure, tc.wants)
			}
		})
	}
}
