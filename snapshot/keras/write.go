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
// with every weight bit-identical. It returns the two paths.
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

// StructureJSON renders the architecture as a Keras 2 Sequential config.
func StructureJSON(snap *snapshot.Snapshot) ([]byte, error) {
	var layers []any
	for i, l := range snap.Layers() {
		cfg := map[string]any{"name": l.Name, "trainable": true, "dtype": "float32"}
		if i == 0 {
			cfg["batch_input_shape"] = []any{nil, snap.Inputs()}
		}
		switch l.Class {
		case snapshot.ClassDense:
			cfg["units"], cfg["activation"], cfg["use_bias"] = l.Units, l.Activation, l.UseBias
		case snapshot.ClassActivation:
			cfg["activation"] = l.Activation
		case snapshot.ClassDropout:
			cfg["rate"] = l.Rate
		case snapshot.ClassBatchNormalization:
			cfg["axis"], cfg["epsilon"], cfg["center"], cfg["scale"], cfg["momentum"] = -1, l.Epsilon, l.Center, l.Scale, 0.99
		case snapshot.ClassFlatten:
			cfg["data_format"] = "channels_last"
		}
		layers = append(layers, map[string]any{"class_name": l.Class, "config": cfg})
	}
	meta := snap.Meta()
	return json.MarshalIndent(map[string]any{
		"class_name":    "Sequential",
		"config":        map[string]any{"name": "sequential", "layers": layers},
		"keras_version": meta.KerasVersion,
		"backend":       firstNonEmpty(meta.Backend, "tensorflow"),
	}, "", "  ")
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
	meta := snap.Meta()
	if err := writeStrings(root, "layer_names", names, fixedArray); err != nil {
		return err
	}
	if err := writeStrings(root, "backend", []string{firstNonEmpty(meta.Backend, "tensorflow")}, vlenScalar); err != nil {
		return err
	}
	if err := writeStrings(root, "keras_version", []string{firstNonEmpty(meta.KerasVersion, "2.2.4")}, vlenScalar); err != nil {
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
