package quality

import (
	"math"
)

// ece is the expected calibration error of rows with confidence conf (the
// predicted class's probability) and hit (the predicted class is the
// label), over Bins equal-mass bins, and its standard error.
//
// Bins: the rows sorted by confidence are cut after rows floor(b n/Bins),
// b = 1..Bins-1. A cut that falls inside a run of equal confidences moves
// to the end of the run, so equal confidences always share a bin and the
// answer does not depend on the rows' order; a bin left empty is dropped.
// Constant predictions are therefore one bin, and ECE is |accuracy -
// confidence| over all rows. With fewer than Bins rows some bins are
// empty and each row that remains is its own bin.
//
// The standard error takes each bin's observed gap as the mean of a
// normal with the gap's own standard error (the standard deviation of
// hit - confidence in the bin over sqrt(rows)), bins independent and
// their edges fixed, and adds the variances of the |gap|s (foldedVar),
// each weighted by its bin's share squared. This is the parametric
// bootstrap of the bins in closed form: no random draws, the same answer
// every run, microseconds for any n. The absolute value is why a plain
// delta method will not do: for a calibrated bin the gap's sign is
// noise, and |gap| varies less than gap. Centred at the observed gap, as
// a bootstrap of rows also is, it overstates the error of a
// well-calibrated model somewhat (at a true gap of 0 by up to
// 1/sqrt(1-2/pi) = 1.66 times), so it errs towards calling fewer
// changes; the test checks it against a bootstrap of rows that re-bins
// every resample. NaN when a bin holds fewer than 2 rows.
func ece(conf []float64, hit []bool) (e, se float64) {
	n := len(conf)
	keys := make([]uint64, n)
	for i := range conf {
		keys[i] = key(conf[i], hit[i])
	}
	sortKeys(keys, nil)
	q := func(i int) float64 { return math.Float64frombits(keys[i] >> 1) }
	h := func(i int) float64 { return float64(keys[i] & 1) }
	var variance float64
	start := 0
	for b := 1; b <= Bins; b++ {
		end := b * n / Bins
		for end > 0 && end < n && keys[end]>>1 == keys[end-1]>>1 {
			end++
		}
		if end <= start {
			continue
		}
		// d_i = hit_i - q_i: the bin's gap is the mean of d, and its
		// spread the sample variance of d.
		var sum float64
		for i := start; i < end; i++ {
			sum += h(i) - q(i)
		}
		nb := float64(end - start)
		gap := sum / nb
		var ss float64
		for i := start; i < end; i++ {
			d := h(i) - q(i) - gap
			ss += d * d
		}
		w := nb / float64(n)
		e += w * math.Abs(gap)
		if end-start < 2 {
			variance = math.NaN()
		} else {
			variance += w * w * foldedVar(gap, math.Sqrt(ss/(nb-1)/nb))
		}
		start = end
	}
	return e, math.Sqrt(variance)
}

// foldedVar is the variance of |X| for X normal with mean mu and standard
// deviation sigma (the folded normal; Leone, Nelson & Nottingham 1961):
// mu^2 + sigma^2 - (E|X|)^2, with E|X| = sigma sqrt(2/pi) exp(-mu^2/2sigma^2)
// + mu (1 - 2 Phi(-mu/sigma)), and 1 - 2 Phi(-z) = erf(z/sqrt 2).
func foldedVar(mu, sigma float64) float64 {
	if sigma == 0 {
		return 0
	}
	mean := sigma*math.Sqrt(2/math.Pi)*math.Exp(-mu*mu/(2*sigma*sigma)) + mu*math.Erf(mu/(sigma*math.Sqrt2))
	return max(mu*mu+sigma*sigma-mean*mean, 0)
}
