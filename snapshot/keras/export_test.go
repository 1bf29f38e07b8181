package keras

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/snapshot"
)

func TestExportKeepsFixtureArchitectures(t *testing.T) {
	fx := fixtures.Dir(t)
	want := loadExpected(t)
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		t.Run(key+" exports with the same hash and layer settings", func(t *testing.T) {
			files := fixtureFiles(t, fx, key, want[key])
			orig, err := Load(files)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			exportMatches(t, orig, sourceConfig(t, files))
		})
	}
}

func TestExportKeepsFormAndMomentum(t *testing.T) {
	for _, tc := range []struct {
		name       string
		functional bool
	}{
		{"a Keras 3 functional model with momentum 0.9 stays functional with 0.9", true},
		{"a Keras 2 Sequential model with momentum 0.9 stays Sequential with 0.9", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := loadFixture(t, "diabetes4-keras-zip-keras35-batchnorm/model.keras")
			// The weights of the fixture, in Keras 2 layout, under a
			// structure written here by hand.
			dir := t.TempDir()
			_, weights, err := Export(base, dir, "base")
			if err != nil {
				t.Fatal(err)
			}
			cfg := handConfig(base, tc.functional, 0.9)
			structure := filepath.Join(dir, "hand.json")
			if err := os.WriteFile(structure, cfg, 0o644); err != nil {
				t.Fatal(err)
			}
			orig, err := Load(Files{Structure: structure, Weights: weights})
			if err != nil {
				t.Fatalf("Load of the hand-written structure: %v", err)
			}
			if orig.Hash() != base.Hash() {
				t.Fatalf("hand-written structure gives hash %s, fixture %s", orig.ShortHash(), base.ShortHash())
			}
			exportMatches(t, orig, decodeConfig(t, cfg))
		})
	}
}

func TestExportOfAStoredVersionFallsBackToKerasDefaults(t *testing.T) {
	// A version rebuilt from a store has no momentum and no wiring: the
	// export is Sequential with Keras's default momentum.
	l := snapshot.Layer{Spec: snapshot.Spec{Name: "bn", Class: snapshot.ClassBatchNormalization, Epsilon: 1e-3, Center: true, Scale: true}}
	for _, role := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		l.Weights = append(l.Weights, snapshot.Tensor{Name: role, Shape: []int{2}, Data: []float32{1, 2}})
	}
	d := snapshot.Layer{Spec: snapshot.Spec{Name: "d", Class: snapshot.ClassDense, Units: 1, Activation: "sigmoid"},
		Weights: []snapshot.Tensor{{Name: "kernel", Shape: []int{2, 1}, Data: []float32{1, 2}}}}
	snap, err := snapshot.New(2, []snapshot.Layer{l, d}, snapshot.Meta{KerasVersion: "3.3.3", Backend: "jax"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := StructureJSON(snap)
	if err != nil {
		t.Fatal(err)
	}
	root := decodeConfig(t, b)
	mc, err := parseModel(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := root.(map[string]any)["class_name"]; got != "Sequential" {
		t.Errorf("class_name %v, want Sequential", got)
	}
	if got := mc.layers[0].cfg["momentum"]; got != 0.99 {
		t.Errorf("momentum %v, want Keras's default 0.99", got)
	}
	if mc.kerasVersion != writtenKerasVersion || mc.backend != writtenBackend {
		t.Errorf("keras_version %q backend %q, want %q %q", mc.kerasVersion, mc.backend, writtenKerasVersion, writtenBackend)
	}
}

// exportMatches exports orig, loads the export back, and checks the hash,
// the version attributes, the model form and every layer's settings against
// src, the decoded config orig was read from.
func exportMatches(t *testing.T, orig *snapshot.Snapshot, src any) {
	t.Helper()
	dir := t.TempDir()
	s, w, err := Export(orig, dir, "model")
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(Files{Structure: s, Weights: w})
	if err != nil {
		t.Fatalf("Load of the export: %v", err)
	}
	if back.Hash() != orig.Hash() {
		t.Errorf("hash after export %s, before %s", back.ShortHash(), orig.ShortHash())
	}
	if m := back.Meta(); m.KerasVersion != writtenKerasVersion || m.Backend != writtenBackend {
		t.Errorf("export says keras_version %q backend %q, want the layout written: %q %q", m.KerasVersion, m.Backend, writtenKerasVersion, writtenBackend)
	}
	data, err := os.ReadFile(s)
	if err != nil {
		t.Fatal(err)
	}
	exported := decodeConfig(t, data)
	if got, want := modelForm(exported), modelForm(src); got != want {
		t.Errorf("export is %s, source is %s", got, want)
	}
	before, after := chainOf(t, src), chainOf(t, exported)
	if len(before) != len(after) {
		t.Fatalf("export has %d layers, source %d", len(after), len(before))
	}
	for i := range before {
		if got, want := settings(t, after[i]), settings(t, before[i]); got != want {
			t.Errorf("layer %d:\nexport %s\nsource %s", i, got, want)
		}
	}
}

// modelForm reduces a config's class to Sequential or functional: Keras 2.2.4
// calls a functional model Model, later Keras Functional.
func modelForm(root any) string {
	class, _ := root.(map[string]any)["class_name"].(string)
	if class == "Model" || class == "Functional" {
		return "functional"
	}
	return class
}

func chainOf(t *testing.T, root any) []layerConfig {
	t.Helper()
	mc, err := parseModel(root)
	if err != nil {
		t.Fatal(err)
	}
	return mc.layers
}

// settingKeys lists, per class, the settings compared and Keras's default
// for one a config leaves out.
var settingKeys = map[string][]struct {
	key string
	def any
}{
	"Dense":              {{"units", nil}, {"activation", "linear"}, {"use_bias", true}},
	"Activation":         {{"activation", "linear"}},
	"Dropout":            {{"rate", nil}},
	"BatchNormalization": {{"momentum", 0.99}, {"epsilon", 1e-3}, {"center", true}, {"scale", true}},
	"Flatten":            {},
}

// settings renders a layer's class, name and compared settings as one line.
func settings(t *testing.T, l layerConfig) string {
	t.Helper()
	keys, ok := settingKeys[l.class]
	if !ok {
		t.Fatalf("layer %s has class %s, which the comparison does not know", l.name, l.class)
	}
	parts := []string{l.class, l.name}
	for _, k := range keys {
		v, ok := l.cfg[k.key]
		if !ok || v == nil {
			v = k.def
		}
		if k.key == "activation" {
			a, err := activation(v)
			if err != nil {
				t.Fatal(err)
			}
			v = a
		}
		if n, ok := number(v); ok {
			v = n
		}
		parts = append(parts, fmt.Sprintf("%s=%v", k.key, v))
	}
	return strings.Join(parts, " ")
}

// sourceConfig reads the config a fixture's architecture came from: the
// structure file, a .keras zip's config.json or a full-model .h5's
// model_config.
func sourceConfig(t *testing.T, files Files) any {
	t.Helper()
	path := files.Structure
	if path == "" {
		path = files.Weights
	}
	var raw []byte
	switch strings.ToLower(filepath.Ext(path)) {
	case ".keras":
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		f, err := zr.Open("config.json")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if raw, err = io.ReadAll(f); err != nil {
			t.Fatal(err)
		}
	case ".h5", ".hdf5":
		err := withHDF5(func() error {
			wf, err := openWeights(path, path)
			if err != nil {
				return err
			}
			defer wf.Close()
			raw = []byte(wf.modelConfig)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	default:
		var err error
		if raw, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	return decodeConfig(t, raw)
}

// decodeConfig decodes JSON, or YAML from to_yaml, into plain values as
// parseStructure does (JSON numbers as float64).
func decodeConfig(t *testing.T, raw []byte) any {
	t.Helper()
	var root any
	unmarshal := yaml.Unmarshal
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
		unmarshal = json.Unmarshal
	}
	if err := unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	return root
}

// handConfig writes base's architecture as a Keras 3 Functional config
// (keras_history wiring) or a Keras 2.2.4 Sequential one, with every
// BatchNormalization at the given momentum.
func handConfig(base *snapshot.Snapshot, functional bool, momentum float64) []byte {
	var layers []any
	prev := "features"
	if functional {
		layers = append(layers, map[string]any{
			"module": "keras.layers", "class_name": "InputLayer", "name": prev, "inbound_nodes": []any{},
			"config": map[string]any{"batch_shape": []any{nil, base.Inputs()}, "dtype": "float32", "name": prev},
		})
	}
	for i, l := range base.Layers() {
		cfg := map[string]any{"name": l.Name, "trainable": true}
		switch l.Class {
		case snapshot.ClassDense:
			cfg["units"], cfg["activation"], cfg["use_bias"] = l.Units, l.Activation, l.UseBias
		case snapshot.ClassActivation:
			cfg["activation"] = l.Activation
		case snapshot.ClassDropout:
			cfg["rate"] = l.Rate
		case snapshot.ClassBatchNormalization:
			cfg["axis"], cfg["momentum"], cfg["epsilon"], cfg["center"], cfg["scale"] = -1, momentum, l.Epsilon, l.Center, l.Scale
		}
		entry := map[string]any{"class_name": l.Class, "config": cfg}
		if functional {
			entry["module"], entry["name"] = "keras.layers", l.Name
			history := map[string]any{"class_name": "__keras_tensor__", "config": map[string]any{"keras_history": []any{prev, 0, 0}}}
			entry["inbound_nodes"] = []any{map[string]any{"args": []any{history}, "kwargs": map[string]any{}}}
			prev = l.Name
		} else if i == 0 {
			cfg["batch_input_shape"] = []any{nil, base.Inputs()}
		}
		layers = append(layers, entry)
	}
	top := map[string]any{
		"class_name":    "Sequential",
		"config":        map[string]any{"name": "hand", "layers": layers},
		"keras_version": "2.2.4",
	}
	if functional {
		top["class_name"], top["keras_version"] = "Functional", "3.3.3"
		top["config"] = map[string]any{"name": "hand", "layers": layers,
			"input_layers": []any{"features", 0, 0}, "output_layers": []any{prev, 0, 0}}
	}
	b, err := json.Marshal(top)
	if err != nil {
		panic(err) // plain maps always marshal
	}
	return b
}
