package quality

import (
	"cmp"
	"math"
	"slices"
)

// key packs a score and a flag into one integer whose order is the
// score's: a probability is never negative, so its IEEE 754 bits order
// as the number does (+0 and -0 both become 0 once the sign bit is
// shifted out), and the flag takes the freed low bit. Sorting []uint64
// needs no comparison function, which makes the sorts here, the cost of
// AUC and ECE, several times faster than sorting structs.
func key(v float64, flag bool) uint64 {
	k := math.Float64bits(v) << 1
	if flag {
		k |= 1
	}
	return k
}

// group is a run of equal scores after the sort, with the placement
// values of its rows.
type group struct {
	score    float64
	v10, v01 float64
}

// placements takes keys (a score and whether the row is a positive,
// sorted) and returns the AUC of the positives against the negatives
// with DeLong's S10 and S01 (DeLong, DeLong & Clarke-Pearson 1988; the
// names are Sun & Xu's 2014). A positive's placement V10 is the share of
// negatives scoring below it, ties counting a half; a negative's V01 is
// the share of positives scoring above it, ties a half. The AUC is the
// mean V10 over positives (and the mean V01 over negatives); S10 and S01
// are the sample variances of the positives' and the negatives'
// placements. One sort and two passes over the runs of equal scores give
// them all, which is Sun & Xu's midrank algorithm: a positive's V10 is
// its midrank among all rows less its midrank among positives, over the
// negatives' count. With runs not nil it also appends each run's score
// and placements to it and returns it.
//
// The AUC is computed from half-integer counts, exact up to 2^52 pairs,
// then divided once, so it equals the area under scikit-learn's
// trapezoidal ROC curve to the last bits.
func placements(keys []uint64, npos, nneg int, runs []group) (auc, s10, s01 float64, _ []group) {
	P, N := float64(npos), float64(nneg)
	// run calls f for each run of equal scores with its counts of
	// positives and negatives and its placements.
	run := func(f func(score, gp, gn, v10, v01 float64)) {
		var negBelow, posBelow float64
		for i := 0; i < len(keys); {
			j := i
			var gp float64
			for j < len(keys) && keys[j]>>1 == keys[i]>>1 {
				gp += float64(keys[j] & 1)
				j++
			}
			gn := float64(j-i) - gp
			f(math.Float64frombits(keys[i]>>1), gp, gn, (negBelow+gn/2)/N, (P-posBelow-gp/2)/P)
			negBelow += gn
			posBelow += gp
			i = j
		}
	}
	var u float64 // the Mann-Whitney count: pairs won, ties a half
	run(func(score, gp, gn, v10, v01 float64) {
		u += gp * (v10 * N)
		if runs != nil {
			runs = append(runs, group{score, v10, v01})
		}
	})
	auc = u / (P * N)
	var ss10, ss01 float64
	run(func(_, gp, gn, v10, v01 float64) {
		ss10 += gp * (v10 - auc) * (v10 - auc)
		ss01 += gn * (v01 - auc) * (v01 - auc)
	})
	return auc, ss10 / (P - 1), ss01 / (N - 1), runs
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
	keys := make([]uint64, len(labels))
	npos := 0
	for i, y := range labels {
		keys[i] = key(probs[2*i+1], y == 1)
		npos += y
	}
	sortKeys(keys, nil)
	nneg := len(labels) - npos
	auc, s10, s01, _ := placements(keys, npos, nneg, nil)
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
	keys := make([]uint64, n)
	scratch := make([]uint64, n)
	runs := make([]group, 0, n)
	psi := make([]float64, n)
	for c := range k {
		for i, y := range labels {
			keys[i] = key(probs[i*k+c], y == c)
		}
		sortKeys(keys, scratch)
		m, rest := counts[c], n-counts[c]
		var a float64
		a, _, _, runs = placements(keys, m, rest, runs[:0])
		auc += a
		for i, y := range labels {
			// The row's run, found by its score.
			j, _ := slices.BinarySearchFunc(runs, probs[i*k+c], func(g group, v float64) int { return cmp.Compare(g.score, v) })
			g := runs[j]
			if y == c {
				psi[i] += (g.v10 - a) / float64(m)
			} else {
				psi[i] += (g.v01 - a) / float64(rest)
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
