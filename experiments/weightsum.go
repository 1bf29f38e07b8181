package experiments

import (
	"cmp"
	"math"
	"slices"

	"github.com/tracker-ml/tracker/snapshot"
)

// Result is one importance measurement: one entry per input feature.
type Result struct {
	Kind   string
	Params map[string]string
	Value  []float64
	Spread []float64 // zero where the method has no spread
	Rank   []int     // 1 = most important
}

// KindWeightSum names the summed absolute first-layer weights.
const KindWeightSum = "weight-sum"

// WeightSum is the measure the users started from: for each input feature,
// the sum of the absolute weights leaving it in the first Dense layer. It is
// cheap and data-free, and it can mislead, since later layers may cancel or
// amplify what the first layer does.
func WeightSum(s *snapshot.Snapshot) Result {
	n := s.Inputs()
	v := make([]float64, n)
	for _, l := range s.Layers() {
		if l.Class != snapshot.ClassDense {
			continue
		}
		k := l.Weights[0] // (inputs, units), row-major
		units := k.Shape[1]
		for i := range n {
			var sum float64
			for _, w := range k.Data[i*units : (i+1)*units] {
				sum += math.Abs(float64(w))
			}
			v[i] = sum
		}
		break
	}
	return Result{Kind: KindWeightSum, Value: v, Spread: make([]float64, n), Rank: Rank(v)}
}

// Rank orders features by the magnitude of their values, largest first:
// rank 1 is the most important. Ties take the lower feature index first so
// ranks are stable.
func Rank(values []float64) []int {
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(math.Abs(values[b]), math.Abs(values[a]))
	})
	ranks := make([]int, len(values))
	for r, i := range idx {
		ranks[i] = r + 1
	}
	return ranks
}
