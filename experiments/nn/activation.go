package nn

import (
	"fmt"
	"math"
	"strings"
)

// activation applies a Keras activation in place and gives its derivative.
type activation struct {
	name string
	// apply maps pre-activations z to outputs, row by row (softmax needs rows).
	apply func(z []float32, width int)
	// grad turns dy into dz in place, from the pre-activation z and the output y.
	grad func(dy, z, y []float32, width int)
}

func elementwise(f func(float64) float64) func([]float32, int) {
	return func(z []float32, _ int) {
		for i, v := range z {
			z[i] = float32(f(float64(v)))
		}
	}
}

// derivFromZ builds grad for functions whose derivative is a function of z.
func derivFromZ(df func(float64) float64) func(dy, z, y []float32, width int) {
	return func(dy, z, _ []float32, _ int) {
		for i := range dy {
			dy[i] *= float32(df(float64(z[i])))
		}
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

// newActivation returns the activation Keras applies for name. Keras 3
// redefined hard_sigmoid as relu6(x+3)/6; Keras 2 and tf.keras use
// clip(0.2x+0.5, 0, 1), so the Keras major version picks the slope.
func newActivation(name, kerasVersion string) (activation, error) {
	a := activation{name: name}
	switch name {
	case "linear":
		a.apply = func([]float32, int) {}
		a.grad = func(_, _, _ []float32, _ int) {}
	case "relu":
		a.apply = func(z []float32, _ int) {
			// Branch-free: on real data half the signs are random, and a
			// mispredicted branch per value made relu cost as much as the
			// matrix products (bench/README.md).
			for i, v := range z {
				z[i] = max(v, 0)
			}
		}
		a.grad = func(dy, z, _ []float32, _ int) {
			// Branch-free too: keep dy where z > 0. For z's bits x as an
			// int32, (-x & ^x) has the sign bit set exactly when x > 0,
			// which rules out +0, -0 and every negative.
			dy = dy[:len(z)]
			for i, v := range z {
				x := int32(math.Float32bits(v))
				mask := uint32((-x & ^x) >> 31)
				dy[i] = math.Float32frombits(math.Float32bits(dy[i]) & mask)
			}
		}
	case "sigmoid":
		a.apply = elementwise(sigmoid)
		a.grad = func(dy, _, y []float32, _ int) {
			for i, v := range y {
				dy[i] *= v * (1 - v)
			}
		}
	case "tanh":
		a.apply = elementwise(math.Tanh)
		a.grad = func(dy, _, y []float32, _ int) {
			for i, v := range y {
				dy[i] *= 1 - v*v
			}
		}
	case "softmax":
		a.apply = softmax
		a.grad = func(dy, _, y []float32, width int) {
			for r := 0; r+width <= len(y); r += width {
				yr, dr := y[r:r+width], dy[r:r+width]
				var dot float64
				for j := range yr {
					dot += float64(dr[j]) * float64(yr[j])
				}
				for j := range yr {
					dr[j] = float32(float64(yr[j]) * (float64(dr[j]) - dot))
				}
			}
		}
	case "elu":
		a.apply = elementwise(func(x float64) float64 {
			if x > 0 {
				return x
			}
			return math.Expm1(x)
		})
		a.grad = derivFromZ(func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return math.Exp(x)
		})
	case "selu":
		a.apply = elementwise(func(x float64) float64 {
			if x > 0 {
				return seluScale * x
			}
			return seluScale * seluAlpha * math.Expm1(x)
		})
		a.grad = derivFromZ(func(x float64) float64 {
			if x > 0 {
				return seluScale
			}
			return seluScale * seluAlpha * math.Exp(x)
		})
	case "softplus":
		a.apply = elementwise(func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) })
		a.grad = derivFromZ(sigmoid)
	case "softsign":
		a.apply = elementwise(func(x float64) float64 { return x / (1 + math.Abs(x)) })
		a.grad = derivFromZ(func(x float64) float64 { d := 1 + math.Abs(x); return 1 / (d * d) })
	case "hard_sigmoid":
		slope := 0.2
		if strings.HasPrefix(kerasVersion, "3.") {
			slope = 1.0 / 6
		}
		a.apply = elementwise(func(x float64) float64 { return math.Min(1, math.Max(0, slope*x+0.5)) })
		a.grad = derivFromZ(func(x float64) float64 {
			if v := slope*x + 0.5; v > 0 && v < 1 {
				return slope
			}
			return 0
		})
	case "swish", "silu":
		a.apply = elementwise(func(x float64) float64 { return x * sigmoid(x) })
		a.grad = derivFromZ(func(x float64) float64 { s := sigmoid(x); return s * (1 + x*(1-s)) })
	case "gelu":
		// Keras's default is the exact form, not the tanh approximation.
		a.apply = elementwise(func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) })
		a.grad = derivFromZ(func(x float64) float64 {
			return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
		})
	case "exponential":
		a.apply = elementwise(math.Exp)
		a.grad = func(dy, _, y []float32, _ int) {
			for i, v := range y {
				dy[i] *= v
			}
		}
	default:
		return a, fmt.Errorf("activation %q is not implemented", name)
	}
	return a, nil
}

// softmax normalises each row of z in place, subtracting the row maximum
// first so large logits do not overflow.
func softmax(z []float32, width int) {
	for r := 0; r+width <= len(z); r += width {
		row := z[r : r+width]
		m := row[0]
		for _, v := range row[1:] {
			m = max(m, v)
		}
		var sum float64
		for j, v := range row {
			e := math.Exp(float64(v - m))
			row[j] = float32(e)
			sum += e
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / sum)
		}
	}
}
