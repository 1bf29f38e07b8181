package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
)

// smallNet builds inputs -> hidden (act) -> BatchNorm -> outputs (last) with
// seeded weights.
func smallNet(t *testing.T, act, last string, inputs, hidden, outputs int, kerasVersion string) *snapshot.Snapshot {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	vals := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	pos := func(n int) []float32 {
		v := vals(n, 0.3)
		for i := range v {
			v[i] = 0.5 + float32(math.Abs(float64(v[i])))
		}
		return v
	}
	layers := []snapshot.Layer{
		{Spec: snapshot.Spec{Name: "h", Class: snapshot.ClassDense, Units: hidden, Activation: act, UseBias: true},
			Weights: []snapshot.Tensor{{Name: "kernel", Shape: []int{inputs, hidden}, Data: vals(inputs*hidden, 0.6)}, {Name: "bias", Shape: []int{hidden}, Data: vals(hidden, 0.1)}}},
		{Spec: snapshot.Spec{Name: "bn", Class: snapshot.ClassBatchNormalization, Epsilon: 1e-3, Center: true, Scale: true},
			Weights: []snapshot.Tensor{{Name: "gamma", Shape: []int{hidden}, Data: pos(hidden)}, {Name: "beta", Shape: []int{hidden}, Data: vals(hidden, 0.1)},
				{Name: "moving_mean", Shape: []int{hidden}, Data: vals(hidden, 0.1)}, {Name: "moving_variance", Shape: []int{hidden}, Data: pos(hidden)}}},
		{Spec: snapshot.Spec{Name: "d", Class: snapshot.ClassDropout, Rate: 0.5}},
		{Spec: snapshot.Spec{Name: "out", Class: snapshot.ClassDense, Units: outputs, Activation: last, UseBias: true},
			Weights: []snapshot.Tensor{{Name: "kernel", Shape: []int{hidden, outputs}, Data: vals(hidden*outputs, 0.6)}, {Name: "bias", Shape: []int{outputs}, Data: vals(outputs, 0.1)}}},
	}
	s, err := snapshot.New(inputs, layers, snapshot.Meta{KerasVersion: kerasVersion})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBackwardMatchesFiniteDifferences checks the input gradient of one
// output against central differences, for every activation.
func TestBackwardMatchesFiniteDifferences(t *testing.T) {
	for _, act := range snapshot.Activations {
		for _, kv := range []string{"2.2.4", "3.5.0"} {
			if kv != "2.2.4" && act != "hard_sigmoid" {
				continue
			}
			t.Run(fmt.Sprintf("%s keras %s", act, kv), func(t *testing.T) {
				s := smallNet(t, act, "softmax", 5, 6, 3, kv)
				net, err := nn.New(s)
				if err != nil {
					t.Fatal(err)
				}
				const rows, k = 4, 1
				x := randomRows(11, rows, 5, 1)
				_, tr := net.ForwardTrace(x, rows)
				d := make([]float32, rows*3)
				for r := range rows {
					d[r*3+k] = 1
				}
				g := net.Backward(tr, d, nil)
				const eps = 1e-2
				for i := range x {
					xp := append([]float32(nil), x...)
					xm := append([]float32(nil), x...)
					xp[i] += eps
					xm[i] -= eps
					r := i / 5
					fd := (float64(net.Forward(xp, rows)[r*3+k]) - float64(net.Forward(xm, rows)[r*3+k])) / (2 * eps)
					if math.Abs(fd-float64(g[i])) > 2e-3+0.02*math.Abs(fd) {
						t.Fatalf("d out[%d] / d x[%d]: backward %v, finite difference %v", k, i, g[i], fd)
					}
				}
			})
		}
	}
}

// TestWeightGradientsMatchFiniteDifferences checks dense kernel and bias
// gradients of the summed outputs, which training relies on.
func TestWeightGradientsMatchFiniteDifferences(t *testing.T) {
	s := smallNet(t, "tanh", "sigmoid", 4, 5, 2, "2.2.4")
	net, err := nn.New(s)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 3
	x := randomRows(5, rows, 4, 1)
	_, tr := net.ForwardTrace(x, rows)
	d := make([]float32, rows*2)
	for i := range d {
		d[i] = 1
	}
	g := nn.NewGrads()
	net.Backward(tr, d, g)
	sum := func() float64 {
		var t float64
		for _, v := range net.Forward(x, rows) {
			t += float64(v)
		}
		return t
	}
	const eps = 1e-2
	for li, layer := range []int{0, 3} {
		for ti, grads := range [][]float32{g.Kernel[layer], g.Bias[layer]} {
			w := s.Layers()[layer].Weights[ti].Data
			for _, j := range []int{0, len(w) / 2, len(w) - 1} {
				orig := w[j]
				w[j] = orig + eps
				up := sum()
				w[j] = orig - eps
				down := sum()
				w[j] = orig
				fd := (up - down) / (2 * eps)
				if math.Abs(fd-float64(grads[j])) > 2e-3+0.02*math.Abs(fd) {
					t.Errorf("layer %d tensor %d weight %d: backward %v, finite difference %v", li, ti, j, grads[j], fd)
				}
			}
		}
	}
}
