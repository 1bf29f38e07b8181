package retrain

import (
	"math"
	"slices"
)

// spearman is Spearman's rank correlation of xs and ys (the Pearson
// correlation of their mid-ranks, so ties count as scipy's spearmanr
// counts them); NaN for fewer than 3 pairs or a constant side.
func spearman(xs, ys []float64) float64 {
	if len(xs) < 3 {
		return math.NaN()
	}
	return pearson(midranks(xs), midranks(ys))
}

// kendall is Kendall's tau-b of xs and ys, which corrects for ties as
// scipy's kendalltau does; NaN for fewer than 3 pairs or a constant side.
// O(n²): a week has a few hundred features at most.
func kendall(xs, ys []float64) float64 {
	n := len(xs)
	if n < 3 {
		return math.NaN()
	}
	var concordant, discordant, tieX, tieY float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			dx, dy := sign(xs[i]-xs[j]), sign(ys[i]-ys[j])
			switch {
			case dx == 0 && dy == 0:
			case dx == 0:
				tieX++
			case dy == 0:
				tieY++
			case dx == dy:
				concordant++
			default:
				discordant++
			}
		}
	}
	den := math.Sqrt((concordant + discordant + tieX) * (concordant + discordant + tieY))
	if den == 0 {
		return math.NaN()
	}
	return (concordant - discordant) / den
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// midranks are the 1-based ranks of xs, ties sharing their mean rank.
func midranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return sign(xs[a] - xs[b]) })
	r := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && xs[idx[j]] == xs[idx[i]] {
			j++
		}
		for _, k := range idx[i:j] {
			r[k] = float64(i+j+1) / 2
		}
		i = j
	}
	return r
}

func pearson(xs, ys []float64) float64 {
	n := float64(len(xs))
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy, sxx, syy = sxy+dx*dy, sxx+dx*dx, syy+dy*dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}
