package keras

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/snapshot"
)

// Errors a caller may want to tell apart; match them with errors.Is.
var (
	// ErrNotFound: the path names no model files.
	ErrNotFound = errors.New("model not found")
	// ErrNoStructure: a weights file with no architecture in it or beside it.
	ErrNoStructure = errors.New("no structure")
	// ErrAmbiguous: a path matches several structure/weights pairs, and
	// guessing one could store the wrong model.
	ErrAmbiguous = errors.New("ambiguous model files")
	// ErrUnsupported: a layer, model class or input shape tracker cannot run.
	ErrUnsupported = errors.New("unsupported model")
	// ErrMismatch: structure and weights do not describe the same model.
	ErrMismatch = errors.New("structure and weights disagree")
)

// Files names the files that make up one model version.
type Files struct {
	// Structure is the architecture: model.to_json or to_yaml output, or a
	// .keras zip or full-model .h5 whose config is used. Empty when the
	// weights file carries its own config.
	Structure string
	// Weights is an .h5/.hdf5 file (save_weights, model.save or a Keras 3
	// .weights.h5) or a .keras zip.
	Weights string
	// Paired names the naming convention that paired Structure with
	// Weights, such as "NAME.json with NAME_weights.h5", when it is one a
	// user may not expect (anything but NAME_structure/NAME_weights and a
	// shared stem). A caller should show it: a pairing by name is a guess
	// the user can check. Empty when the user named both files or the
	// pairing is the obvious one.
	Paired string
}

// convention is one way people name a structure file and its weights after
// a common NAME: NAME+structure+".json" with NAME+weights+".h5".
type convention struct {
	structure, weights string
	// obvious marks the pairings tracker always made silently; the others
	// are reported through Files.Paired.
	obvious bool
}

// conventions are the pairings Resolve tries, in the order it lists them.
var conventions = []convention{
	{"_structure", "_weights", true},     // tracker export, Model/DATE/NAME_structure.json
	{"", "", true},                       // to_json and save_weights to the same stem
	{"_architecture", "_weights", false}, // the Keras FAQ: my_model_architecture.json
	{"", "_weights", false},              // hls4ml examples and tutorials: NAME.json
}

func (c convention) String() string {
	return "NAME" + c.structure + ".json with NAME" + c.weights + ".h5"
}

var (
	structureExts = []string{".json", ".yaml", ".yml"}
	weightExts    = []string{".h5", ".hdf5"}
)

// pair is one structure/weights pairing found on disk.
type pair struct {
	structure, weights string
	conv               convention
}

func (p pair) files() Files {
	f := Files{Structure: p.structure, Weights: p.weights}
	if !p.conv.obvious {
		f.Paired = p.conv.String()
	}
	return f
}

func (p pair) String() string {
	return filepath.Base(p.structure) + " with " + filepath.Base(p.weights)
}

func stemOf(p string) string { return strings.TrimSuffix(p, filepath.Ext(p)) }

// weightsFor lists, by convention, where the weights of structure file s
// may be, and the pairs of those that exist.
func weightsFor(s string) (tried []string, found []pair) {
	stem := stemOf(s)
	seen := map[string]bool{}
	for _, c := range conventions {
		name, ok := strings.CutSuffix(stem, c.structure)
		if !ok || (name == "" && c.structure != "") {
			continue
		}
		for _, e := range weightExts {
			w := name + c.weights + e
			if seen[w] || w == s {
				continue
			}
			seen[w] = true
			tried = append(tried, w)
			if isFile(w) {
				found = append(found, pair{s, w, c})
			}
		}
	}
	return tried, found
}

// structuresFor lists, by convention, the structure files that exist for
// weights file w.
func structuresFor(w string) []pair {
	stem := stemOf(w)
	seen := map[string]bool{}
	var found []pair
	for _, c := range conventions {
		name, ok := strings.CutSuffix(stem, c.weights)
		if !ok || (name == "" && c.weights != "") {
			continue
		}
		for _, e := range structureExts {
			s := name + c.structure + e
			if !seen[s] && isFile(s) && (c.obvious || isModelConfig(s)) {
				found = append(found, pair{s, w, c})
			}
			seen[s] = true
		}
	}
	return preferObvious(found)
}

// isModelConfig says whether path is a regular file that reads as a Keras
// model config: JSON or YAML with a top-level class_name. Training scripts
// save metrics and settings as NAME.json beside NAME_weights.h5, and the
// newer pairing rules must not take those for the model's structure. The
// pairings tracker always made take any file, so that a damaged or
// oversized structure is refused by name rather than skipped.
func isModelConfig(path string) bool {
	b, err := safefile.ReadFile(path, maxConfig)
	if err != nil {
		return false
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err == nil || strings.ToLower(filepath.Ext(path)) == ".json" {
		_, ok := top["class_name"]
		return ok
	}
	for _, line := range strings.Split(string(b), "\n") { // YAML from to_yaml
		if strings.HasPrefix(line, "class_name:") {
			return true
		}
	}
	return false
}

// preferObvious keeps the pairings tracker always made (NAME_structure
// with NAME_weights, or one stem for both) when there are any, so that a
// file the newer rules also match does not make a clear pair ambiguous.
func preferObvious(ps []pair) []pair {
	var obvious []pair
	for _, p := range ps {
		if p.conv.obvious {
			obvious = append(obvious, p)
		}
	}
	if len(obvious) > 0 {
		return obvious
	}
	return ps
}

// ambiguous refuses several candidate pairs for what.
func ambiguous(what string, ps []pair) error {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return fmt.Errorf("%w: %s matches %d structure/weights pairs (%s): name the files of the one to ingest", ErrAmbiguous, what, len(ps), quote.List(names))
}

// Resolve turns a path as a user types it into model files: a NAME prefix, a
// structure file with its weights beside it, a .keras zip, an .h5 file, or a
// directory holding exactly one model. A structure and a weights file pair
// by any of the conventions people use (NAME_structure.json with
// NAME_weights.h5, NAME.json with NAME.h5 or NAME_weights.h5,
// NAME_architecture.json with NAME_weights.h5, .yaml as well as .json), and
// a path that matches more than one pair is refused rather than guessed.
// structure, when set, overrides the architecture.
func Resolve(path, structure string) (Files, error) {
	info, err := os.Stat(path)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		return resolvePrefix(path, structure)
	case err != nil:
		return Files{}, fmt.Errorf("%s: %w", path, err)
	case info.IsDir():
		return resolveDir(path, structure)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".json", ".yaml", ".yml":
		if structure != "" {
			return Files{}, fmt.Errorf("%s is a structure file and a structure (%s) was given too: pass the weights file as the path", path, structure)
		}
		tried, found := weightsFor(path)
		found = preferObvious(found)
		switch len(found) {
		case 0:
			return Files{}, fmt.Errorf("%w: no weights file beside %s (looked for %s): pass the weights file as the path and this file as its structure",
				ErrNotFound, path, strings.Join(tried, ", "))
		case 1:
			return found[0].files(), nil
		}
		return Files{}, ambiguous(path, found)
	case ".h5", ".hdf5", ".keras":
		if structure != "" || ext == ".keras" {
			return Files{Structure: structure, Weights: path}, nil
		}
		found := structuresFor(path)
		switch len(found) {
		case 0:
			return Files{Weights: path}, nil
		case 1:
			return found[0].files(), nil
		}
		return Files{}, ambiguous(path, found)
	default:
		return Files{}, fmt.Errorf("%s: unknown model file type %s: tracker reads .json/.yaml structures, .h5/.hdf5 weights and .keras files", path, quote.Short(ext))
	}
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// resolvePrefix pairs the files named PREFIX plus a convention's suffixes.
func resolvePrefix(prefix, structure string) (Files, error) {
	var (
		found          []pair
		lone           string // a structure or weights file with no partner
		triedS, triedW []string
		seenPair       = map[[2]string]bool{}
	)
	base := filepath.Base(prefix)
	for _, c := range conventions {
		if n := base + c.structure + ".json"; !slices.Contains(triedS, n) {
			triedS = append(triedS, n)
		}
		if n := base + c.weights + ".h5"; !slices.Contains(triedW, n) {
			triedW = append(triedW, n)
		}
		ss := []string{structure}
		if structure == "" {
			ss = nil
			for _, e := range structureExts {
				ss = append(ss, prefix+c.structure+e)
			}
		}
		for _, s := range ss {
			for _, e := range weightExts {
				w := prefix + c.weights + e
				sOK, wOK := isFile(s), isFile(w)
				if structure == "" && sOK && !c.obvious && !isModelConfig(s) {
					sOK = false // metrics or settings saved beside the model
				}
				switch {
				case sOK && wOK && !seenPair[[2]string{s, w}]:
					seenPair[[2]string{s, w}] = true
					p := pair{s, w, c}
					if structure != "" {
						p.conv.obvious = true // the user named the structure
					}
					found = append(found, p)
				case sOK && lone == "":
					lone = s
				case wOK && lone == "":
					lone = w
				}
			}
		}
	}
	lookedS := quote.List(triedS) + " (or .yaml, .yml)"
	lookedW := quote.List(triedW) + " (or .hdf5)"
	found = preferObvious(found)
	switch {
	case len(found) == 1:
		return found[0].files(), nil
	case len(found) > 1:
		return Files{}, ambiguous("prefix "+prefix, found)
	case lone != "" && slices.Contains(weightExts, strings.ToLower(filepath.Ext(lone))):
		return Files{}, fmt.Errorf("%w: found %s but no structure beside it (looked for %s): give its structure too", ErrNoStructure, lone, lookedS)
	case lone != "":
		return Files{}, fmt.Errorf("%w: found %s but no weights file beside it (looked for %s)", ErrNotFound, lone, lookedW)
	}
	return Files{}, fmt.Errorf("%w: %s does not exist, and neither does any model file with that prefix (tried %s, and %s)",
		ErrNotFound, prefix, lookedS, lookedW)
}

// resolveDir accepts a directory that holds exactly one model: one
// structure/weights pair by a naming convention, or one weights file
// (.keras, full-model .h5, or weights with the given structure). Structure
// files that pair with nothing are left alone: training scripts save
// history and settings as JSON beside the model.
func resolveDir(dir, structure string) (Files, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Files{}, fmt.Errorf("%s: %w", dir, err)
	}
	var (
		pairs []pair
		used  = map[string]int{}
	)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() || structure != "" || !slices.Contains(structureExts, strings.ToLower(filepath.Ext(p))) {
			continue
		}
		_, found := weightsFor(p)
		for _, f := range found {
			if f.conv.obvious || isModelConfig(f.structure) {
				pairs = append(pairs, f)
			}
		}
	}
	// A weights file an obvious pairing claims goes with that one; weights
	// that only a dropped pairing claimed are then left alone, and counted.
	pairs = preferObvious(pairs)
	for _, f := range pairs {
		used[f.weights]++
	}
	var alone []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		ext := strings.ToLower(filepath.Ext(p))
		if e.IsDir() || used[p] > 0 || (ext != ".keras" && !slices.Contains(weightExts, ext)) {
			continue
		}
		alone = append(alone, p)
	}
	switch {
	case len(pairs) == 0 && len(alone) == 0:
		return Files{}, fmt.Errorf("%w: directory %s holds no model: expected NAME_structure.json with NAME_weights.h5, NAME.json with NAME.h5 or NAME_weights.h5, NAME_architecture.json with NAME_weights.h5, a .keras file or a full-model .h5", ErrNotFound, dir)
	case len(pairs) == 1 && len(alone) == 0:
		return pairs[0].files(), nil
	case len(pairs) == 0 && len(alone) == 1:
		return Files{Structure: structure, Weights: alone[0]}, nil
	}
	var names []string
	for _, p := range pairs {
		names = append(names, p.String())
	}
	for _, a := range alone {
		names = append(names, filepath.Base(a))
	}
	return Files{}, fmt.Errorf("%w: directory %s holds %d models (%s): name the one to ingest", ErrAmbiguous, dir, len(names), quote.List(names))
}

// Load reads and validates one model version. Nothing is written anywhere
// but a temporary copy of a .keras file's weights, removed before it
// returns. What a file declares is checked before anything is allocated
// for it: the structure bounds the weights file, and every dataset's shape
// must be the one the structure gives it before its values are read.
func Load(files Files) (*snapshot.Snapshot, error) {
	var snap *snapshot.Snapshot
	err := withHDF5(func() error {
		var err error
		snap, err = load(files)
		return err
	})
	return snap, err
}

func load(files Files) (*snapshot.Snapshot, error) {
	var (
		mc       *modelConfig
		wf       *weightsFile
		err      error
		meta     snapshot.Meta
		srcRoles = map[string]string{}
	)
	// The architecture comes first when it lives apart from the weights:
	// it says how much a weights file may hold.
	if files.Structure != "" {
		if mc, err = readStructure(files.Structure); err != nil {
			return nil, err
		}
		if _, err := mc.weightBudget(); err != nil {
			return nil, fmt.Errorf("%s: %w", files.Structure, err)
		}
		srcRoles[files.Structure] = "structure"
	}
	if strings.EqualFold(filepath.Ext(files.Weights), ".keras") {
		z, err := openZip(files.Weights)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		if mc == nil {
			mc = z.config
		}
		if wf, err = z.openWeights(mc); err != nil {
			return nil, err
		}
		meta.Format = "keras-v3-zip"
		meta.KerasVersion = z.kerasVersion
		srcRoles[files.Weights] = "model"
	} else {
		if wf, err = openWeights(files.Weights, files.Weights); err != nil {
			return nil, err
		}
		srcRoles[files.Weights] = "weights"
	}
	defer wf.Close()

	switch {
	case files.Structure != "":
		switch ext := strings.ToLower(filepath.Ext(files.Structure)); {
		case ext == ".yaml" || ext == ".yml":
			meta.Format = "keras2-yaml+weights-h5"
		case wf.layout == layoutV3:
			meta.Format = "keras3-weights-h5+structure"
		default:
			meta.Format = "keras2-json+weights-h5"
		}
	case mc != nil: // the .keras file's own config.json
	case wf.modelConfig != "":
		mc, err = parseStructure([]byte(wf.modelConfig))
		if err != nil {
			return nil, fmt.Errorf("%s: model_config attribute: %w", files.Weights, err)
		}
		meta.Format = "keras-full-h5"
		srcRoles[files.Weights] = "model"
	default:
		return nil, fmt.Errorf("%w: %s holds weights but no architecture: give its structure too (the JSON from model.to_json, a .keras file or a full-model .h5 of the same architecture)",
			ErrNoStructure, files.Weights)
	}

	meta.KerasVersion = firstNonEmpty(meta.KerasVersion, wf.kerasVersion, mc.kerasVersion)
	meta.Backend = firstNonEmpty(wf.backend, mc.backend)
	for _, p := range []string{files.Structure, files.Weights} {
		if p == "" || srcRoles[p] == "" {
			continue
		}
		src, err := describe(p, srcRoles[p])
		if err != nil {
			return nil, err
		}
		meta.Sources = append(meta.Sources, src)
		delete(srcRoles, p)
	}

	layers, inputs, err := assemble(mc, wf)
	if err != nil {
		return nil, mismatch(files, err)
	}
	snap, err := snapshot.New(inputs, layers, meta)
	if err != nil {
		return nil, mismatch(files, err)
	}
	return snap, nil
}

func mismatch(files Files, err error) error {
	if errors.Is(err, ErrUnsupported) || errors.Is(err, errUnreadable) {
		return fmt.Errorf("%s: %w", files.Weights, err)
	}
	if files.Structure == "" {
		return fmt.Errorf("%w: %s: %w", ErrMismatch, files.Weights, err)
	}
	return fmt.Errorf("%w: structure %s and weights %s: %w (check that both files come from the same save)", ErrMismatch, files.Structure, files.Weights, err)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// readStructure reads an architecture from a JSON/YAML file, a .keras zip or
// a full-model .h5. Call it inside withHDF5.
func readStructure(path string) (*modelConfig, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".keras":
		z, err := openZip(path)
		if err != nil {
			return nil, err
		}
		z.Close()
		return z.config, nil
	case ".h5", ".hdf5":
		wf, err := openWeights(path, path)
		if err != nil {
			return nil, err
		}
		defer wf.Close()
		if wf.modelConfig == "" {
			return nil, fmt.Errorf("%w: the structure %s holds weights only, no model_config: give the JSON from model.to_json instead", ErrNoStructure, path)
		}
		mc, err := parseStructure([]byte(wf.modelConfig))
		if err != nil {
			return nil, fmt.Errorf("%s: model_config attribute: %w", path, err)
		}
		return mc, nil
	}
	data, err := safefile.ReadFile(path, maxConfig)
	if err != nil {
		if errors.Is(err, safefile.ErrTooLarge) {
			return nil, fmt.Errorf("structure %w: a Keras model config is kilobytes; pass the JSON from model.to_json", err)
		}
		return nil, openError(path, err)
	}
	mc, err := parseStructure(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return mc, nil
}

func describe(path, role string) (snapshot.Source, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return snapshot.Source{}, openError(path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return snapshot.Source{}, fmt.Errorf("read %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return snapshot.Source{Role: role, Path: abs, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// zipModel is an open .keras zip and the config it holds. Close it.
type zipModel struct {
	path         string
	fd           *os.File
	zr           *zip.Reader
	config       *modelConfig
	kerasVersion string
}

// Bounds on the members of a .keras zip besides config.json (maxConfig).
const (
	// maxMetadata bounds metadata.json: a version and a date.
	maxMetadata = 1 << 16
	// weightsOverhead and bytesPerWeight bound model.weights.h5 by the
	// architecture: each weight is 4 bytes, Keras 3 stores up to three
	// optimizer slots per weight beside it (Adam's two moments and a
	// spare), and every layer, variable and slot costs a few KB of HDF5
	// headers. The fixtures use 4 to 15 bytes per weight.
	weightsOverhead = 8 << 20
	bytesPerWeight  = 16
)

// openZip opens a .keras zip and reads its config.json and metadata.json,
// each checked against its declared size and cut off at its cap while it
// inflates. No member is ever extracted by its own name.
func openZip(path string) (*zipModel, error) {
	fd, err := safefile.Open(path)
	if err != nil {
		return nil, openError(path, err)
	}
	z := &zipModel{path: path, fd: fd}
	if err := z.open(); err != nil {
		z.Close()
		return nil, err
	}
	return z, nil
}

func (z *zipModel) open() error {
	path, fd := z.path, z.fd
	info, err := fd.Stat()
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if z.zr, err = zip.NewReader(fd, info.Size()); err != nil {
		return fmt.Errorf("%s is not a readable .keras zip (%s): save it again with model.save(\"NAME.keras\")", path, quote.Cut(err.Error(), 200))
	}
	cfgFile := z.member("config.json")
	if cfgFile == nil {
		return fmt.Errorf("%s has no config.json: it is not a .keras model file", path)
	}
	cfg, err := readMember(cfgFile, maxConfig)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if z.config, err = parseStructure(cfg); err != nil {
		return fmt.Errorf("%s: config.json: %w", path, err)
	}
	if m := z.member("metadata.json"); m != nil {
		if b, err := readMember(m, maxMetadata); err == nil {
			var md struct {
				KerasVersion string `json:"keras_version"`
			}
			if json.Unmarshal(b, &md) == nil {
				z.kerasVersion = quote.Cut(md.KerasVersion, 64)
			}
		}
	}
	return nil
}

// Close releases the zip.
func (z *zipModel) Close() {
	if z.fd != nil {
		z.fd.Close()
	}
}

func (z *zipModel) member(name string) *zip.File {
	for _, f := range z.zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// openWeights copies model.weights.h5 to a temporary file of tracker's
// own naming (libhdf5 reads only files) and opens it. The copy is bounded
// by what the architecture mc can need, checked against the zip's declared
// size before inflating and counted while inflating, and the temporary
// file is removed once libhdf5 has it open.
func (z *zipModel) openWeights(mc *modelConfig) (*weightsFile, error) {
	wm := z.member("model.weights.h5")
	if wm == nil {
		return nil, fmt.Errorf("%s has no model.weights.h5: it is not a .keras model file", z.path)
	}
	params, err := mc.weightBudget()
	if err != nil {
		return nil, fmt.Errorf("%s: config.json: %w", z.path, err)
	}
	limit := int64(weightsOverhead) + bytesPerWeight*int64(params)
	if wm.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: model.weights.h5 declares %s, more than the %s its architecture (%d weights) can need: the file is damaged or not a Keras model",
			z.path, safefile.Size(int64(min(wm.UncompressedSize64, 1<<62))), safefile.Size(limit), params)
	}
	tmp, err := os.CreateTemp("", "tracker-*.weights.h5")
	if err != nil {
		return nil, fmt.Errorf("extract weights of %s: %w", z.path, err)
	}
	// The copy is the user's weights in the clear: its name goes as soon
	// as libhdf5 holds it open (libhdf5 refuses a file already unlinked),
	// so a kill can leave it behind only while it is being written.
	path := tmp.Name()
	defer os.Remove(path)
	rc, err := wm.Open()
	var n int64
	if err == nil {
		n, err = io.Copy(tmp, io.LimitReader(rc, limit+1))
		rc.Close()
	}
	switch {
	case err != nil:
		tmp.Close()
		return nil, fmt.Errorf("%s: model.weights.h5 cannot be extracted: %s", z.path, zipProblem(err))
	case n > limit:
		tmp.Close()
		return nil, fmt.Errorf("%s: model.weights.h5 inflates past the %s its architecture (%d weights) can need: the file is damaged or not a Keras model", z.path, safefile.Size(limit), params)
	}
	wf := &weightsFile{name: z.path + ": model.weights.h5", fd: tmp}
	if err := wf.open(path); err != nil {
		wf.Close()
		return nil, err
	}
	os.Remove(path)
	return wf, nil
}

// readMember inflates one zip member of at most max bytes: refused on its
// declared size first, then cut off if it inflates past max anyway.
func readMember(f *zip.File, max int64) ([]byte, error) {
	name := quote.Short(f.Name)
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%s declares %s, more than the %s such a member can need: the file is damaged or not a Keras model", name, safefile.Size(int64(min(f.UncompressedSize64, 1<<62))), safefile.Size(max))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %s", name, quote.Cut(err.Error(), 200))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %s", name, zipProblem(err))
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s inflates past the %s such a member can need: the file is damaged or not a Keras model", name, safefile.Size(max))
	}
	return b, nil
}

// zipProblem words an error from inflating a member.
func zipProblem(err error) string {
	if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) {
		return "the zip is damaged (the member's size or checksum does not match what it inflates to): save the model again"
	}
	return quote.Cut(err.Error(), 200)
}
