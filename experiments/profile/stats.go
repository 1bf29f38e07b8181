package profile

import (
	"math"
	"slices"
	"sort"
)

// kolmogorovP is P(K > λ) for the Kolmogorov distribution, the asymptotic
// law of √n_eff · D under the null: the alternating series
// 2 Σ (−1)^(k−1) exp(−2k²λ²) for λ ≥ 1, which converges in a few terms
// there, and 1 − the Jacobi-theta form √(2π)/λ Σ exp(−(2k−1)²π²/(8λ²))
// below, where the first series converges slowly.
func kolmogorovP(lambda float64) float64 {
	switch {
	case lambda <= 0:
		return 1
	case lambda < 1:
		s := 0.0
		for k := 1; k <= 10; k++ {
			j := float64(2*k - 1)
			s += math.Exp(-j * j * math.Pi * math.Pi / (8 * lambda * lambda))
		}
		return min(1, max(0, 1-math.Sqrt(2*math.Pi)/lambda*s))
	}
	s := 0.0
	for k := 1; k <= 100; k++ {
		t := math.Exp(-2 * float64(k*k) * lambda * lambda)
		if k%2 == 1 {
			s += t
		} else {
			s -= t
		}
		if t < 1e-17 {
			break
		}
	}
	return min(1, max(0, 2*s))
}

// benjaminiHochberg reports which p-values are discoveries at false
// discovery rate q: the k smallest, for the largest k with p₍ₖ₎ ≤ k·q/m.
func benjaminiHochberg(p []float64, q float64) []bool {
	m := len(p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	k := 0
	for r, i := range idx {
		if p[i] <= float64(r+1)*q/float64(m) {
			k = r + 1
		}
	}
	out := make([]bool, m)
	for _, i := range idx[:k] {
		out[i] = true
	}
	return out
}

// normalP is the two-sided p-value of a standard normal z.
func normalP(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

// cdf reads a distribution function back from Points quantiles: linear
// between the points (q_j, p_j), with a jump where quantiles repeat (a
// value that many rows share). right(x) is F(x), left(x) is F(x−).
type cdf []float32

func (q cdf) p(j int) float64 { return float64(j) / float64(len(q)-1) }

func (q cdf) right(x float64) float64 {
	// j: the last point with q_j ≤ x.
	j := sort.Search(len(q), func(i int) bool { return float64(q[i]) > x }) - 1
	switch {
	case j < 0:
		return 0
	case j == len(q)-1:
		return 1
	}
	a, b := float64(q[j]), float64(q[j+1])
	return q.p(j) + (q.p(j+1)-q.p(j))*(x-a)/(b-a)
}

func (q cdf) left(x float64) float64 {
	// i: the first point with q_i ≥ x.
	i := sort.Search(len(q), func(i int) bool { return float64(q[i]) >= x })
	switch {
	case i == 0:
		return 0
	case i == len(q):
		return 1
	}
	a, b := float64(q[i-1]), float64(q[i])
	return q.p(i-1) + (q.p(i)-q.p(i-1))*(x-a)/(b-a)
}

// ksStatistic is sup |F₁ − F₂| of two distribution functions read from
// quantiles. Both are linear between the union of their points, so the
// supremum is at a point, from the left or the right.
func ksStatistic(a, b cdf) float64 {
	xs := make([]float64, 0, len(a)+len(b))
	for _, v := range a {
		xs = append(xs, float64(v))
	}
	for _, v := range b {
		xs = append(xs, float64(v))
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	d := 0.0
	for _, x := range xs {
		d = max(d, math.Abs(a.right(x)-b.right(x)), math.Abs(a.left(x)-b.left(x)))
	}
	return d
}

// wasserstein is ∫₀¹ |Q₁(p) − Q₂(p)| dp from the cell means: each cell
// adds its width times the difference of its means. That is exact where
// the quantile functions do not cross inside a cell, as for a shift or a
// change of scale away from the crossing, and a little under the truth
// otherwise (two samples of the same law cross often; their distance is
// small either way).
func wasserstein(a, b []float32) float64 {
	s := 0.0
	for j := range a {
		s += math.Abs(float64(a[j]) - float64(b[j]))
	}
	return s / float64(len(a))
}
