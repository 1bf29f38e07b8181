package experiments

import (
	"cmp"
	"math"
	"slices"
)

// Result is one importance measurement: one entry per input feature.
type Result struct {
	Kind   string
	Params map[string]string
	Value  []float64
	Spread []float64 // std over pivots, repeats or rows; zero where the method has none
	Rank   []int     // 1 = most important
	// Extra holds further per-feature series a method produces besides its
	// value, such as perturb's flip rate, keyed by name.
	Extra map[string][]float64
}

// Rank orders features by the magnitude of their values, largest first:
// rank 1 is the most important. Ties take the lower feature index first so
// ranks are stable. It suits methods whose sign is a direction, not a
// verdict (Olden's signed contributions); see RankSigned for the others.
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

// meanStd returns the mean and the sample standard deviation (n-1) of xs;
// the deviation is 0 for fewer than two values. Equal values give that
// value and a deviation of exactly 0: summing and dividing would leave
// float64 noise in both.
func meanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	if !slices.ContainsFunc(xs, func(x float64) bool { return x != xs[0] }) {
		return xs[0], 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// RankSigned orders features by value, largest first, for methods whose
// value is "how much worse the model gets without the feature": a negative
// value (the model does better without it) ranks below every feature that
// helps, however large. Ties take the lower feature index first.
func RankSigned(values []float64) []int {
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(values[b], values[a]) })
	ranks := make([]int, len(values))
	for r, i := range idx {
		ranks[i] = r + 1
	}
	return ranks
}

// snapZero is a mean of differences of metrics with its rounding noise
// removed: 0 when |mean| is within four units in the last place of scale,
// the largest |metric| the differences were taken from. Each metric is
// rounded once (half an ulp), a difference of two is exact or adds half
// an ulp, so a mean of differences whose true value is 0 (a feature whose
// removal changed nothing: equal metrics, or gains and losses that cancel)
// is off by at most about one ulp of scale; a true value that small is
// below what the metrics themselves can resolve.
func snapZero(mean, scale float64) float64 {
	const eps = 0x1p-52 // the spacing of float64 numbers at 1
	if math.Abs(mean) <= 4*eps*scale {
		return 0
	}
	return mean
}
