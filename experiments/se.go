package experiments

import (
	"cmp"
	"math"
	"slices"
)

// SEDFKey names the degrees of freedom of each standard error a sampling
// method stores under SEKey in Result.Extra: how well the standard error
// itself is known. A verdict that divides by the standard error should use
// a Student t with that many degrees of freedom. It is NaN where the
// standard error is.
const SEDFKey = "se_df"

// poolWindow is how many features a repeated method's floor on the
// variance of its repeats is pooled over (repeatSE): with 3 repeats, 8
// features give 16 degrees of freedom instead of 2, and 8 are about a
// tenth of a model of 82 features.
const poolWindow = 8

// pivotSE is the standard error and its degrees of freedom of perturb's
// value: the mean over n pivots, drawn without replacement from rows, of
// each pivot's mean over m noisy copies. between is the standard
// deviation of those n pivot means and within each pivot's variance over
// its copies. This is two-stage sampling (Cochran, Sampling Techniques,
// 1977, 10.2): with f = n/rows,
//
//	v = (1-f)·between²/n + f·Σ within/(m·n²)
//
// The first term is the choice of pivots, which vanishes when every row is
// a pivot; the second is the noise drawn for them, which then is all that
// varies. Degrees of freedom: Welch–Satterthwaite over the two terms (n-1
// and n(m-1)). With one copy per pivot the two cannot be told apart:
// between/sqrt(n) bounds the error from above when the pivots are a
// sample (its square's expectation holds the noise in full and the
// pivots' differences without the correction), and nothing is known when
// every row is a pivot. No change anywhere gives exactly 0.
func pivotSE(between float64, within []float64, n, rows, m int) (se, df float64) {
	nf, mf := float64(n), float64(m)
	if m < 2 {
		if n < 2 || n >= rows {
			return math.NaN(), math.NaN()
		}
		return between / math.Sqrt(nf), nf - 1
	}
	var w float64
	for _, v := range within {
		w += v
	}
	f := min(nf/float64(rows), 1)
	a, b := 0.0, f*w/(mf*nf*nf)
	den := b * b / (nf * (mf - 1))
	if n < rows {
		if n < 2 {
			return math.NaN(), math.NaN()
		}
		a = (1 - f) * between * between / nf
		den += a * a / (nf - 1)
	}
	v := a + b
	if v == 0 {
		return 0, nf*mf - 1
	}
	return math.Sqrt(v), v * v / den
}

// rowSE is the standard error and its degrees of freedom of a mean over n
// rows drawn without replacement from rows, where nothing else is random
// (gradient: integrated gradients of a row is deterministic). sd is the
// standard deviation over the n rows, and (1 - n/rows) the finite
// population correction: the value is the mean over the data the record
// names, so explaining every row leaves no sampling error (0).
func rowSE(sd float64, n, rows int) (se, df float64) {
	if n >= rows {
		return 0, float64(n - 1)
	}
	if n < 2 {
		return math.NaN(), math.NaN()
	}
	f := float64(n) / float64(rows)
	return sd * math.Sqrt((1-f)/float64(n)), float64(n - 1)
}

// repeatSE is the standard error and its degrees of freedom of each of
// a method's means over k repeats (permutation's shuffles, drop-retrain's
// seeds), given the features' means and standard deviations over their
// repeats: sd/sqrt(k), with k-1 degrees of freedom for a Student t. With
// the default 3 or 5 repeats a standard deviation is itself poorly known,
// and a discrete metric can make it 0 by chance (three shuffles that each
// lose the same one row of accuracy). The variance of a mean drop grows
// with its size (more rows change, so more can change differently), so
// the variances of the poolWindow features just below in |value| bound a
// feature's from below: where their pooled mean is larger than the
// feature's own variance, it is used instead, with the pool's degrees of
// freedom (features of equal |value| count as below each other). A
// feature whose own variance is larger keeps it; the smallest has no
// floor. One repeat: NaN, nothing is known.
func repeatSE(value, sd []float64, k int) (se, df []float64) {
	n := len(value)
	se, df = make([]float64, n), make([]float64, n)
	if k < 2 {
		for i := range se {
			se[i], df[i] = math.NaN(), math.NaN()
		}
		return se, df
	}
	bySize := make([]int, n)
	for i := range bySize {
		bySize[i] = i
	}
	slices.SortStableFunc(bySize, func(a, b int) int { return cmp.Compare(math.Abs(value[a]), math.Abs(value[b])) })
	for pos, i := range bySize {
		end := pos + 1 // features of equal size count as below each other
		for end < n && math.Abs(value[bySize[end]]) == math.Abs(value[i]) {
			end++
		}
		var floor float64
		pooled := 0
		for j := end - 1; j >= 0 && pooled < poolWindow; j-- {
			if g := bySize[j]; g != i {
				floor += sd[g] * sd[g]
				pooled++
			}
		}
		v, d := sd[i]*sd[i], float64(k-1)
		if pooled > 0 && floor/float64(pooled) > v {
			v, d = floor/float64(pooled), float64(pooled*(k-1))
		}
		se[i], df[i] = math.Sqrt(v/float64(k)), d
	}
	return se, df
}
