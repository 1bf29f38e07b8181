package keras

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/snapshot"
)

// layerConfig is one layer as the model config describes it.
type layerConfig struct {
	class string
	name  string
	cfg   map[string]any
	order int // position in the config's layer list, which is the order Keras saves weights in
	// keras1 marks a layer of a Keras 1 config, whose keys differ
	// (output_dim, bias, p).
	keras1 bool
	// inbound is the layer feeding this one in a functional config, kept
	// so an export can rebuild the functional form; "" in a Sequential.
	inbound string
}

// modelConfig is a parsed Keras model config reduced to a chain of layers.
type modelConfig struct {
	name         string
	layers       []layerConfig // chain order, input to output, InputLayer removed
	all          []layerConfig // config order, InputLayer included
	inputs       int           // declared input width, 0 if the config does not say
	kerasVersion string        // from to_json's top-level keras_version, if any
	backend      string
	keras1       bool // a Keras 1 config: see isKeras1
}

// supportedClasses lists the layer classes tracker runs, with Keras's other
// names for them.
var supportedClasses = map[string]string{
	"InputLayer":         "InputLayer",
	"Dense":              snapshot.ClassDense,
	"Activation":         snapshot.ClassActivation,
	"Dropout":            snapshot.ClassDropout,
	"BatchNormalization": snapshot.ClassBatchNormalization,
	"Flatten":            snapshot.ClassFlatten,
}

// Bounds on a structure file. A Keras config is kilobytes for the models
// tracker runs and a few megabytes for the largest functional graphs Keras
// users save; to_yaml output is smaller still. maxConfig is four times the
// largest of those, so no real model is refused while a 4 GiB bomb is never
// inflated. maxValues bounds the decoded values (a 1000-layer config has
// about 40,000) and keeps the decoded tree to tens of MB; maxDepth bounds
// nesting (a Keras 3 functional config nests about 12 deep).
const (
	maxConfig = 16 << 20
	maxValues = 1 << 18
	maxDepth  = 64
)

// parseStructure decodes a structure file: JSON from model.to_json, or YAML
// from model.to_yaml (Keras 2 only), into a modelConfig.
func parseStructure(data []byte) (*modelConfig, error) {
	if len(data) > maxConfig {
		return nil, fmt.Errorf("the config is %s, more than the %s any Keras model config needs", safefile.Size(int64(len(data))), safefile.Size(maxConfig))
	}
	trimmed := bytes.TrimSpace(data)
	var root any
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if err := checkJSONSize(trimmed); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(trimmed, &root); err != nil {
			return nil, fmt.Errorf("not valid JSON: %s", quote.Cut(err.Error(), 200))
		}
	} else {
		var doc yaml.Node
		if err := yaml.Unmarshal(trimmed, &doc); err != nil {
			return nil, fmt.Errorf("neither JSON nor YAML: %s", quote.Cut(err.Error(), 200))
		}
		budget := maxValues
		if err := checkYAMLSize(&doc, 0, &budget); err != nil {
			return nil, err
		}
		if err := doc.Decode(&root); err != nil {
			return nil, fmt.Errorf("not a YAML model config: %s", quote.Cut(err.Error(), 200))
		}
	}
	return parseModel(root)
}

// checkJSONSize refuses JSON nested deeper than maxDepth or holding more
// than maxValues values, before it is decoded into a tree. It counts
// brackets and separators outside strings; malformed JSON is left for the
// decoder to refuse.
func checkJSONSize(b []byte) error {
	depth, values := 0, 1
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > maxDepth {
				return fmt.Errorf("the config nests deeper than %d levels, which no Keras model config does", maxDepth)
			}
		case c == ']' || c == '}':
			depth--
		case c == ',' || c == ':':
			values++
		}
		if values > maxValues {
			return fmt.Errorf("the config holds more than %d values, more than any model tracker runs", maxValues)
		}
	}
	return nil
}

// checkYAMLSize walks a YAML document as decoding would expand it, aliases
// included, and refuses one deeper than maxDepth or with more than
// maxValues nodes: a few hundred bytes of nested aliases expand to
// billions.
func checkYAMLSize(n *yaml.Node, depth int, budget *int) error {
	if depth > maxDepth {
		return fmt.Errorf("the config nests deeper than %d levels, which no Keras model config does", maxDepth)
	}
	if *budget--; *budget < 0 {
		return fmt.Errorf("the config holds more than %d values once its aliases are expanded, more than any model tracker runs", maxValues)
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return checkYAMLSize(n.Alias, depth+1, budget)
	}
	for _, c := range n.Content {
		if err := checkYAMLSize(c, depth+1, budget); err != nil {
			return err
		}
	}
	return nil
}

// show renders a config value for a message: as JSON, cut short, so a
// message never holds `<nil>`, `map[...]` or a megabyte of list.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "(not JSON)"
	}
	return quote.Cut(string(b), 80)
}

// parseModel reduces a decoded model config to a chain of layers.
func parseModel(root any) (*modelConfig, error) {
	top, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a Keras model config: the top level is not an object with class_name and config")
	}
	class, _ := top["class_name"].(string)
	if class == "" {
		return nil, fmt.Errorf("not a Keras model config: no class_name at the top level")
	}
	mc := &modelConfig{}
	mc.kerasVersion, _ = top["keras_version"].(string)
	mc.backend, _ = top["backend"].(string)
	mc.keras1 = isKeras1(mc.kerasVersion, top["config"])
	var err error
	switch class {
	case "Sequential":
		err = mc.parseSequential(top["config"])
	case "Model", "Functional":
		err = mc.parseFunctional(top["config"])
	default:
		err = fmt.Errorf("%w: model class %s is not supported: tracker reads Sequential models and functional models that form a single chain", ErrUnsupported, quote.Short(class))
	}
	if err != nil && mc.keras1 {
		return nil, fmt.Errorf("%w (%s)", err, keras1Hint)
	}
	if err != nil {
		return nil, err
	}
	return mc, nil
}

// keras1Hint ends a refusal of a Keras 1 config, whose layers tracker reads
// only in part: Keras 2 converts Keras 1 configs and weights on load.
const keras1Hint = "this is a Keras 1 model: tracker reads its Dense, Dropout, Activation and Flatten layers; load it with Keras 2 and save it again to convert the rest"

// isKeras1 tells a Keras 1 config by its keras_version or, when that is
// missing (Keras 1.0 wrote none), by keys only Keras 1 layers have: Dense's
// output_dim and init, Dropout's p.
func isKeras1(version string, cfg any) bool {
	if version != "" {
		return strings.HasPrefix(version, "1.")
	}
	raw, _ := cfg.([]any)
	if m, ok := cfg.(map[string]any); ok {
		raw, _ = m["layers"].([]any)
	}
	for _, r := range raw {
		m, _ := r.(map[string]any)
		c, _ := m["config"].(map[string]any)
		for _, k := range []string{"output_dim", "init"} {
			if _, ok := c[k]; ok {
				return true
			}
		}
		if _, ok := c["p"]; ok && m["class_name"] == "Dropout" {
			return true
		}
	}
	return false
}

func (mc *modelConfig) parseSequential(cfg any) error {
	var raw []any
	switch c := cfg.(type) {
	case []any: // Keras 2.0 and 2.1: the config is the layer list
		raw = c
	case map[string]any:
		mc.name, _ = c["name"].(string)
		raw, _ = c["layers"].([]any)
		if raw == nil {
			return fmt.Errorf("not a Keras model config: Sequential config has no layers list")
		}
	default:
		return fmt.Errorf("not a Keras model config: Sequential config is neither a list nor an object")
	}
	for i, r := range raw {
		l, err := decodeLayer(r, i)
		if err != nil {
			return err
		}
		mc.all = append(mc.all, l)
	}
	return mc.buildChain(mc.all)
}

func (mc *modelConfig) parseFunctional(cfg any) error {
	c, ok := cfg.(map[string]any)
	if !ok {
		return fmt.Errorf("not a Keras model config: functional config is not an object")
	}
	mc.name, _ = c["name"].(string)
	raw, _ := c["layers"].([]any)
	byName := map[string]layerConfig{}
	parents := map[string][]string{}
	for i, r := range raw {
		l, err := decodeLayer(r, i)
		if err != nil {
			return err
		}
		m := r.(map[string]any)
		if n, ok := m["name"].(string); ok && n != "" {
			l.name = n
		}
		mc.all = append(mc.all, l)
		byName[l.name] = l
		parents[l.name] = inboundLayers(m["inbound_nodes"])
	}
	ins := endpointNames(c["input_layers"])
	outs := endpointNames(c["output_layers"])
	if len(ins) != 1 || len(outs) != 1 {
		return fmt.Errorf("functional model has %d inputs and %d outputs: tracker supports one input and one output", len(ins), len(outs))
	}
	// Walk back from the output; every layer must have exactly one parent.
	var chain []layerConfig
	seen := map[string]bool{}
	for name := outs[0]; ; {
		l, ok := byName[name]
		if !ok {
			return fmt.Errorf("functional model refers to layer %s, which its config does not define", quote.Short(name))
		}
		if seen[name] {
			return fmt.Errorf("functional model has a cycle at layer %s", quote.Short(name))
		}
		seen[name] = true
		p := parents[name]
		if len(p) == 1 {
			l.inbound = p[0]
		}
		chain = append(chain, l)
		if name == ins[0] || len(p) == 0 {
			break
		}
		if len(p) > 1 {
			return fmt.Errorf("layer %s (%s) takes %d inputs (%s): tracker supports functional models that form a single chain",
				quote.Short(name), quote.Short(l.class), len(p), quote.List(p))
		}
		name = p[0]
	}
	if len(seen) != len(byName) {
		return fmt.Errorf("functional model has %d layers off the path from input to output: tracker supports functional models that form a single chain", len(byName)-len(seen))
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return mc.buildChain(chain)
}

// decodeLayer reads class_name and config of one layer entry, in either the
// Keras 2 form or the Keras 3 form with module and registered_name.
func decodeLayer(r any, order int) (layerConfig, error) {
	m, ok := r.(map[string]any)
	if !ok {
		return layerConfig{}, fmt.Errorf("not a Keras model config: layer %d is not an object", order)
	}
	class, _ := m["class_name"].(string)
	cfg, _ := m["config"].(map[string]any)
	if class == "" || cfg == nil {
		return layerConfig{}, fmt.Errorf("not a Keras model config: layer %d has no class_name or config", order)
	}
	name, _ := cfg["name"].(string)
	l := layerConfig{class: class, name: name, cfg: cfg, order: order}
	if _, ok := supportedClasses[class]; !ok {
		return l, fmt.Errorf("%w: layer %s is a %s, which tracker does not support (supported: Dense, Activation, Dropout, BatchNormalization, Flatten, InputLayer)", ErrUnsupported, quote.Short(name), quote.Cut(class, quote.MaxRunes))
	}
	if b, ok := m["build_config"].(map[string]any); ok {
		l.cfg = cloneWith(cfg, "build_input_shape", b["input_shape"])
	}
	return l, nil
}

func cloneWith(m map[string]any, k string, v any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for kk, vv := range m {
		c[kk] = vv
	}
	c[k] = v
	return c
}

// inboundLayers returns the names of the layers feeding a functional layer,
// from Keras 2's nested lists or Keras 3's keras_history objects.
func inboundLayers(nodes any) []string {
	var names []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			// Keras 2: [name, node_index, tensor_index, kwargs]
			if len(x) >= 3 {
				if s, ok := x[0].(string); ok {
					if _, ok := x[1].(float64); ok {
						names = append(names, s)
						return
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if h, ok := x["keras_history"].([]any); ok && len(h) > 0 {
				if s, ok := h[0].(string); ok {
					names = append(names, s)
					return
				}
			}
			for _, k := range []string{"args", "config", "kwargs"} {
				if e, ok := x[k]; ok {
					walk(e)
				}
			}
		}
	}
	walk(nodes)
	return names
}

// endpointNames reads input_layers or output_layers: [[name, 0, 0], ...] or,
// in Keras 3 with one endpoint, [name, 0, 0].
func endpointNames(v any) []string {
	list, _ := v.([]any)
	if len(list) == 3 {
		if s, ok := list[0].(string); ok {
			return []string{s}
		}
	}
	var names []string
	for _, e := range list {
		if t, ok := e.([]any); ok && len(t) > 0 {
			if s, ok := t[0].(string); ok {
				names = append(names, s)
			}
		}
	}
	return names
}

// buildChain drops InputLayer entries, taking the input width from them or
// from the first layer's declared input shape.
func (mc *modelConfig) buildChain(chain []layerConfig) error {
	for i := range mc.all {
		mc.all[i].keras1 = mc.keras1
	}
	for i, l := range chain {
		l.keras1 = mc.keras1
		for _, key := range []string{"batch_input_shape", "batch_shape", "input_shape", "build_input_shape"} {
			shape, ok := l.cfg[key]
			if !ok || shape == nil || (i > 0 && key == "build_input_shape") {
				continue
			}
			n, err := flatWidth(shape, key == "input_shape")
			if err != nil {
				return fmt.Errorf("layer %s (%s): %s %s: %w", quote.Short(l.name), l.class, key, show(shape), err)
			}
			if mc.inputs == 0 {
				mc.inputs = n
			}
			break
		}
		if d, ok := l.cfg["input_dim"]; ok && d != nil && mc.inputs == 0 && i == 0 {
			n, err := featureCount(d)
			if err != nil {
				return fmt.Errorf("layer %s (%s): input_dim %w", quote.Short(l.name), l.class, err)
			}
			mc.inputs = n
		}
		if l.class != "InputLayer" {
			mc.layers = append(mc.layers, l)
		}
	}
	if len(mc.layers) == 0 {
		return fmt.Errorf("the model config has no layers besides its input")
	}
	return nil
}

// flatWidth returns n for a shape [null, n] (or [n] when the batch axis is
// left out) and refuses anything that is not a flat feature vector.
func flatWidth(shape any, noBatch bool) (int, error) {
	dims, ok := shape.([]any)
	if !ok {
		return 0, fmt.Errorf("is not a list")
	}
	if !noBatch {
		if len(dims) == 0 {
			return 0, fmt.Errorf("has no dimensions")
		}
		dims = dims[1:]
	}
	if len(dims) != 1 {
		return 0, fmt.Errorf("%w: input has %d feature dimensions: tracker supports models whose input is a flat vector of features", ErrUnsupported, len(dims))
	}
	return featureCount(dims[0])
}

// maxFeatures bounds a declared input width; no config that asks for more is
// a model tracker could hold.
const maxFeatures = 1 << 24

// featureCount reads a declared input width: a whole number from 1 to
// maxFeatures.
func featureCount(v any) (int, error) {
	n, ok := number(v)
	switch {
	case !ok:
		return 0, fmt.Errorf("has no fixed feature count")
	case n != math.Trunc(n) || n < 1 || n > maxFeatures:
		return 0, fmt.Errorf("feature count %s is not a whole number from 1 to %d", show(v), maxFeatures)
	}
	return int(n), nil
}

// spec converts a layer's config into the engine's Spec.
func (l layerConfig) spec() (snapshot.Spec, error) {
	s := snapshot.Spec{Name: l.name, Class: supportedClasses[l.class], Inbound: l.inbound}
	bad := func(format string, args ...any) (snapshot.Spec, error) {
		msg := fmt.Sprintf(format, args...)
		if l.keras1 {
			msg += " (" + keras1Hint + ")"
		}
		return s, fmt.Errorf("layer %s (%s): %s", quote.Short(l.name), l.class, msg)
	}
	switch s.Class {
	case snapshot.ClassDense:
		unitsKey, biasKey := "units", "use_bias"
		if l.keras1 {
			unitsKey, biasKey = "output_dim", "bias"
		}
		units, ok := number(l.cfg[unitsKey])
		if !ok || units != math.Trunc(units) || units <= 0 || units > maxParams {
			return bad("%s %s is not a whole number from 1 to %d", unitsKey, show(l.cfg[unitsKey]), maxParams)
		}
		s.Units = int(units)
		act, err := activation(l.cfg["activation"])
		if err != nil {
			return bad("%v", err)
		}
		s.Activation = act
		s.UseBias = boolOr(l.cfg[biasKey], true)
	case snapshot.ClassActivation:
		act, err := activation(l.cfg["activation"])
		if err != nil {
			return bad("%v", err)
		}
		s.Activation = act
	case snapshot.ClassDropout:
		rateKey := "rate"
		if l.keras1 {
			rateKey = "p"
		}
		rate, ok := number(l.cfg[rateKey])
		if !ok {
			return bad("%s %s is not a number", rateKey, show(l.cfg[rateKey]))
		}
		s.Rate = rate
	case snapshot.ClassBatchNormalization:
		if l.keras1 {
			// Keras 1 stores running_std, a standard deviation in some 1.x
			// releases and a variance in others, beside a mode that changes
			// what the layer computes: reading it would be a guess.
			return s, fmt.Errorf("%w: layer %s (BatchNormalization) is from a Keras 1 model, whose running_std and mode tracker cannot read reliably: load the model with Keras 2 and save it again",
				ErrUnsupported, quote.Short(l.name))
		}
		if !lastAxis(l.cfg["axis"]) {
			return bad("axis %s: tracker supports normalisation over the feature axis only", show(l.cfg["axis"]))
		}
		s.Epsilon = 1e-3
		if e, ok := number(l.cfg["epsilon"]); ok {
			s.Epsilon = e
		}
		s.Momentum = 0.99 // Keras's default, when the config leaves it out
		if m, ok := number(l.cfg["momentum"]); ok {
			s.Momentum = m
		}
		s.Center = boolOr(l.cfg["center"], true)
		s.Scale = boolOr(l.cfg["scale"], true)
	}
	return s, nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

func boolOr(v any, def bool) bool {
	if b, ok := v.(bool); ok {
		return b
	}
	return def
}

// lastAxis accepts the BatchNormalization axis settings that mean the
// feature axis of a flat input: -1, 1, or a one-element list of either.
func lastAxis(v any) bool {
	if v == nil {
		return true
	}
	if l, ok := v.([]any); ok {
		if len(l) != 1 {
			return false
		}
		v = l[0]
	}
	n, ok := number(v)
	return ok && (n == -1 || n == 1)
}

// activation reads an activation name; Keras writes it as a string, and
// Keras 3 may wrap a registered function in an object.
func activation(v any) (string, error) {
	switch a := v.(type) {
	case nil:
		return "linear", nil
	case string:
		return a, nil
	case map[string]any:
		if c, ok := a["config"].(string); ok {
			return c, nil
		}
		if c, ok := a["class_name"].(string); ok {
			return "", fmt.Errorf("activation %s is a custom object, which tracker does not support", quote.Short(c))
		}
	}
	return "", fmt.Errorf("activation %s is not a name", show(v))
}

// snakeCase turns a Keras class name into the prefix Keras 3 uses for
// auto-generated weight group names: BatchNormalization -> batch_normalization.
func snakeCase(class string) string {
	var b strings.Builder
	for i, r := range class {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prev := rune(class[i-1])
			nextLower := i+1 < len(class) && class[i+1] >= 'a' && class[i+1] <= 'z'
			if (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9') || nextLower {
				b.WriteByte('_')
			}
		}
		if upper {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
