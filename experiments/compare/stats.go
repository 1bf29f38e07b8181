package compare

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// The tests behind the verdicts: tails of Student's t (the normal when the
// degrees of freedom are unknown or infinite) and the Benjamini–Hochberg
// step-up procedure.

// tDist is Student's t with df degrees of freedom; the standard normal
// when df is +Inf, NaN or not positive (a count the record does not give).
type tDist float64

func (df tDist) normal() bool {
	d := float64(df)
	return math.IsNaN(d) || math.IsInf(d, 1) || d <= 0
}

// upper is P(T > x).
func (df tDist) upper(x float64) float64 {
	if df.normal() {
		return distuv.UnitNormal.Survival(x)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Survival(x)
}

// twoSided is P(|T| >= |x|).
func (df tDist) twoSided(x float64) float64 { return min(1, 2*df.upper(math.Abs(x))) }

// quantile is the x with P(T <= x) = p.
func (df tDist) quantile(p float64) float64 {
	if df.normal() {
		return distuv.UnitNormal.Quantile(p)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(p)
}

// welch is the Welch–Satterthwaite degrees of freedom of the difference of
// two estimates with standard errors a and b on dfa and dfb degrees of
// freedom; +Inf (the normal) when both are.
func welch(a, dfa, b, dfb float64) float64 {
	va, vb := a*a, b*b
	den := 0.0
	if !tDist(dfa).normal() {
		den += va * va / dfa
	}
	if !tDist(dfb).normal() {
		den += vb * vb / dfb
	}
	if den == 0 {
		return math.Inf(1)
	}
	return (va + vb) * (va + vb) / den
}

// benjaminiHochberg marks the discoveries among ps at false discovery rate
// q: the k smallest p-values, for the largest k with p_(k) <= k*q/m. NaN
// entries are not tested and do not count in m. It controls the false
// discovery rate for independent or positively dependent tests, which the
// features of one week are close enough to (Benjamini & Yekutieli 2001).
func benjaminiHochberg(ps []float64, q float64) []bool {
	var idx []int
	for i, p := range ps {
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case ps[a] < ps[b]:
			return -1
		case ps[a] > ps[b]:
			return 1
		}
		return 0
	})
	m := float64(len(idx))
	k := 0
	for r, i := range idx {
		if ps[i] <= float64(r+1)*q/m {
			k = r + 1
		}
	}
	out := make([]bool, len(ps))
	for _, i := range idx[:k] {
		out[i] = true
	}
	return out
}

// median of xs, which it reorders; NaN for none. Quickselect: linear in
// len(xs), where sorting was most of the time of judging a week.
func median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return math.NaN()
	}
	hi := selectK(xs, n/2)
	if n%2 == 1 {
		return hi
	}
	// The lower middle is the largest of the elements before n/2.
	lo := xs[0]
	for _, x := range xs[1 : n/2] {
		lo = max(lo, x)
	}
	return (lo + hi) / 2
}

// selectK reorders xs so that xs[k] is the k-th smallest, every element
// before it no larger and every one after no smaller, and returns it.
func selectK(xs []float64, k int) float64 {
	if len(xs) <= 16 { // a feature's own changes: insertion sort is quicker
		for i := 1; i < len(xs); i++ {
			for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
				xs[j], xs[j-1] = xs[j-1], xs[j]
			}
		}
		return xs[k]
	}
	lo, hi := 0, len(xs)-1
	for lo < hi {
		// Median of three as the pivot, so sorted input stays linear.
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}
