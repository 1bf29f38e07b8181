package keras

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/hdf5"
)

// tensor is a weight array read from HDF5, before it is tied to a layer.
type tensor struct {
	role  string // kernel, bias, ... as far as the file says; empty for Keras 3 vars/<i>
	path  string // HDF5 path, for messages
	shape []int
	data  []float32
}

// weightGroup is the weights one HDF5 group holds for one layer.
type weightGroup struct {
	name    string // group name, or the vars "name" attr when Keras 3.10+ wrote one
	named   bool   // name came from the Keras 3.10+ name attr, so it is the real layer name
	tensors []tensor
}

// h5Layout is how a weights file arranges its layers.
type h5Layout int

const (
	layoutLegacy h5Layout = iota // Keras 2 style: layer_names and weight_names attrs
	layoutV3                     // Keras 3 style: layers/<auto_name>/vars/<i>
)

// weightsFile is what an HDF5 weights file holds.
type weightsFile struct {
	layout       h5Layout
	groups       []weightGroup // legacy: layer_names order; v3: file order
	kerasVersion string
	backend      string
	modelConfig  string // full-model files: the model_config attr
}

// openH5 opens path read-only with a message a user can act on.
func openH5(path, name string) (*hdf5.File, error) {
	if !hdf5.IsHDF5(path) {
		return nil, fmt.Errorf("%s is not an HDF5 file (or it is truncated): a Keras weights file is written by model.save_weights or model.save", name)
	}
	f, err := hdf5.OpenFile(path, hdf5.F_ACC_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be opened as HDF5 (it may be truncated or damaged): %w", name, err)
	}
	return f, nil
}

// readWeightsFile reads every layer's weights from an HDF5 file in either
// layout. name is how messages call the file (a zip member has a temporary
// path of its own).
func readWeightsFile(path, name string) (*weightsFile, error) {
	f, err := openH5(path, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	root := f.ID()
	wf := &weightsFile{}
	wf.kerasVersion, _ = readString(root, "keras_version")
	wf.backend, _ = readString(root, "backend")
	if hasAttr(root, "model_config") {
		if wf.modelConfig, err = readString(root, "model_config"); err != nil {
			return nil, fmt.Errorf("%s: model_config: %w", name, err)
		}
	}
	switch {
	case hasAttr(root, "layer_names"):
		wf.layout = layoutLegacy
		wf.groups, err = readLegacy(&f.CommonFG, root, "")
	case f.LinkExists("model_weights"):
		g, gerr := f.OpenGroup("model_weights")
		if gerr != nil {
			return nil, fmt.Errorf("%s: open group model_weights: %w", name, gerr)
		}
		defer g.Close()
		if !hasAttr(g.ID(), "layer_names") {
			return nil, fmt.Errorf("%s: group model_weights has no layer_names attribute: this is not a file Keras wrote", name)
		}
		if wf.kerasVersion == "" {
			wf.kerasVersion, _ = readString(g.ID(), "keras_version")
		}
		wf.layout = layoutLegacy
		wf.groups, err = readLegacy(&g.CommonFG, g.ID(), "model_weights/")
	default:
		wf.layout = layoutV3
		wf.groups, err = readV3(f)
		if err == nil && len(wf.groups) == 0 {
			err = fmt.Errorf("no layer_names attribute, no model_weights group and no layers group: this HDF5 file holds no Keras weights")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return wf, nil
}

// readLegacy reads the Keras 2 layout: attr layer_names lists the layer
// groups, each group's attr weight_names lists its datasets by path.
func readLegacy(fg *hdf5.CommonFG, loc int64, prefix string) ([]weightGroup, error) {
	names, err := readStrings(loc, "layer_names")
	if err != nil {
		return nil, err
	}
	groups := make([]weightGroup, 0, len(names))
	for _, name := range names {
		g, err := fg.OpenGroup(name)
		if err != nil {
			return nil, fmt.Errorf("layer_names lists %q but the file has no such group (is it truncated?)", prefix+name)
		}
		wg, err := readLegacyGroup(g, prefix+name)
		g.Close()
		if err != nil {
			return nil, err
		}
		groups = append(groups, wg)
	}
	return groups, nil
}

func readLegacyGroup(g *hdf5.Group, path string) (weightGroup, error) {
	wg := weightGroup{name: g.Name(), named: true}
	wg.name = path[strings.LastIndex(path, "/")+1:]
	wnames, err := readStrings(g.ID(), "weight_names")
	if err != nil {
		return wg, fmt.Errorf("group %q: %w", path, err)
	}
	for _, wn := range wnames {
		t, err := readDataset(&g.CommonFG, wn, path+"/"+wn)
		if err != nil {
			return wg, err
		}
		t.role = roleOf(wn)
		wg.tensors = append(wg.tensors, t)
	}
	return wg, nil
}

// roleOf turns "dense_1/kernel:0" or "sequential/dense/kernel" into "kernel".
func roleOf(weightName string) string {
	r := weightName[strings.LastIndex(weightName, "/")+1:]
	if i := strings.LastIndex(r, ":"); i >= 0 {
		r = r[:i]
	}
	return r
}

// readV3 reads the Keras 3 layout, layers/<auto_name>/vars/<i>. Files saved
// on Windows hold single links named `layers\<auto_name>` at the root.
func readV3(f *hdf5.File) ([]weightGroup, error) {
	type entry struct{ link, name string }
	var entries []entry
	if f.LinkExists("layers") {
		g, err := f.OpenGroup("layers")
		if err != nil {
			return nil, fmt.Errorf("open group layers: %w", err)
		}
		names, err := groupMembers(&g.CommonFG)
		g.Close()
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			entries = append(entries, entry{"layers/" + n, n})
		}
	} else {
		names, err := groupMembers(&f.CommonFG)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if rest, ok := strings.CutPrefix(n, `layers\`); ok {
				entries = append(entries, entry{n, rest})
			}
		}
	}
	var groups []weightGroup
	for _, e := range entries {
		wg := weightGroup{name: e.name}
		vpath := e.link + "/vars"
		if !f.LinkExists(e.link) {
			continue
		}
		lg, err := f.OpenGroup(e.link)
		if err != nil {
			return nil, fmt.Errorf("open group %q: %w", e.link, err)
		}
		if !lg.LinkExists("vars") {
			lg.Close()
			groups = append(groups, wg)
			continue
		}
		vg, err := lg.OpenGroup("vars")
		lg.Close()
		if err != nil {
			return nil, fmt.Errorf("open group %q: %w", vpath, err)
		}
		if hasAttr(vg.ID(), "name") {
			if n, err := readString(vg.ID(), "name"); err == nil && n != "" {
				wg.name, wg.named = n, true
			}
		}
		for i := 0; ; i++ {
			key := strconv.Itoa(i)
			if !vg.LinkExists(key) {
				break
			}
			t, err := readDataset(&vg.CommonFG, key, vpath+"/"+key)
			if err != nil {
				vg.Close()
				return nil, err
			}
			wg.tensors = append(wg.tensors, t)
		}
		vg.Close()
		groups = append(groups, wg)
	}
	return groups, nil
}

func groupMembers(fg *hdf5.CommonFG) ([]string, error) {
	n, err := fg.NumObjects()
	if err != nil {
		return nil, fmt.Errorf("list group members: %w", err)
	}
	names := make([]string, 0, n)
	for i := uint(0); i < n; i++ {
		name, err := fg.ObjectNameByIndex(i)
		if err != nil {
			return nil, fmt.Errorf("list group members: %w", err)
		}
		names = append(names, name)
	}
	return names, nil
}

// readDataset reads a float32 dataset. Other types are refused rather than
// converted, since tracker stores weights bit-exact.
func readDataset(fg *hdf5.CommonFG, name, path string) (tensor, error) {
	t := tensor{path: path}
	ds, err := fg.OpenDataset(name)
	if err != nil {
		return t, fmt.Errorf("dataset %q is missing (weight_names lists it; the file may be truncated)", path)
	}
	defer ds.Close()
	dt, err := ds.Datatype()
	if err != nil {
		return t, fmt.Errorf("dataset %q: read its type: %w", path, err)
	}
	class, size := dt.Class(), dt.Size()
	dt.Close()
	if class != hdf5.T_FLOAT || size != 4 {
		return t, fmt.Errorf("dataset %q holds %d-byte values of HDF5 class %d: tracker stores float32 weights only", path, size, class)
	}
	space := ds.Space()
	defer space.Close()
	if space.SimpleExtentNDims() > 0 {
		dims, _, err := space.SimpleExtentDims()
		if err != nil {
			return t, fmt.Errorf("dataset %q: read its shape: %w", path, err)
		}
		for _, d := range dims {
			t.shape = append(t.shape, int(d))
		}
	}
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	t.data = make([]float32, n)
	if n > 0 {
		if err := ds.Read(&t.data); err != nil {
			return t, fmt.Errorf("dataset %q cannot be read (the file may be truncated): %w", path, err)
		}
	}
	return t, nil
}

// autoOrder sorts Keras 3 auto names of one class numerically: dense,
// dense_1, dense_2, ..., dense_10. It returns -1 for names of another class.
func autoOrder(name, prefix string) int {
	if name == prefix {
		return 0
	}
	rest, ok := strings.CutPrefix(name, prefix+"_")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 {
		return -1
	}
	return n
}

// sortAuto orders groups of one class by their auto-name counter.
func sortAuto(groups []weightGroup, prefix string) {
	slices.SortStableFunc(groups, func(a, b weightGroup) int {
		return autoOrder(a.name, prefix) - autoOrder(b.name, prefix)
	})
}
