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

	"github.com/tracker-ml/tracker/snapshot"
)

// Errors a caller may want to tell apart; match them with errors.Is.
var (
	// ErrNotFound: the path names no model files.
	ErrNotFound = errors.New("model not found")
	// ErrNoStructure: a weights file with no architecture in it or beside it.
	ErrNoStructure = errors.New("no structure")
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
}

// Resolve turns a path as a user types it into model files: a NAME prefix of
// NAME_structure.json + NAME_weights.h5, a structure file with a weights file
// of the same stem beside it, a .keras zip, an .h5 file, or a directory
// holding exactly one model. structure, when set, overrides the
// architecture.
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
			return Files{}, fmt.Errorf("%s is a structure file and --structure names %s too: pass the weights file as the path", path, structure)
		}
		w := siblingWeights(path)
		if w == "" {
			return Files{}, fmt.Errorf("%w: no weights file beside %s (looked for %s): pass the weights file as the path and this file with --structure",
				ErrNotFound, path, strings.Join(weightCandidates(path), ", "))
		}
		return Files{Structure: path, Weights: w}, nil
	case ".h5", ".hdf5", ".keras":
		if structure == "" && ext != ".keras" {
			structure = siblingStructure(path)
		}
		return Files{Structure: structure, Weights: path}, nil
	default:
		return Files{}, fmt.Errorf("%s: unknown model file type %q: tracker reads .json/.yaml structures, .h5/.hdf5 weights and .keras files", path, ext)
	}
}

var (
	structureExts = []string{".json", ".yaml", ".yml"}
	weightExts    = []string{".h5", ".hdf5"}
)

// weightCandidates lists where the weights of a structure file may be.
func weightCandidates(structure string) []string {
	stem := strings.TrimSuffix(structure, filepath.Ext(structure))
	var c []string
	if p, ok := strings.CutSuffix(stem, "_structure"); ok {
		for _, e := range weightExts {
			c = append(c, p+"_weights"+e)
		}
	}
	for _, e := range weightExts {
		c = append(c, stem+e)
	}
	return c
}

func siblingWeights(structure string) string {
	for _, c := range weightCandidates(structure) {
		if isFile(c) {
			return c
		}
	}
	return ""
}

// siblingStructure finds NAME.json beside NAME.h5, or NAME_structure.json
// beside NAME_weights.h5.
func siblingStructure(weights string) string {
	stem := strings.TrimSuffix(weights, filepath.Ext(weights))
	var stems []string
	if p, ok := strings.CutSuffix(stem, "_weights"); ok {
		stems = append(stems, p+"_structure")
	}
	stems = append(stems, stem)
	for _, s := range stems {
		for _, e := range structureExts {
			if isFile(s + e) {
				return s + e
			}
		}
	}
	return ""
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

func resolvePrefix(prefix, structure string) (Files, error) {
	var tried []string
	s := structure
	if s == "" {
		for _, e := range structureExts {
			tried = append(tried, prefix+"_structure"+e)
			if isFile(prefix + "_structure" + e) {
				s = prefix + "_structure" + e
				break
			}
		}
	}
	var w string
	for _, e := range weightExts {
		tried = append(tried, prefix+"_weights"+e)
		if isFile(prefix + "_weights" + e) {
			w = prefix + "_weights" + e
			break
		}
	}
	switch {
	case s != "" && w != "":
		return Files{Structure: s, Weights: w}, nil
	case s != "":
		return Files{}, fmt.Errorf("%w: found %s but no weights file beside it (looked for %s_weights.h5 and .hdf5)", ErrNotFound, s, prefix)
	case w != "":
		return Files{}, fmt.Errorf("%w: found %s but no structure beside it (looked for %s_structure.json and .yaml): pass one with --structure", ErrNoStructure, w, prefix)
	}
	return Files{}, fmt.Errorf("%w: %s does not exist, and neither does any model file with that prefix (tried %s)", ErrNotFound, prefix, strings.Join(tried, ", "))
}

// resolveDir accepts a directory that holds exactly one model.
func resolveDir(dir, structure string) (Files, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Files{}, fmt.Errorf("%s: %w", dir, err)
	}
	var found []Files
	used := map[string]bool{}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() || structure != "" || !slices.Contains(structureExts, strings.ToLower(filepath.Ext(p))) {
			continue
		}
		if w := siblingWeights(p); w != "" {
			found = append(found, Files{Structure: p, Weights: w})
			used[w] = true
		}
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		ext := strings.ToLower(filepath.Ext(p))
		if e.IsDir() || used[p] || (ext != ".keras" && !slices.Contains(weightExts, ext)) {
			continue
		}
		found = append(found, Files{Structure: structure, Weights: p})
	}
	switch len(found) {
	case 0:
		return Files{}, fmt.Errorf("%w: directory %s holds no model: expected NAME_structure.json with NAME_weights.h5, NAME.json with NAME.h5, a .keras file or a full-model .h5", ErrNotFound, dir)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, f := range found {
		names = append(names, filepath.Base(f.Weights))
	}
	return Files{}, fmt.Errorf("directory %s holds %d models (%s): name the one to ingest", dir, len(found), strings.Join(names, ", "))
}

// Load reads and validates one model version. Nothing is written anywhere.
func Load(files Files) (*snapshot.Snapshot, error) {
	var (
		wf       *weightsFile
		zipCfg   *zipModel
		err      error
		meta     snapshot.Meta
		srcRoles = map[string]string{}
	)
	if strings.EqualFold(filepath.Ext(files.Weights), ".keras") {
		zipCfg, err = readZip(files.Weights, true)
		if err != nil {
			return nil, err
		}
		wf = zipCfg.weights
		meta.Format = "keras-v3-zip"
		srcRoles[files.Weights] = "model"
	} else {
		if err := checkReadable(files.Weights); err != nil {
			return nil, err
		}
		wf, err = readWeightsFile(files.Weights, files.Weights)
		if err != nil {
			return nil, err
		}
		srcRoles[files.Weights] = "weights"
	}

	var mc *modelConfig
	switch {
	case files.Structure != "":
		mc, err = readStructure(files.Structure)
		if err != nil {
			return nil, err
		}
		srcRoles[files.Structure] = "structure"
		switch ext := strings.ToLower(filepath.Ext(files.Structure)); {
		case ext == ".yaml" || ext == ".yml":
			meta.Format = "keras2-yaml+weights-h5"
		case wf.layout == layoutV3:
			meta.Format = "keras3-weights-h5+structure"
		default:
			meta.Format = "keras2-json+weights-h5"
		}
	case zipCfg != nil:
		mc = zipCfg.config
	case wf.modelConfig != "":
		mc, err = parseStructure([]byte(wf.modelConfig))
		if err != nil {
			return nil, fmt.Errorf("%s: model_config attribute: %w", files.Weights, err)
		}
		meta.Format = "keras-full-h5"
		srcRoles[files.Weights] = "model"
	default:
		return nil, fmt.Errorf("%w: %s holds weights but no architecture: pass the structure with --structure FILE (the JSON from model.to_json, a .keras file or a full-model .h5 of the same architecture)",
			ErrNoStructure, files.Weights)
	}

	meta.KerasVersion = firstNonEmpty(wf.kerasVersion, mc.kerasVersion)
	if zipCfg != nil {
		meta.KerasVersion = firstNonEmpty(zipCfg.kerasVersion, meta.KerasVersion)
	}
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
	if errors.Is(err, ErrUnsupported) {
		return fmt.Errorf("%s: %w", files.Weights, err)
	}
	if files.Structure == "" {
		return fmt.Errorf("%w: %s: %v", ErrMismatch, files.Weights, err)
	}
	return fmt.Errorf("%w: structure %s and weights %s: %v (check that both files come from the same save)", ErrMismatch, files.Structure, files.Weights, err)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %s does not exist", ErrNotFound, path)
		}
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("%s cannot be read (permission denied): check the file's permissions or run as its owner", path)
		}
		return err
	}
	return f.Close()
}

// readStructure reads an architecture from a JSON/YAML file, a .keras zip or
// a full-model .h5.
func readStructure(path string) (*modelConfig, error) {
	if err := checkReadable(path); err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".keras":
		z, err := readZip(path, false)
		if err != nil {
			return nil, err
		}
		return z.config, nil
	case ".h5", ".hdf5":
		wf, err := readWeightsFile(path, path)
		if err != nil {
			return nil, err
		}
		if wf.modelConfig == "" {
			return nil, fmt.Errorf("%w: --structure %s holds weights only, no model_config: pass the JSON from model.to_json instead", ErrNoStructure, path)
		}
		mc, err := parseStructure([]byte(wf.modelConfig))
		if err != nil {
			return nil, fmt.Errorf("%s: model_config attribute: %w", path, err)
		}
		return mc, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read structure: %w", err)
	}
	mc, err := parseStructure(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return mc, nil
}

func describe(path, role string) (snapshot.Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return snapshot.Source{}, err
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

// zipModel is what a .keras zip holds.
type zipModel struct {
	config       *modelConfig
	weights      *weightsFile
	kerasVersion string
}

// maxZipMember caps how much of one zip member is read, so a damaged or
// hostile archive cannot exhaust memory or disk.
const maxZipMember = 8 << 30

func readZip(path string, withWeights bool) (*zipModel, error) {
	if err := checkReadable(path); err != nil {
		return nil, err
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable .keras zip (%v): save it again with model.save(\"NAME.keras\")", path, err)
	}
	defer zr.Close()
	member := func(name string) *zip.File {
		for _, f := range zr.File {
			if f.Name == name {
				return f
			}
		}
		return nil
	}
	z := &zipModel{}
	cfgFile := member("config.json")
	if cfgFile == nil {
		return nil, fmt.Errorf("%s has no config.json: it is not a .keras model file", path)
	}
	cfg, err := readMember(cfgFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if z.config, err = parseStructure(cfg); err != nil {
		return nil, fmt.Errorf("%s: config.json: %w", path, err)
	}
	if m := member("metadata.json"); m != nil {
		if b, err := readMember(m); err == nil {
			var md struct {
				KerasVersion string `json:"keras_version"`
			}
			if json.Unmarshal(b, &md) == nil {
				z.kerasVersion = md.KerasVersion
			}
		}
	}
	if !withWeights {
		return z, nil
	}
	wm := member("model.weights.h5")
	if wm == nil {
		return nil, fmt.Errorf("%s has no model.weights.h5: it is not a .keras model file", path)
	}
	tmp, err := os.CreateTemp("", "tracker-*.weights.h5")
	if err != nil {
		return nil, fmt.Errorf("extract weights of %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	rc, err := wm.Open()
	if err == nil {
		_, err = io.Copy(tmp, io.LimitReader(rc, maxZipMember))
		rc.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("extract weights of %s (the zip may be damaged): %w", path, err)
	}
	wf, err := readWeightsFile(tmp.Name(), path+": model.weights.h5")
	if err != nil {
		return nil, err
	}
	z.weights = wf
	return z, nil
}

func readMember(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxZipMember))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name, err)
	}
	return b, nil
}
