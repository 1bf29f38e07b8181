package keras

import (
	"fmt"
	"strings"

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

// assemble ties the weights in wf to the layers of mc and returns the layers
// and the input width.
func assemble(mc *modelConfig, wf *weightsFile) ([]snapshot.Layer, int, error) {
	specs := make([]snapshot.Spec, len(mc.layers))
	for i, l := range mc.layers {
		s, err := l.spec()
		if err != nil {
			return nil, 0, err
		}
		specs[i] = s
	}
	var byLayer map[string]weightGroup
	var err error
	if wf.layout == layoutLegacy {
		byLayer, err = matchByName(mc, wf.groups)
	} else {
		byLayer, err = matchV3(mc, wf.groups)
	}
	if err != nil {
		return nil, 0, err
	}
	layers := make([]snapshot.Layer, len(specs))
	for i, s := range specs {
		layers[i].Spec = s
		want := roles(s)
		g := byLayer[s.Name]
		if len(g.tensors) != len(want) {
			return nil, 0, fmt.Errorf("layer %q (%s) has %d weight tensors in the weights file, the structure needs %d (%s)",
				s.Name, s.Class, len(g.tensors), len(want), strings.Join(want, ", "))
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
					return nil, 0, fmt.Errorf("layer %q (%s) has no %q weight in the weights file (it has %s)", s.Name, s.Class, role, tensorRoles(g.tensors))
				}
			}
			layers[i].Weights = append(layers[i].Weights, snapshot.Tensor{Name: role, Shape: t.shape, Data: t.data})
		}
	}
	inputs := mc.inputs
	if inputs == 0 {
		// Older configs may not declare the input; the first kernel does.
		for _, l := range layers {
			if l.Class == snapshot.ClassDense {
				if k := l.Weights[0].Shape; len(k) == 2 {
					inputs = k[0]
				}
				break
			}
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
	return strings.Join(r, ", ")
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
				return nil, fmt.Errorf("the weights file has no group for layer %q (%s)", l.name, l.class)
			}
			continue
		}
		out[l.name] = g
		delete(byName, l.name)
	}
	for _, g := range groups {
		if _, left := byName[g.name]; left && len(g.tensors) > 0 {
			return nil, fmt.Errorf("the weights file has weights for layer %q, which the structure does not have", g.name)
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
			return nil, fmt.Errorf("the weights file has weights in group %q, which matches no layer of the structure", g.name)
		}
	}
	return out, nil
}
