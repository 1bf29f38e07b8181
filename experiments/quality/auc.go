package quality

import (
	"cmp"
	"math"
	"slices"
)

// scored is one row in the AUC's sort: its score and whether it is a
// positive (of the class whose AUC is taken). The row's index comes along
// for the many-class form, which needs each row's placement.
type scored struct {
	v   float64
	row int32
	pos bool
}

// placements sorts rows by score and returns the AUC of the positives
// against the negatives with each row's placement value (DeLong et al.
// 1988; the names are Sun & Xu's 2014): for a positive, V10, the share of
// negatives scoring below it, ties counting a half; for a negative, V01,
// the share of positives scoring above it, ties a half. The AUC is the
// mean V10 over positives and also the mean V01 over negatives. One sort
// and one pass over groups of equal scores give them all, which is Sun &
// Xu's midrank algorithm: a positive's V10 is its midrank among all rows
// less its midrank among positives, over the negatives' count. place, if
// not nil, receives each row's placement; rows is reused scratch.
//
// The AUC is computed from half-integer counts, exact up to about 2^52
// pairs, then divided once, so it equals the area under scikit-learn's
// trapezoidal ROC curve to the last bits.
func placements(rows []scored, npos, nneg int, place []float64) (auc, s10, s01 float64) {
	slices.SortFunc(rows, func(a, b scored) int { return cmp.Compare(a.v, b.v) })
	P, N := float64(npos), float64(nneg)
	var u, negBelow, posBelow float64
	// Pass 1: the Mann-Whitney count, with each tie group's placements.
	type group struct{ v10, v01, gp, gn float64 }
	groups := make([]group, 0, 64)
	for i := 0; i < len(rows); {
		j := i
		var gp, gn float64
		for j < len(rows) && rows[j].v == rows[i].v {
			if rows[j].pos {
				gp++
			} else {
				gn++
			}
			j++
		}
		below := negBelow + gn/2
		u += gp * below
		g := group{v10: below / N, v01: (P - posBelow - gp + gp/2) / P, gp: gp, gn: gn}
		if place != nil {
			for _, r := range rows[i:j] {
				if r.pos {
					place[r.row] = g.v10
				} else {
					place[r.row] = g.v01
				}
			}
		}
		groups = append(groups, g)
		negBelow += gn
		posBelow += gp
		i = j
	}
	auc = u / (P * N)
	// Pass 2: DeLong's S10 and S01, the sample variances of the
	// placements of positives and of negatives.
	var ss10, ss01 float64
	for _, g := range groups {
		ss10 += g.gp * (g.v10 - auc) * (g.v10 - auc)
		ss01 += g.gn * (g.v01 - auc) * (g.v01 - auc)
	}
	return auc, ss10 / (P - 1), ss01 / (N - 1)
}

// binaryAUC is the AUC of p(class 1) for class 1 against class 0 and its
// standard error by DeLong's variance, S10/m + S01/n for m rows of class 1
// and n of class 0. Both classes have rows; with one row of either the
// sample variance over it is not defined and the standard error is NaN.
// The variance is 0 when the classes' scores do not overlap (AUC 0 or 1)
// or all scores are equal: every placement is then the same, and on
// another sample from a distribution that separates them so cleanly it
// would be again. Near AUC 1 it understates, as every plug-in does.
func binaryAUC(probs []float64, labels []int) (auc, se float64) {
	rows := make([]scored, len(labels))
	var npos int
	for i, y := range labels {
		rows[i] = scored{v: probs[2*i+1], row: int32(i), pos: y == 1}
		if y == 1 {
			npos++
		}
	}
	nneg := len(labels) - npos
	auc, s10, s01 := placements(rows, npos, nneg, nil)
	if npos < 2 || nneg < 2 {
		return auc, math.NaN()
	}
	return auc, math.Sqrt(s10/float64(npos) + s01/float64(nneg))
}

// macroAUC is the mean over classes of each class's one-vs-rest AUC of
// p(class) (scikit-learn's roc_auc_score with multi_class="ovr",
// average="macro") and its standard error. Every class has rows.
//
// The k AUCs are taken on the same rows, each with its own split into
// positives and negatives, so DeLong's covariance between two of them has
// no ready form; the standard error uses what DeLong's variance rests on,
// the linearisation of each AUC in its placements: AUC_c - A_c is about
// the sum over its positives of (V10 - A_c)/m_c plus the sum over its
// negatives of (V01 - A_c)/n_c. So the macro mean is about a sum over rows
// of psi_i = (1/k) sum_c (V_i^c - A_c)/(m_c or n_c), and its variance
// n/(n-1) sum_i psi_i^2. For two classes this is DeLong's variance up to
// the factors (m-1)/m and (n-1)/n; the test checks it against the
// bootstrap.
func macroAUC(probs []float64, k int, labels []int, counts []int) (auc, se float64) {
	n := len(labels)
	rows := make([]scored, n)
	place := make([]float64, n)
	psi := make([]float64, n)
	for c := range k {
		for i, y := range labels {
			rows[i] = scored{v: probs[i*k+c], row: int32(i), pos: y == c}
		}
		m, rest := counts[c], n-counts[c]
		a, _, _ := placements(rows, m, rest, place)
		auc += a
		for i, y := range labels {
			if y == c {
				psi[i] += (place[i] - a) / float64(m)
			} else {
				psi[i] += (place[i] - a) / float64(rest)
			}
		}
	}
	kf := float64(k)
	auc /= kf
	if n < 2 {
		return auc, math.NaN()
	}
	var ss float64
	for _, v := range psi {
		ss += v * v
	}
	return auc, math.Sqrt(ss*float64(n)/float64(n-1)) / kf
}
