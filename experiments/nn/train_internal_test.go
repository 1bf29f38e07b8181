package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tracker-ml/tracker/snapshot"
)

// trainArch is inputs -> Dense(act) -> BatchNorm -> Dropout -> Dense(last).
func trainArch(t *testing.T, act, last string, inputs, hidden, outputs int, dropout float64) *snapshot.Snapshot {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	vals := func(n int, scale, offset float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(offset + rng.NormFloat64()*scale)
		}
		return v
	}
	layers := []snapshot.Layer{
		{Spec: snapshot.Spec{Name: "h", Class: snapshot.ClassDense, Units: hidden, Activation: act, UseBias: true},
			Weights: []snapshot.Tensor{{Name: "kernel", Shape: []int{inputs, hidden}, Data: vals(inputs*hidden, 0.6, 0)}, {Name: "bias", Shape: []int{hidden}, Data: vals(hidden, 0.1, 0)}}},
		{Spec: snapshot.Spec{Name: "bn", Class: snapshot.ClassBatchNormalization, Epsilon: 1e-3, Center: true, Scale: true},
			Weights: []snapshot.Tensor{{Name: "gamma", Shape: []int{hidden}, Data: vals(hidden, 0.2, 1)}, {Name: "beta", Shape: []int{hidden}, Data: vals(hidden, 0.1, 0)},
				{Name: "moving_mean", Shape: []int{hidden}, Data: vals(hidden, 0, 0)}, {Name: "moving_variance", Shape: []int{hidden}, Data: vals(hidden, 0, 1)}}},
		{Spec: snapshot.Spec{Name: "d", Class: snapshot.ClassDropout, Rate: dropout}},
		{Spec: snapshot.Spec{Name: "out", Class: snapshot.ClassDense, Units: outputs, Activation: last, UseBias: true},
			Weights: []snapshot.Tensor{{Name: "kernel", Shape: []int{hidden, outputs}, Data: vals(hidden*outputs, 0.6, 0)}, {Name: "bias", Shape: []int{outputs}, Data: vals(outputs, 0.1, 0)}}},
	}
	s, err := snapshot.New(inputs, layers, snapshot.Meta{KerasVersion: "2.2.4"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTrainingGradientsMatchFiniteDifferences checks every parameter
// gradient of the training-mode loss (batch statistics, a fixed dropout
// mask, the fused output activation and cross-entropy) against central
// differences, for both losses.
func TestTrainingGradientsMatchFiniteDifferences(t *testing.T) {
	for _, c := range []struct {
		act, last string
		outputs   int
	}{
		{"tanh", "softmax", 3},
		{"sigmoid", "sigmoid", 1},
		{"elu", "softmax", 2},
	} {
		t.Run(fmt.Sprintf("%s-%s-%d", c.act, c.last, c.outputs), func(t *testing.T) {
			const inputs, hidden, rows = 4, 5, 7
			arch := trainArch(t, c.act, c.last, inputs, hidden, c.outputs, 0.3)
			tr, err := newTrainer(arch, true, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			tr.alloc(rows)
			rng := rand.New(rand.NewPCG(9, 9))
			data := Labeled{Rows: rows, X: make([]float32, rows*inputs), Labels: make([]int, rows)}
			for i := range data.X {
				data.X[i] = float32(rng.NormFloat64())
			}
			for i := range data.Labels {
				data.Labels[i] = rng.IntN(max(c.outputs, 2))
			}
			idx := []int{0, 1, 2, 3, 4, 5, 6}
			// The same dropout mask every evaluation: a fresh rng per call.
			loss := func() float64 { return tr.gradients(data, idx, rand.New(rand.NewPCG(2, 2))) }
			loss()
			for pi, p := range tr.params {
				analytic := append([]float32(nil), p.g...)
				for j := range p.w {
					orig := p.w[j]
					const h = 1e-3
					p.w[j] = orig + h
					up := loss()
					p.w[j] = orig - h
					down := loss()
					p.w[j] = orig
					numeric := (up - down) / (2 * h)
					if d := math.Abs(numeric - float64(analytic[j])); d > 5e-4+1e-2*math.Abs(numeric) {
						t.Errorf("param %d[%d]: analytic %.6g, numeric %.6g", pi, j, analytic[j], numeric)
					}
				}
			}
		})
	}
}
