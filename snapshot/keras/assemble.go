package keras

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tracker-ml/tracker/internal/quote"

	"github.com/tracker-ml/tracker/snapshot"
)

// roles lists the weight tensors a layer must have, in Keras's order.
func roles(s snapshot.Spec) []string {
	switch s.Class {
	case snapshot.ClassDense:
		if s.UseBias {
			return []string{"kernel", "bias"}
		}
		return []string{"kernel"}
	case snapshot.ClassBatchNormalization:
		var r []string
		if s.Scale {
			r = append(r, "gamma")
		}
		if s.Center {
			r = append(r, "beta")
		}
		return append(r, "moving_mean", "moving_variance")
	}
	return nil
}

// expectShapes returns the shape each weight of s must have when the layer
// is fed width values, in the order of roles(s).
func expectShapes(s snapshot.Spec, width int) [][]int {
	switch s.Class {
	case snapshot.ClassDense:
		if s.UseBias {
			return [][]int{{width, s.Units}, {s.Units}}
		}
		return [][]int{{width, s.Units}}
	case snapshot.ClassBatchNormalization:
		var out [][]int
		for range roles(s) {
			out = append(out, []int{width})
		}
		return out
	}
	return nil
}

// outWidth is the width a layer of spec s passes on when fed width values.
func outWidth(s snapshot.Spec, width int) int {
	if s.Class == snapshot.ClassDense {
		return s.Units
	}
	return width
}

// paramCount is how many weights the architecture declares when fed inputs
// values, refusing a count past maxParams before anything is allocated.
func paramCount(specs []snapshot.Spec, inputs int) (int, error) {
	n, width := 0, inputs
	for _, s := range specs {
		for _, shape := range expectShapes(s, width) {
			size := 1
			for _, d := range shape {
				size *= d // each factor is at most maxFeatures or maxParams: no overflow
			}
			if n += size; n > maxParams || size > maxParams {
				return 0, fmt.Errorf("%w: the structure declares more than %d weights (layer %s, %s, fed %d values, has %d units): tracker holds tabular models up to that size",
					ErrUnsupported, maxParams, quote.Short(s.Name), s.Class, width, s.Units)
			}
		}
		width = outWidth(s, width)
	}
	return n, nil
}

// specs converts every layer of the chain.
func (mc *modelConfig) specs() ([]snapshot.Spec, error) {
	specs := make([]snapshot.Spec, len(mc.layers))
	for i, l := range mc.layers {
		s, err := l.spec()
		if err != nil {
			return nil, err
		}
		specs[i] = s
	}
	return specs, nil
}

// weightBudget is how many weights a file for mc may hold: the exact count
// when the structure declares its input width, else maxParams.
func (mc *modelConfig) weightBudget() (int, error) {
	specs, err := mc.specs()
	if err != nil {
		return 0, err
	}
	if mc.inputs == 0 {
		return maxParams, nil
	}
	return paramCount(specs, mc.inputs)
}

// assemble ties the weights wf declares to the layers of mc, checks every
// tensor's declared shape against what the structure says it must be, and
// only then reads the values. It returns the layers and the input width.
func assemble(mc *modelConfig, wf *weightsFile) ([]snapshot.Layer, int, error) {
	specs, err := mc.specs()
	if err != nil {
		return nil, 0, err
	}
	var byLayer map[string]weightGroup
	if wf.layout == layoutLegacy {
		byLayer, err = matchByName(mc, wf.groups)
	} else {
		byLayer, err = matchV3(mc, wf.groups)
	}
	if err != nil {
		return nil, 0, err
	}
	picked := make([][]tensor, len(specs))
	for i, s := range specs {
		want := roles(s)
		g := byLayer[s.Name]
		if len(g.tensors) != len(want) {
			return nil, 0, fmt.Errorf("layer %s (%s) has %d weight tensors in the weights file, the structure needs %d (%s)",
				quote.Short(s.Name), s.Class, len(g.tensors), len(want), strings.Join(want, ", "))
		}
		for j, role := range want {
			t := g.tensors[j]
			if wf.layout == layoutLegacy {
				// Keras 2 names every tensor; take them by name, not position.
				t = tensor{}
				for _, c := range g.tensors {
					if c.role == role {
						t = c
					}
				}
				if t.path == "" {
					return nil, 0, fmt.Errorf("layer %s (%s) has no %q weight in the weights file (it has %s)", quote.Short(s.Name), s.Class, role, tensorRoles(g.tensors))
				}
			}
			picked[i] = append(picked[i], t)
		}
	}
	inputs := mc.inputs
	if inputs == 0 {
		// Older configs may not declare the input; the first kernel does.
		for i, s := range specs {
			if s.Class == snapshot.ClassDense {
				if k := picked[i][0].shape; len(k) == 2 && k[0] >= 1 && k[0] <= maxFeatures {
					inputs = k[0]
				}
				break
			}
		}
		if inputs == 0 {
			return nil, 0, fmt.Errorf("the structure declares no input width and the first Dense kernel does not give one")
		}
	}
	if _, err := paramCount(specs, inputs); err != nil {
		return nil, 0, err
	}
	width := inputs
	for i, s := range specs {
		for j, shape := range expectShapes(s, width) {
			if t := picked[i][j]; !slices.Equal(t.shape, shape) {
				return nil, 0, fmt.Errorf("layer %s (%s): %s dataset %s has shape %v, the structure needs %v",
					quote.Short(s.Name), s.Class, roles(s)[j], quote.Short(t.path), t.shape, shape)
			}
		}
		width = outWidth(s, width)
	}
	// Every shape now matches an architecture of at most maxParams weights:
	// reading allocates no more than that.
	layers := make([]snapshot.Layer, len(specs))
	for i, s := range specs {
		layers[i].Spec = s
		for j, role := range roles(s) {
			data, err := wf.read(picked[i][j])
			if err != nil {
				return nil, 0, err
			}
			layers[i].Weights = append(layers[i].Weights, snapshot.Tensor{Name: role, Shape: picked[i][j].shape, Data: data})
		}
	}
	return layers, inputs, nil
}

func tensorRoles(ts []tensor) string {
	var r []string
	for _, t := range ts {
		r = append(r, t.role)
	}
	if len(r) == 0 {
		return "none"
	}
	return quote.List(r)
}

// matchByName pairs Keras 2 weight groups with config layers by layer name,
// and refuses groups with weights that no layer claims.
func matchByName(mc *modelConfig, groups []weightGroup) (map[string]weightGroup, error) {
	byName := make(map[string]weightGroup, len(groups))
	for _, g := range groups {
		byName[g.name] = g
	}
	out := make(map[string]weightGroup, len(mc.layers))
	for _, l := range mc.layers {
		g, ok := byName[l.name]
		if !ok {
			if _, weighted := weightedClasses[l.class]; weighted {
				return nil, fmt.Errorf("the weights file has no group for layer %s (%s)", quote.Short(l.name), l.class)
			}
			continue
		}
		out[l.name] = g
		delete(byName, l.name)
	}
	for _, g := range groups {
		if _, left := byName[g.name]; left && len(g.tensors) > 0 {
			return nil, fmt.Errorf("the weights file has weights for layer %s, which the structure does not have", quote.Short(g.name))
		}
	}
	return out, nil
}

// weightedClasses are the Keras classes whose layers own weights.
var weightedClasses = map[string]struct{}{"Dense": {}, "BatchNormalization": {}}

// matchV3 pairs Keras 3 vars groups with config layers. Keras 3.10+ writes
// the real layer name on each group, so those match by name. Older files
// name groups after the class with a counter (dense, dense_1, ...) in the
// order of the config's layer list, so they match by class and order.
func matchV3(mc *modelConfig, groups []weightGroup) (map[string]weightGroup, error) {
	named := true
	configNames := map[string]bool{}
	for _, l := range mc.all {
		configNames[l.name] = true
	}
	for _, g := range groups {
		if len(g.tensors) > 0 && (!g.named || !configNames[g.name]) {
			named = false
		}
	}
	if named {
		return matchByName(mc, groups)
	}
	out := map[string]weightGroup{}
	for class := range weightedClasses {
		prefix := snakeCase(class)
		var mine []weightGroup
		for _, g := range groups {
			if autoOrder(g.name, prefix) >= 0 {
				mine = append(mine, g)
			}
		}
		sortAuto(mine, prefix)
		var layers []layerConfig
		for _, l := range mc.all {
			if l.class == class {
				layers = append(layers, l)
			}
		}
		if len(layers) != len(mine) {
			return nil, fmt.Errorf("the structure has %d %s layers but the weights file has %d %s groups", len(layers), class, len(mine), prefix)
		}
		for i, l := range layers {
			out[l.name] = mine[i]
		}
	}
	for _, g := range groups {
		if len(g.tensors) == 0 {
			continue
		}
		known := false
		for class := range weightedClasses {
			if autoOrder(g.name, snakeCase(class)) >= 0 {
				known = true
			}
		}
		if !known {
			return nil, fmt.Errorf("the weights file has weights in group %s, which matches no layer of the structure", quote.Short(g.name))
		}
	}
	return out, nil
}
