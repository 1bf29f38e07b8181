package keras

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/hdf5"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/snapshot"
)

// Export writes snap as DIR/NAME_structure.json (model.to_json form) and
// DIR/NAME_weights.h5 in the layout Keras 2.2.4's save_weights writes, with
// fixed-length name attributes, so Keras, h5py and tracker can read it back
// with every weight bit-identical. Both files say Keras 2.2.4 and
// tensorflow, the layout they have, whatever wrote the source. It returns
// the two paths.
func Export(snap *snapshot.Snapshot, dir, name string) (structure, weights string, err error) {
	structure = filepath.Join(dir, name+"_structure.json")
	weights = filepath.Join(dir, name+"_weights.h5")
	cfg, err := StructureJSON(snap)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if err := withHDF5(func() error { return writeWeights(snap, weights) }); err != nil {
		os.Remove(weights)
		return "", "", fmt.Errorf("write %s: %w", weights, err)
	}
	if err := os.WriteFile(structure, cfg, 0o644); err != nil {
		return "", "", err
	}
	return structure, weights, nil
}

// The version attributes Export writes in both files. The files have the
// layout of Keras 2.2.4's save_weights and model.to_json whatever Keras
// wrote the source, and readers (Keras, tracker) choose how to parse a file
// by these attributes, so they name the layout written, not the source's
// Keras; the source's version stays in the snapshot's Meta.
const (
	writtenKerasVersion = "2.2.4"
	writtenBackend      = "tensorflow"
)

// StructureJSON renders the architecture as Keras 2.2.4's model.to_json
// does: a Sequential config, or a functional "Model" config (an InputLayer
// and the chain wired through inbound_nodes) when the snapshot was read from
// a functional model, so the export has the form that was read.
func StructureJSON(snap *snapshot.Snapshot) ([]byte, error) {
	ls := snap.Layers()
	if len(ls) == 0 {
		return nil, fmt.Errorf("the snapshot has no layers")
	}
	input := ls[0].Inbound
	functional := input != ""
	var layers []any
	if functional {
		layers = append(layers, map[string]any{
			"name":       input,
			"class_name": "InputLayer",
			"config": map[string]any{
				"batch_input_shape": []any{nil, snap.Inputs()},
				"dtype":             "float32",
				"sparse":            false,
				"name":              input,
			},
			"inbound_nodes": []any{},
		})
	}
	prev := input
	for i, l := range ls {
		cfg := layerSettings(l)
		entry := map[string]any{"class_name": l.Class, "config": cfg}
		switch {
		case functional:
			entry["name"] = l.Name
			entry["inbound_nodes"] = []any{[]any{[]any{prev, 0, 0, map[string]any{}}}}
			prev = l.Name
		case i == 0:
			cfg["batch_input_shape"] = []any{nil, snap.Inputs()}
		}
		layers = append(layers, entry)
	}
	top := map[string]any{
		"class_name":    "Sequential",
		"config":        map[string]any{"name": "sequential_1", "layers": layers},
		"keras_version": writtenKerasVersion,
		"backend":       writtenBackend,
	}
	if functional {
		top["class_name"] = "Model"
		top["config"] = map[string]any{
			"name":          "model_1",
			"layers":        layers,
			"input_layers":  []any{[]any{input, 0, 0}},
			"output_layers": []any{[]any{prev, 0, 0}},
		}
	}
	return json.MarshalIndent(top, "", "  ")
}

// defaultMomentum is Keras's BatchNormalization momentum, written when the
// snapshot does not know the layer's own (a version read from a store,
// whose record has no momentum).
const defaultMomentum = 0.99

// layerSettings is a layer's Keras 2 config: every setting the snapshot
// holds for its class.
func layerSettings(l snapshot.Layer) map[string]any {
	cfg := map[string]any{"name": l.Name, "trainable": true, "dtype": "float32"}
	switch l.Class {
	case snapshot.ClassDense:
		cfg["units"], cfg["activation"], cfg["use_bias"] = l.Units, l.Activation, l.UseBias
	case snapshot.ClassActivation:
		cfg["activation"] = l.Activation
	case snapshot.ClassDropout:
		cfg["rate"] = l.Rate
	case snapshot.ClassBatchNormalization:
		momentum := l.Momentum
		if momentum == 0 {
			momentum = defaultMomentum
		}
		cfg["axis"], cfg["epsilon"], cfg["center"], cfg["scale"], cfg["momentum"] = -1, l.Epsilon, l.Center, l.Scale, momentum
	case snapshot.ClassFlatten:
		cfg["data_format"] = "channels_last"
	}
	return cfg
}

func writeWeights(snap *snapshot.Snapshot, path string) error {
	f, err := hdf5.CreateFile(path, hdf5.F_ACC_TRUNC)
	if err != nil {
		return err
	}
	defer f.Close()
	root := f.ID()
	var names []string
	for _, l := range snap.Layers() {
		names = append(names, l.Name)
	}
	if err := writeStrings(root, "layer_names", names, fixedArray); err != nil {
		return err
	}
	if err := writeStrings(root, "backend", []string{writtenBackend}, vlenScalar); err != nil {
		return err
	}
	if err := writeStrings(root, "keras_version", []string{writtenKerasVersion}, vlenScalar); err != nil {
		return err
	}
	for _, l := range snap.Layers() {
		if err := writeLayer(f, l); err != nil {
			return fmt.Errorf("layer %s: %w", quote.Short(l.Name), err)
		}
	}
	return f.Flush(hdf5.F_SCOPE_GLOBAL)
}

func writeLayer(f *hdf5.File, l snapshot.Layer) error {
	g, err := f.CreateGroup(l.Name)
	if err != nil {
		return err
	}
	defer g.Close()
	if len(l.Weights) == 0 {
		return writeEmptyFloats(g.ID(), "weight_names")
	}
	var wnames []string
	for _, t := range l.Weights {
		wnames = append(wnames, l.Name+"/"+t.Name+":0")
	}
	if err := writeStrings(g.ID(), "weight_names", wnames, fixedArray); err != nil {
		return err
	}
	inner, err := g.CreateGroup(l.Name)
	if err != nil {
		return err
	}
	defer inner.Close()
	for _, t := range l.Weights {
		dims := make([]uint, len(t.Shape))
		for i, d := range t.Shape {
			dims[i] = uint(d)
		}
		space, err := hdf5.CreateSimpleDataspace(dims, nil)
		if err != nil {
			return err
		}
		ds, err := inner.CreateDataset(t.Name+":0", hdf5.T_IEEE_F32LE, space)
		space.Close()
		if err != nil {
			return err
		}
		if len(t.Data) > 0 {
			err = ds.Write(&t.Data)
		}
		if cerr := ds.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("dataset %s: %w", t.Name, err)
		}
	}
	return nil
}
