package quality

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortKeysSortsAsTheStandardLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 255, 256, 1000, 50_000} {
		for _, gen := range []func() float64{
			rng.Float64,
			func() float64 { return math.Round(rng.Float64()*10) / 10 }, // ties
			func() float64 { return 0.3 },                               // all equal
			func() float64 { return math.Pow(rng.Float64(), 40) },       // many exponents
		} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = key(gen(), rng.IntN(2) == 1)
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			sortKeys(keys, nil)
			if !slices.Equal(keys, want) {
				t.Fatalf("%d keys sorted differently from slices.Sort", n)
			}
		}
	}
}
