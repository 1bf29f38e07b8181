package profile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortFloats(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, x := range [][]float32{
		{3, -1, 0, float32(math.Copysign(0, -1)), 2.5, -7e30, 1e-40, -1e-40, float32(math.MaxFloat32), -float32(math.MaxFloat32)},
		{1, 1, 1, 0, 0, 1},
		{42},
		func() []float32 {
			x := make([]float32, 4096)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 1e3)
			}
			return x
		}(),
	} {
		want := slices.Clone(x)
		slices.Sort(want)
		got := slices.Clone(x)
		sortFloats(got, make([]uint32, 2*len(got)))
		if !slices.Equal(got, want) {
			t.Errorf("sorted %v, want %v", got, want)
		}
	}
}
