package experiments

import (
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/tracker-ml/tracker/snapshot"
)

// linearStep is one layer of the network seen as a linear map, biases and
// activations ignored: a Dense kernel, or the per-unit scale of an
// inference-time BatchNormalization. Dropout, Flatten and Activation layers
// are the identity and have no step.
type linearStep struct {
	kernel *mat.Dense // inputs x units; nil for a scale
	scale  []float64  // gamma / sqrt(moving_variance + epsilon)
}

func linearSteps(s *snapshot.Snapshot) []linearStep {
	var steps []linearStep
	for _, l := range s.Layers() {
		switch l.Class {
		case snapshot.ClassDense:
			k := l.Weights[0]
			data := make([]float64, len(k.Data))
			for i, w := range k.Data {
				data[i] = float64(w)
			}
			steps = append(steps, linearStep{kernel: mat.NewDense(k.Shape[0], k.Shape[1], data)})
		case snapshot.ClassBatchNormalization:
			steps = append(steps, linearStep{scale: batchNormScale(l)})
		}
	}
	return steps
}

func batchNormScale(l snapshot.Layer) []float64 {
	var gamma, variance []float32
	for _, t := range l.Weights {
		switch t.Name {
		case "gamma":
			gamma = t.Data
		case "moving_variance":
			variance = t.Data
		}
	}
	scale := make([]float64, len(variance))
	for j, v := range variance {
		scale[j] = 1 / math.Sqrt(float64(v)+l.Epsilon)
		if gamma != nil {
			scale[j] *= float64(gamma[j])
		}
	}
	return scale
}

// chain multiplies steps right to left into one (inputs of steps[0]) x
// outputs matrix, taking absolute values first when abs is set. width is
// the output width, used when steps is empty (the identity).
func chain(steps []linearStep, width int, abs bool) *mat.Dense {
	p := identity(width)
	for i := len(steps) - 1; i >= 0; i-- {
		st := steps[i]
		if st.kernel == nil {
			r, c := p.Dims()
			next := mat.NewDense(r, c, nil)
			next.Apply(func(i, _ int, v float64) float64 {
				if abs {
					return math.Abs(st.scale[i]) * v
				}
				return st.scale[i] * v
			}, p)
			p = next
			continue
		}
		k := st.kernel
		if abs {
			k = absDense(k)
		}
		r, _ := k.Dims()
		_, c := p.Dims()
		next := mat.NewDense(r, c, nil)
		next.Mul(k, p)
		p = next
	}
	return p
}

func identity(n int) *mat.Dense {
	d := mat.NewDense(n, n, nil)
	for i := range n {
		d.Set(i, i, 1)
	}
	return d
}

func absDense(m *mat.Dense) *mat.Dense {
	r, c := m.Dims()
	out := mat.NewDense(r, c, nil)
	out.Apply(func(_, _ int, v float64) float64 { return math.Abs(v) }, m)
	return out
}

// Olden is the connection-weights method of Olden & Jackson (2002): the
// product of the weight matrices W1·W2·…·Wout from the inputs to each output
// unit, signed, biases ignored, any depth. It returns one result per output
// unit, with Params["output"] naming the unit; ranks go by magnitude.
// BatchNormalization layers enter the product as their per-unit scale.
func Olden(s *snapshot.Snapshot) []Result { return olden(linearSteps(s), s.Outputs()) }

func olden(steps []linearStep, outputs int) []Result {
	p := chain(steps, outputs, false)
	n, outs := p.Dims()
	results := make([]Result, outs)
	for k := range outs {
		v := make([]float64, n)
		for i := range n {
			v[i] = p.At(i, k)
		}
		results[k] = Result{
			Kind: KindOlden, Params: map[string]string{"output": strconv.Itoa(k)},
			Value: v, Spread: make([]float64, n), Rank: Rank(v),
		}
	}
	return results
}

// Garson is Garson's algorithm as Goh (1995) states it and the R package
// NeuralNetTools computes it for one hidden layer and one output: for hidden
// unit h, c[i][h] = |w_ih|·|v_h|; each unit's c is divided by its sum over
// the inputs; the shares are summed over hidden units and divided by their
// grand total, so the values sum to 1. Biases are ignored.
//
// For deeper nets and several outputs, tracker generalises it: the hidden
// units are those of the first Dense layer, v_h is the absolute path weight
// from unit h to output k (the product |W2|·…·|Wout|, so the formula is
// exactly Garson's for one hidden layer), and the result is the mean over
// output units. A unit with no path to an output (v_h = 0) contributes
// nothing; NeuralNetTools would return NaN there. A net with no hidden layer
// uses the outputs as its hidden units. Note that v_h cancels when each
// unit's shares are normalised: Garson's values depend on the output weights
// only through which units reach an output, one reason they can mislead.
func Garson(s *snapshot.Snapshot) Result { return garson(linearSteps(s), s.Inputs(), s.Outputs()) }

func garson(steps []linearStep, n, outputs int) Result {
	// Fold any scaling before the first Dense layer into its rows.
	first := 0
	pre := make([]float64, n)
	for i := range pre {
		pre[i] = 1
	}
	for ; steps[first].kernel == nil; first++ {
		for i, sc := range steps[first].scale {
			pre[i] *= math.Abs(sc)
		}
	}
	a := absDense(steps[first].kernel) // inputs x hidden
	_, hidden := a.Dims()
	for i := range n {
		for h := range hidden {
			a.Set(i, h, a.At(i, h)*pre[i])
		}
	}
	down := chain(steps[first+1:], outputs, true) // hidden x outputs
	_, outs := down.Dims()

	value := make([]float64, n)
	share := make([]float64, n)
	for k := range outs {
		clear(share)
		for h := range hidden {
			v := down.At(h, k)
			var total float64
			for i := range n {
				total += a.At(i, h) * v
			}
			if total == 0 {
				continue
			}
			for i := range n {
				share[i] += a.At(i, h) * v / total
			}
		}
		var grand float64
		for _, x := range share {
			grand += x
		}
		if grand == 0 {
			continue
		}
		for i := range n {
			value[i] += share[i] / grand / float64(outs)
		}
	}
	return Result{Kind: KindGarson, Value: value, Spread: make([]float64, n), Rank: Rank(value)}
}
