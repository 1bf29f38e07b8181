package weightdiff

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveCKA is the definition in float64, products written out.
func naiveCKA(x, y []float32, rows, ua, ub int) float64 {
	c := func(m []float32, cols int) []float64 {
		out := make([]float64, len(m))
		for j := range cols {
			mean := 0.0
			for r := range rows {
				mean += float64(m[r*cols+j])
			}
			mean /= float64(rows)
			for r := range rows {
				out[r*cols+j] = float64(m[r*cols+j]) - mean
			}
		}
		return out
	}
	xc, yc := c(x, ua), c(y, ub)
	cross := func(a []float64, na int, b []float64, nb int) float64 {
		s := 0.0
		for i := range na {
			for j := range nb {
				v := 0.0
				for r := range rows {
					v += a[r*na+i] * b[r*nb+j]
				}
				s += v * v
			}
		}
		return s
	}
	return cross(yc, ub, xc, ua) / (math.Sqrt(cross(xc, ua, xc, ua)) * math.Sqrt(cross(yc, ub, yc, ub)))
}

func TestBothFormsOfCKAAgreeWithTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ rows, ua, ub int }{{40, 7, 5}, {9, 30, 12}, {25, 25, 25}, {3, 1, 2}} {
		x, y := make([]float32, c.rows*c.ua), make([]float32, c.rows*c.ub)
		for i := range x {
			x[i] = float32(rng.NormFloat64() + 3)
		}
		for i := range y {
			// y depends on x's first unit, so CKA is neither 0 nor 1.
			y[i] = float32(rng.NormFloat64()) + 2*x[(i/c.ub)*c.ua]
		}
		want := naiveCKA(x, y, c.rows, c.ua, c.ub)
		xc, yc := centre(x, c.rows, c.ua), centre(y, c.rows, c.ub)
		f, g := ckaFeatures(xc, yc, c.rows, c.ua, c.ub), ckaGram(xc, yc, c.rows, c.ua, c.ub)
		if math.Abs(f-want) > 1e-5 || math.Abs(g-want) > 1e-5 {
			t.Errorf("%d rows of %d and %d units: features %v, Gram %v, definition %v", c.rows, c.ua, c.ub, f, g, want)
		}
	}
}
