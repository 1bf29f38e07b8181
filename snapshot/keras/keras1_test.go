package keras

import (
	"errors"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/snapshot"
)

// k1 is the value gen_keras1.py writes at index i of a tensor that starts
// at start.
func k1(start float32, i int) float32 { return float32(i)*0.125 + start }

func TestKeras1ModelsReadWithTheirWeights(t *testing.T) {
	type tensorWant struct {
		role  string
		shape []int
		start float32
	}
	type layerWant struct {
		name, class, activation string
		units                   int
		rate                    float64
		tensors                 []tensorWant
	}
	tests := []struct {
		name   string
		path   string
		inputs int
		layers []layerWant
	}{
		{"a Keras 1.2 Sequential list reads output_dim, bias, p and LAYER_W names", "testdata/keras1/dense.json", 3, []layerWant{
			{"dense_1", snapshot.ClassDense, "relu", 4, 0, []tensorWant{{"kernel", []int{3, 4}, 0}, {"bias", []int{4}, -1}}},
			{"dropout_1", snapshot.ClassDropout, "", 0, 0.25, nil},
			{"dense_2", snapshot.ClassDense, "sigmoid", 1, 0, []tensorWant{{"kernel", []int{4, 1}, 0.5}}},
		}},
		{"a Keras 1.0 file without keras_version reads input_dim and TensorFlow names", "testdata/keras1/noversion.json", 3, []layerWant{
			{"dense_1", snapshot.ClassDense, "linear", 2, 0, []tensorWant{{"kernel", []int{3, 2}, 1}, {"bias", []int{2}, 0}}},
			{"activation_1", snapshot.ClassActivation, "tanh", 0, 0, nil},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Resolve(tc.path, "")
			if err != nil {
				t.Fatal(err)
			}
			snap, err := Load(files)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if snap.Inputs() != tc.inputs {
				t.Errorf("inputs %d, want %d", snap.Inputs(), tc.inputs)
			}
			got := snap.Layers()
			if len(got) != len(tc.layers) {
				t.Fatalf("%d layers, want %d", len(got), len(tc.layers))
			}
			for i, w := range tc.layers {
				g := got[i]
				if g.Spec.Name != w.name || g.Spec.Class != w.class || g.Spec.Units != w.units || g.Spec.Rate != w.rate {
					t.Errorf("layer %d = %+v, want %s %s units=%d rate=%g", i, g.Spec, w.name, w.class, w.units, w.rate)
				}
				if w.activation != "" && g.Spec.Activation != w.activation {
					t.Errorf("layer %s activation %s, want %s", w.name, g.Spec.Activation, w.activation)
				}
				if len(g.Weights) != len(w.tensors) {
					t.Fatalf("layer %s has %d tensors, want %d", w.name, len(g.Weights), len(w.tensors))
				}
				for j, wt := range w.tensors {
					gt := g.Weights[j]
					if gt.Name != wt.role || len(gt.Shape) != len(wt.shape) {
						t.Fatalf("layer %s tensor %d = %s %v, want %s %v", w.name, j, gt.Name, gt.Shape, wt.role, wt.shape)
					}
					for k, v := range gt.Data {
						if v != k1(wt.start, k) {
							t.Fatalf("layer %s %s[%d] = %g, want %g", w.name, wt.role, k, v, k1(wt.start, k))
						}
					}
				}
			}
		})
	}
}

func TestKeras1LayersTrackerCannotReadAreRefused(t *testing.T) {
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"batch normalization says Keras 1, the layer and to convert", "testdata/keras1/batchnorm.json",
			[]string{"batchnormalization_1", "Keras 1", "running_std", "load the model with Keras 2 and save it again"}},
		{"an unknown layer class says it is a Keras 1 model", "testdata/keras1/maxout.json",
			[]string{"maxoutdense_1", "MaxoutDense", "this is a Keras 1 model", "load it with Keras 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Resolve(tc.path, "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(files)
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Load: %v, want ErrUnsupported", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestKeras1WeightNamesMapToKerasRoles(t *testing.T) {
	tests := []struct{ layer, name, want string }{
		{"dense_1", "dense_1_W", "kernel"},
		{"dense_1", "dense_1_b", "bias"},
		{"batchnormalization_1", "batchnormalization_1_gamma", "gamma"},
		{"batchnormalization_1", "batchnormalization_1_running_std", "batchnormalization_1_running_std"},
		{"dense_1", "kernel", "kernel"},
		{"dense_1", "dense_2_W", "dense_2_W"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" in "+tc.layer+" is "+tc.want, func(t *testing.T) {
			if got := keras1Role(tc.layer, roleOf(tc.name)); got != tc.want {
				t.Errorf("keras1Role = %q, want %q", got, tc.want)
			}
		})
	}
}
