// Package snapshottest builds synthetic model versions for tests,
// benchmarks and the bench/ tools, so they all measure the same kind of
// model without each carrying its own generator.
package snapshottest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

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

// Features of the Planted model.
const (
	PlantedCancelled = 0 // large first-layer weights that cancel exactly downstream
	PlantedAmplified = 1 // tiny first-layer weights, amplified later: the strongest true effect
	PlantedUnused    = 2 // all-zero weights
	PlantedInputs    = 6
)

// Planted is a 6 -> 4 tanh -> 1 sigmoid model with hand-set weights where
// the weight-sum is wrong on purpose, so tests can check that behavioural
// methods find the truth:
//   - feature 0 drives hidden units 0 and 1 with weight 10 each and nothing
//     else does, so they are always equal; the output weighs them +1 and -1,
//     so feature 0 has no effect at all;
//   - feature 1 reaches hidden unit 2 with weight 0.01, which the output
//     weighs 300: an effective weight of 3, the largest;
//   - feature 2 has zero weights everywhere;
//   - features 3, 4, 5 reach hidden unit 3 with weights 1, 0.5, 0.25.
func Planted(meta snapshot.Meta) (*snapshot.Snapshot, error) {
	k1 := make([]float32, PlantedInputs*4)
	set := func(i, h int, w float32) { k1[i*4+h] = w }
	set(PlantedCancelled, 0, 10)
	set(PlantedCancelled, 1, 10)
	set(PlantedAmplified, 2, 0.01)
	set(3, 3, 1)
	set(4, 3, 0.5)
	set(5, 3, 0.25)
	return snapshot.New(PlantedInputs, []snapshot.Layer{
		{
			Spec: snapshot.Spec{Name: "hidden", Class: snapshot.ClassDense, Units: 4, Activation: "tanh", UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{PlantedInputs, 4}, Data: k1},
				{Name: "bias", Shape: []int{4}, Data: []float32{0.3, 0.3, 0, 0}},
			},
		},
		{
			Spec: snapshot.Spec{Name: "out", Class: snapshot.ClassDense, Units: 1, Activation: "sigmoid", UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{4, 1}, Data: []float32{1, -1, 300, 1}},
				{Name: "bias", Shape: []int{1}, Data: []float32{0}},
			},
		},
	}, meta)
}

// PlantedCSV is rows of data for the Planted model as CSV text: a header
// id,a,b,c,d,e,f,label, an id column from 1000, six standard-normal
// features (exact float32 values) and a yes/no label that follows what the
// planted net computes (3*b + d + 0.5*e + 0.25*f > 0). The draws are fixed,
// so every test that uses it sees the same rows.
func PlantedCSV(rows int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("id,a,b,c,d,e,f,label\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d", 1000+i)
		var x [PlantedInputs]float64
		for j := range x {
			x[j] = float64(float32(rng.NormFloat64()))
			fmt.Fprintf(&b, ",%s", strconv.FormatFloat(x[j], 'g', -1, 32))
		}
		z := 300*0.01*x[1] + x[3] + 0.5*x[4] + 0.25*x[5]
		label := "no"
		if z > 0 {
			label = "yes"
		}
		fmt.Fprintf(&b, ",%s\n", label)
	}
	return []byte(b.String())
}
