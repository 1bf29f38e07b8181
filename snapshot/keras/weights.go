package keras

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/hdf5"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
)

// Bounds on what a weights file may declare, so that a few kilobytes of
// hostile HDF5 cannot make tracker allocate gigabytes before any check.
const (
	// maxParams bounds a model's weight count: 2^25 float32 values are
	// 128 MiB, and tracker holds a few copies of them while it hashes and
	// stores a version. Its models are tabular MLPs: the largest real one
	// seen holds under a million weights.
	maxParams = 1 << 25
	// maxNames bounds a name-list attribute (layer_names, weight_names):
	// a thousand layers with long names are a few tens of KB.
	maxNames = 1 << 20
	// maxName bounds one link name in a weights group.
	maxName = 1 << 16
	// maxMembers bounds the links of one group: one per layer or variable.
	maxMembers = 1 << 16
	// maxShortAttr bounds keras_version, backend and a vars group's name.
	maxShortAttr = 1 << 16
)

// tensor is a weight array declared by an HDF5 file. Its data is read
// only once the architecture has said what shape it must have.
type tensor struct {
	role  string // kernel, bias, ... as far as the file says; empty for Keras 3 vars/<i>
	path  string // HDF5 path from the root, to read it and for messages
	shape []int
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

// weightsFile is an open HDF5 weights file and what it declares. Close it.
type weightsFile struct {
	layout       h5Layout
	groups       []weightGroup // legacy: layer_names order; v3: file order
	kerasVersion string
	backend      string
	modelConfig  string // full-model files: the model_config attr
	name         string // the file as messages call it
	f            *hdf5.File
	guard        *h5guard
	fd           *os.File
}

// Close releases the file.
func (wf *weightsFile) Close() {
	if wf.f != nil {
		wf.f.Close()
	}
	if wf.fd != nil {
		wf.fd.Close()
	}
}

// openWeights opens path and reads what its weights are, not their values.
// name is how messages call the file (a zip member has a temporary path of
// its own). The file is opened once by tracker, refused unless regular,
// checked by h5guard and handed to libhdf5 by descriptor, so libhdf5 reads
// the very bytes that were checked. Call it inside withHDF5.
func openWeights(path, name string) (*weightsFile, error) {
	fd, err := safefile.Open(path)
	if err != nil {
		return nil, openError(name, err)
	}
	wf := &weightsFile{name: name, fd: fd}
	if err := wf.open(path); err != nil {
		wf.Close()
		return nil, err
	}
	return wf, nil
}

func (wf *weightsFile) open(path string) error {
	name, fd := wf.name, wf.fd
	g, err := newH5Guard(fd, name)
	if err != nil {
		if errors.Is(err, errDamaged) {
			if strings.Contains(err.Error(), "no HDF5 superblock") {
				return fmt.Errorf("%s is not an HDF5 file (or it is truncated): a Keras weights file is written by model.save_weights or model.save", name)
			}
			return damagedFile(name, err)
		}
		return fmt.Errorf("read %s: %w", name, err)
	}
	wf.guard = g
	if err := g.checkObject(g.root, "root group"); err != nil {
		return damagedFile(name, err)
	}
	open := path
	if _, err := os.Stat("/proc/self/fd"); err == nil {
		open = "/proc/self/fd/" + strconv.Itoa(int(fd.Fd()))
	}
	if wf.f, err = hdf5.OpenFile(open, hdf5.F_ACC_RDONLY); err != nil {
		return fmt.Errorf("%s cannot be opened as HDF5 (it may be truncated or damaged): save the model again", name)
	}
	if err := wf.readLayout(); err != nil {
		if errors.Is(err, errDamaged) {
			return damagedFile(name, err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// openError words a failure to open a model file.
func openError(name string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s does not exist", ErrNotFound, name)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%s cannot be read (permission denied): check the file's permissions or run as its owner", name)
	case errors.Is(err, safefile.ErrNotRegular):
		return fmt.Errorf("%w: pass the model file itself", err)
	}
	return fmt.Errorf("open %s: %w", name, err)
}

// damagedFile words a structure h5guard refused.
func damagedFile(name string, err error) error {
	return fmt.Errorf("%s is damaged: %w (libhdf5 would misread it): save the model again", name, err)
}

func (wf *weightsFile) readLayout() error {
	root := wf.f.ID()
	if hasAttr(root, "keras_version") {
		wf.kerasVersion, _ = readString(root, "keras_version", maxShortAttr)
	}
	if hasAttr(root, "backend") {
		wf.backend, _ = readString(root, "backend", maxShortAttr)
	}
	if hasAttr(root, "model_config") {
		var err error
		if wf.modelConfig, err = readString(root, "model_config", maxConfig); err != nil {
			return err
		}
	}
	var err error
	switch {
	case hasAttr(root, "layer_names"):
		wf.layout = layoutLegacy
		wf.groups, err = wf.readLegacy(root, "")
	default:
		k, kerr := linkKind(root, "model_weights")
		if kerr != nil {
			return kerr
		}
		if k == linkNone {
			wf.layout = layoutV3
			wf.groups, err = wf.readV3()
			if err == nil && len(wf.groups) == 0 {
				err = fmt.Errorf("no layer_names attribute, no model_weights group and no layers group: this HDF5 file holds no Keras weights")
			}
			break
		}
		g, gerr := wf.openGroup("model_weights")
		if gerr != nil {
			return gerr
		}
		defer g.Close()
		if !hasAttr(g.ID(), "layer_names") {
			return fmt.Errorf("group model_weights has no layer_names attribute: this is not a file Keras wrote")
		}
		if wf.kerasVersion == "" && hasAttr(g.ID(), "keras_version") {
			wf.kerasVersion, _ = readString(g.ID(), "keras_version", maxShortAttr)
		}
		wf.layout = layoutLegacy
		wf.groups, err = wf.readLegacy(g.ID(), "model_weights/")
	}
	return err
}

// hardPath refuses a path unless every link on it is a hard link inside
// this file: a soft or external link may lead to another file, a device
// or a named pipe, which libhdf5 would open by name.
func (wf *weightsFile) hardPath(path string) error {
	parts := strings.Split(path, "/")
	for i := range parts {
		if parts[i] == "" || parts[i] == "." {
			continue
		}
		prefix := strings.Join(parts[:i+1], "/")
		k, err := linkKind(wf.f.ID(), prefix)
		switch {
		case err != nil:
			return err
		case k == linkNone:
			return fmt.Errorf("%s is missing (the file may be truncated): %w", quote.Short(prefix), errMissing)
		case k != linkHard:
			return fmt.Errorf("%s is a soft or external link, which Keras never writes: tracker reads only what is inside the file", quote.Short(prefix))
		}
	}
	return nil
}

// errMissing marks a group or dataset that a name list promises and the
// file lacks.
var errMissing = errors.New("missing")

// errUnreadable marks weights whose values libhdf5 could not read once
// their shapes were checked: a damaged or truncated file, not a mismatch
// of structure and weights.
var errUnreadable = errors.New("weights unreadable")

// openGroup opens a group by its path from the root after checking the
// path and the group's header.
func (wf *weightsFile) openGroup(path string) (*hdf5.Group, error) {
	if err := wf.hardPath(path); err != nil {
		return nil, fmt.Errorf("group %w", err)
	}
	g, err := wf.f.OpenGroup(path)
	if err != nil {
		return nil, fmt.Errorf("group %s cannot be opened (it is not a group, or the file is damaged)", quote.Short(path))
	}
	addr, err := objAddr(g.ID(), "")
	if err == nil {
		err = wf.guard.checkObject(addr, "group "+quote.Short(path))
	}
	if err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// readLegacy reads the Keras 2 layout: attr layer_names lists the layer
// groups, each group's attr weight_names lists its datasets by path.
func (wf *weightsFile) readLegacy(loc int64, prefix string) ([]weightGroup, error) {
	names, err := readStrings(loc, "layer_names", maxNames)
	if err != nil {
		return nil, err
	}
	groups := make([]weightGroup, 0, len(names))
	for _, name := range names {
		path := prefix + name
		g, err := wf.openGroup(path)
		if errors.Is(err, errMissing) {
			return nil, fmt.Errorf("layer_names lists %s but the file has no such group (it may be truncated): save the model again", quote.Short(path))
		}
		if err != nil {
			return nil, err
		}
		wg, err := wf.readLegacyGroup(g, path)
		g.Close()
		if err != nil {
			return nil, err
		}
		groups = append(groups, wg)
	}
	return groups, nil
}

func (wf *weightsFile) readLegacyGroup(g *hdf5.Group, path string) (weightGroup, error) {
	wg := weightGroup{name: path[strings.LastIndex(path, "/")+1:], named: true}
	wnames, err := readStrings(g.ID(), "weight_names", maxNames)
	if err != nil {
		return wg, fmt.Errorf("group %s: %w", quote.Short(path), err)
	}
	for _, wn := range wnames {
		t, err := wf.declare(path + "/" + wn)
		if errors.Is(err, errMissing) {
			return wg, fmt.Errorf("dataset %s is missing (weight_names of group %s lists it; the file may be truncated): save the model again", quote.Short(path+"/"+wn), quote.Short(path))
		}
		if err != nil {
			return wg, err
		}
		t.role = keras1Role(wg.name, roleOf(wn))
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

// keras1Roles maps the suffixes of Keras 1 weight names to Keras 2 roles.
// BatchNormalization's running_std keeps its name: tracker refuses Keras 1
// normalisation rather than guess whether it holds a deviation or a variance.
var keras1Roles = map[string]string{"W": "kernel", "b": "bias", "gamma": "gamma", "beta": "beta"}

// keras1Role turns a Keras 1 weight name, LAYER_W or LAYER_b with no scope
// ("dense_1_W", or "dense_1_W:0" on TensorFlow), into kernel or bias.
// Keras 2 names always carry a scope ("dense_1/kernel:0") and pass through.
func keras1Role(layer, role string) string {
	if r, ok := strings.CutPrefix(role, layer+"_"); ok {
		if k, ok := keras1Roles[r]; ok {
			return k
		}
	}
	return role
}

// readV3 reads the Keras 3 layout, layers/<auto_name>/vars/<i>. Files saved
// on Windows hold single links named `layers\<auto_name>` at the root.
func (wf *weightsFile) readV3() ([]weightGroup, error) {
	type entry struct{ link, name string }
	var entries []entry
	k, err := linkKind(wf.f.ID(), "layers")
	if err != nil {
		return nil, err
	}
	if k != linkNone {
		g, err := wf.openGroup("layers")
		if err != nil {
			return nil, err
		}
		names, err := groupMembers(g.ID(), "layers")
		g.Close()
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			entries = append(entries, entry{"layers/" + n, n})
		}
	} else {
		names, err := groupMembers(wf.f.ID(), "/")
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
		if err := wf.hardPath(e.link); err != nil {
			return nil, fmt.Errorf("group %w", err)
		}
		k, err := linkKind(wf.f.ID(), vpath)
		if err != nil || k == linkNone {
			// A layer without weights may have no vars group; an unreadable
			// link is checked when the structure asks for the layer.
			groups = append(groups, wg)
			continue
		}
		vg, err := wf.openGroup(vpath)
		if err != nil {
			return nil, err
		}
		if hasAttr(vg.ID(), "name") {
			if n, err := readString(vg.ID(), "name", maxShortAttr); err == nil && n != "" {
				wg.name, wg.named = n, true
			}
		}
		for i := 0; ; i++ {
			key := strconv.Itoa(i)
			k, err := linkKind(vg.ID(), key)
			if err != nil || k == linkNone {
				break
			}
			if i >= maxMembers {
				vg.Close()
				return nil, fmt.Errorf("group %s has more than %d variables", quote.Short(vpath), maxMembers)
			}
			t, err := wf.declare(vpath + "/" + key)
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

// declare reads what the dataset at path declares, checked before the
// structure is consulted: float32, stored in this file uncompressed, and
// no larger than any model tracker holds.
func (wf *weightsFile) declare(path string) (tensor, error) {
	t := tensor{path: path}
	if err := wf.hardPath(path); err != nil {
		return t, fmt.Errorf("dataset %w", err)
	}
	addr, err := objAddr(wf.f.ID(), path)
	if err != nil {
		return t, fmt.Errorf("dataset %s cannot be located: %w", quote.Short(path), errMissing)
	}
	if err := wf.guard.checkObject(addr, "dataset "+quote.Short(path)); err != nil {
		return t, err
	}
	in, err := wf.datasetInfo(path)
	if err != nil {
		return t, err
	}
	t.shape = in.dims
	return t, nil
}

// datasetInfo opens the dataset at path and checks what it declares.
func (wf *weightsFile) datasetInfo(path string) (dsInfo, error) {
	ds, err := wf.f.OpenDataset(path)
	if err != nil {
		return dsInfo{}, fmt.Errorf("%s is not a dataset, or it is damaged", quote.Short(path))
	}
	defer ds.Close()
	in, err := datasetInfo(ds.ID())
	if err != nil {
		return in, fmt.Errorf("dataset %s: %w", quote.Short(path), err)
	}
	return in, checkDeclared(path, in)
}

// checkDeclared refuses a dataset tracker cannot read bit-exactly and
// safely, whatever the structure says.
func checkDeclared(path string, in dsInfo) error {
	q := quote.Short(path)
	switch {
	case !in.f32:
		return fmt.Errorf("dataset %s holds %s: tracker stores float32 weights only (convert the model with model.set_dtype_policy(\"float32\") or tf.keras.backend.set_floatx(\"float32\") and save it again)", q, typeName(in.class, in.size))
	case in.external > 0:
		return fmt.Errorf("dataset %s keeps its values in external files (%d), which Keras never writes: tracker reads only what is inside the file", q, in.external)
	case in.layout != layoutCompact && in.layout != layoutContiguous && in.layout != layoutChunked:
		return fmt.Errorf("dataset %s is a virtual dataset, which Keras never writes: tracker reads only what is inside the file", q)
	case in.filters > 0:
		return fmt.Errorf("dataset %s is compressed or filtered (%d filters), which Keras never writes: save the model again with Keras", q, in.filters)
	}
	n := 1
	for i, d := range in.dims {
		n *= d
		if n > maxParams {
			return fmt.Errorf("dataset %s declares shape %v, more than the %d weights tracker holds in a whole model: the file is damaged or not a model tracker can run", q, in.declared, maxParams)
		}
		if in.chunk != nil && in.chunk[i] > max(d, 1) {
			return fmt.Errorf("dataset %s declares chunks %v larger than its shape %v: the file is damaged, save the model again", q, in.chunk, in.declared)
		}
	}
	return nil
}

// typeName words an HDF5 type class and size for a message.
func typeName(class, size int) string {
	switch class {
	case int(hdf5.T_FLOAT):
		if size == 2 {
			return "float16 values"
		}
		return fmt.Sprintf("%d-bit floats", 8*size)
	case int(hdf5.T_INTEGER):
		return fmt.Sprintf("%d-bit integers", 8*size)
	case int(hdf5.T_STRING):
		return "strings"
	}
	return fmt.Sprintf("values of HDF5 class %d and %d bytes", class, size)
}

// read reads a declared tensor's values, checking again that the dataset
// still declares the shape that was checked against the structure.
func (wf *weightsFile) read(t tensor) ([]float32, error) {
	in, err := wf.datasetInfo(t.path)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(in.dims, t.shape) {
		return nil, fmt.Errorf("dataset %s changed shape while it was read", quote.Short(t.path))
	}
	ds, err := wf.f.OpenDataset(t.path)
	if err != nil {
		return nil, fmt.Errorf("%s is not a dataset, or it is damaged", quote.Short(t.path))
	}
	defer ds.Close()
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	data, err := readFloat32(ds.ID(), n)
	if err != nil {
		return nil, fmt.Errorf("%w: dataset %s: %w: save the model again", errUnreadable, quote.Short(t.path), err)
	}
	return data, nil
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
