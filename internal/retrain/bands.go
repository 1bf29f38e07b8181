package retrain

import (
	"fmt"
	"math"
	"slices"
)

// Side says which way a quantity goes when a retrain goes wrong.
type Side int

const (
	Above  Side = iota // too large is abnormal (a change, churn)
	Below              // too small is abnormal (a similarity: CKA, rank correlation)
	Both               // either way, on a log scale (a ratio)
	Either             // either way (a change that may have either sign)
)

// The learned bounds. docs/METHODS.md ("Checking a retrain") gives the
// reasons.
const (
	// MinHistory is how many week-to-week changes between normal weeks a
	// quantity needs before its bound is learned; with fewer the default
	// bound applies and the check says so.
	MinHistory = 4
	// MaxHistory is how many of the newest such changes a bound is learned
	// from: half a year of weekly retrains, recent enough to follow a
	// model whose retrains grow steadier.
	MaxHistory = 24
	// PerBoundRate is the chance that one learned bound alone raises a
	// false alarm on a normal retrain, split over both tails for a
	// two-sided bound. A check without data bounds about 18 quantities of
	// a model with evaluations and a behavioural importance series, so
	// this keeps a normal week's check near one false alarm in twenty.
	PerBoundRate = 0.0025
	// SEGate is how many of its own standard errors a metric's change
	// must exceed besides its bound: 3, a one-sided 0.13%, as a check
	// tests seven metrics and each must rarely fail on sampling alone.
	SEGate = 3
)

// bandK and bandK2 are, for n = MinHistory..MaxHistory past values, the
// multiple k of the robust scale 1.4826 x MAD such that a new value from
// the same normal distribution lies beyond median + k x scale (bandK), or
// beyond median ± k x scale (bandK2), with probability PerBoundRate. MAD
// from few values is often far too small, so k is large while the history
// is short. From 1,000,000 simulated histories per n
// (TestBandKHoldsItsRate checks them by simulation).
var (
	bandK = map[int]float64{
		4: 22.53, 5: 20.84, 6: 10.35, 7: 10.12, 8: 7.29, 9: 7.16, 10: 5.98, 11: 5.85, 12: 5.22,
		13: 5.14, 14: 4.75, 15: 4.70, 16: 4.44, 17: 4.38, 18: 4.20, 19: 4.17, 20: 4.03, 21: 4.01,
		22: 3.91, 23: 3.86, 24: 3.76,
	}
	bandK2 = map[int]float64{
		4: 32.14, 5: 29.78, 6: 13.30, 7: 12.98, 8: 9.02, 9: 8.86, 10: 7.04, 11: 6.92, 12: 6.09,
		13: 6.01, 14: 5.44, 15: 5.40, 16: 5.08, 17: 5.01, 18: 4.79, 19: 4.72, 20: 4.53, 21: 4.53,
		22: 4.38, 23: 4.34, 24: 4.23,
	}
)

// Bound is the range a quantity is normal in: at most Hi, at least Lo (a
// NaN end is open). Learned says it came from the model's history.
type Bound struct {
	Lo, Hi  float64
	Learned bool
	From    int // how many past values it was learned from
}

// String says the bound as a check prints it.
func (b Bound) String() string {
	how := "default"
	if b.Learned {
		how = fmt.Sprintf("learned from %d week-to-week changes", b.From)
	}
	switch {
	case math.IsNaN(b.Lo):
		return fmt.Sprintf("at most %.4g (%s)", b.Hi, how)
	case math.IsNaN(b.Hi):
		return fmt.Sprintf("at least %.4g (%s)", b.Lo, how)
	}
	return fmt.Sprintf("%.4g to %.4g (%s)", b.Lo, b.Hi, how)
}

// Outside reports whether v breaks the bound.
func (b Bound) Outside(v float64) bool {
	return (!math.IsNaN(b.Hi) && v > b.Hi) || (!math.IsNaN(b.Lo) && v < b.Lo)
}

// Learn is the bound of a quantity on side from its past values (oldest
// first; NaNs are skipped), or def when fewer than MinHistory are known.
// With logs (a ratio, a size or a correlation: positive quantities whose
// spread grows with their size) the band is on the logarithms, so that
// x2 and x0.5 are equally far from 1; a signed change is banded as it is.
// The band is median ± k x 1.4826 x MAD over the newest MaxHistory
// values, k from bandK (one side) or bandK2 (both); a MAD of 0 (a
// quantity that never moved) makes any other value abnormal.
func Learn(past []float64, side Side, def Bound, logs bool) Bound {
	var xs []float64
	for _, v := range past {
		if math.IsNaN(v) || math.IsInf(v, 0) || (logs && v <= 0) {
			continue
		}
		if logs {
			v = math.Log(v)
		}
		xs = append(xs, v)
	}
	if len(xs) > MaxHistory {
		xs = xs[len(xs)-MaxHistory:]
	}
	if len(xs) < MinHistory {
		return def
	}
	med := median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - med)
	}
	k := bandK[len(xs)]
	if side == Both || side == Either {
		k = bandK2[len(xs)]
	}
	width := k * 1.4826 * median(dev)
	b := Bound{Lo: math.NaN(), Hi: math.NaN(), Learned: true, From: len(xs)}
	lo, hi := med-width, med+width
	if logs {
		lo, hi = math.Exp(lo), math.Exp(hi)
	}
	switch side {
	case Above:
		b.Hi = hi
	case Below:
		b.Lo = lo
	default:
		b.Lo, b.Hi = lo, hi
	}
	return b
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Upper is a default bound of at most hi; Lower of at least lo; Within
// of lo to hi.
func Upper(hi float64) Bound      { return Bound{Lo: math.NaN(), Hi: hi} }
func Lower(lo float64) Bound      { return Bound{Lo: lo, Hi: math.NaN()} }
func Within(lo, hi float64) Bound { return Bound{Lo: lo, Hi: hi} }
