package profile

import (
	"math"
)

// Compression is the sketch's δ: it keeps at most δ centroids (16 bytes
// each), and a centroid in the middle of the distribution holds at most
// π/δ of the values (0.3% at δ = 1000), less toward the tails, where a
// centroid holds a handful of values. Interpolating between centroid means
// puts the rank error of a quantile well under a tenth of a percent on the
// distributions the accuracy tests draw (normal, lognormal, ties); see
// SketchRankError for the bound the drift test allows.
const Compression = 1000

// digest is a merging t-digest (Dunning and Ertl, "Computing extremely
// accurate quantiles using t-digests", 2019): sorted batches of values are
// merged with the sorted centroids in one pass, and neighbours are joined
// greedily while the joined centroid spans at most one unit of the scale
// k(q) = δ/(2π)·asin(2q−1). The scale is steep near q = 0 and 1, so the
// tails stay finely resolved: what PSI's open end bins and the Wasserstein
// distance's tail cells need. It has no randomness and its input order
// is fixed by the file, so the same file gives the same sketch.
type digest struct {
	mean, weight []float64 // centroids, ascending by mean
	n            float64
	// scratch for a merge
	m2, w2 []float64
}

// merge adds sorted values, each of weight 1.
func (d *digest) merge(sorted []float32) {
	if len(sorted) == 0 {
		return
	}
	total := d.n + float64(len(sorted))
	d.m2, d.w2 = d.m2[:0], d.w2[:0]
	i, j := 0, 0
	// The next item in mean order; centroids first on ties, for a fixed order.
	next := func() (float64, float64) {
		if j >= len(sorted) || i < len(d.mean) && d.mean[i] <= float64(sorted[j]) {
			i++
			return d.mean[i-1], d.weight[i-1]
		}
		j++
		return float64(sorted[j-1]), 1
	}
	cm, cw := next()
	soFar := 0.0
	limit := total * kInverse(kScale(0)+1)
	for i < len(d.mean) || j < len(sorted) {
		m, w := next()
		if soFar+cw+w <= limit {
			cw += w
			cm += (m - cm) * w / cw
			continue
		}
		d.m2, d.w2 = append(d.m2, cm), append(d.w2, cw)
		soFar += cw
		limit = total * kInverse(kScale(soFar/total)+1)
		cm, cw = m, w
	}
	d.m2, d.w2 = append(d.m2, cm), append(d.w2, cw)
	d.mean, d.m2 = d.m2, d.mean
	d.weight, d.w2 = d.w2, d.weight
	d.n = total
}

func kScale(q float64) float64 {
	return Compression / (2 * math.Pi) * math.Asin(2*min(max(q, 0), 1)-1)
}

func kInverse(k float64) float64 {
	if k >= Compression/4 {
		return 1
	}
	return (math.Sin(k*2*math.Pi/Compression) + 1) / 2
}

// knots returns the sketch's quantile function as points (rank, value):
// the minimum at rank 0, each centroid's mean at the middle of its ranks,
// the maximum at rank n. Between knots the function is linear, the
// t-digest's assumption that a centroid's values spread evenly around
// its mean.
func (d *digest) knots(lo, hi float64) (ranks, values []float64) {
	ranks = append(ranks, 0)
	values = append(values, lo)
	soFar := 0.0
	for i, w := range d.weight {
		ranks = append(ranks, soFar+w/2)
		values = append(values, min(max(d.mean[i], lo), hi))
		soFar += w
	}
	return append(ranks, d.n), append(values, hi)
}
