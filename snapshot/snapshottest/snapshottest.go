// Package snapshottest builds synthetic model versions for tests,
// benchmarks and the bench/ tools, so they all measure the same kind of
// model without each carrying its own generator.
package snapshottest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tracker-ml/tracker/snapshot"
)

// RandomMLP builds a Dense chain widths[0] -> ... -> widths[len-1] with
// Keras's default Glorot-uniform kernels and small biases drawn from seed:
// relu inside, sigmoid (one unit) or softmax out. The same seed and widths
// give bit-identical weights, so version i of a series is reproducible.
func RandomMLP(seed uint64, widths []int, meta snapshot.Meta) (*snapshot.Snapshot, error) {
	if len(widths) < 2 {
		return nil, fmt.Errorf("snapshottest: want at least inputs and outputs, got widths %v", widths)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7472))
	var layers []snapshot.Layer
	for i := 1; i < len(widths); i++ {
		in, out := widths[i-1], widths[i]
		act := "relu"
		switch {
		case i < len(widths)-1:
		case out == 1:
			act = "sigmoid"
		default:
			act = "softmax"
		}
		limit := float32(math.Sqrt(6 / float64(in+out)))
		kernel := make([]float32, in*out)
		for j := range kernel {
			kernel[j] = (2*rng.Float32() - 1) * limit
		}
		bias := make([]float32, out)
		for j := range bias {
			bias[j] = (2*rng.Float32() - 1) * 0.01
		}
		layers = append(layers, snapshot.Layer{
			Spec: snapshot.Spec{Name: fmt.Sprintf("dense_%d", i), Class: snapshot.ClassDense, Units: out, Activation: act, UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{in, out}, Data: kernel},
				{Name: "bias", Shape: []int{out}, Data: bias},
			},
		})
	}
	return snapshot.New(widths[0], layers, meta)
}
