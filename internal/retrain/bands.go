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
	// false alarm on a normal retrain. A check tests about ten quantities
	// without data, more with it, so this keeps a normal week's check at
	// about one false alarm in twenty (docs/METHODS.md).
	PerBoundRate = 0.005
	// SEGate is how many of its own standard errors a metric's change
	// must exceed besides its bound: 3, a one-sided 0.13%, as a check
	// tests seven metrics and each must rarely fail on sampling alone.
	SEGate = 3
)

// bandK is, for n = MinHistory..MaxHistory past values, the multiple k of
// the robust scale 1.4826 x MAD such that a new value from the same
// normal distribution lies beyond median + k x scale with probability
// PerBoundRate. MAD from few values is often far too small, so k is large
// while the history is short: 15.7 from 4 values, 4.4 from 12, 3.4 from
// 24. From 400,000 simulated histories per n (TestBandKHoldsItsRate
// checks them by simulation).
var bandK = map[int]float64{
	4: 15.74, 5: 14.59, 6: 8.01, 7: 7.87, 8: 5.85, 9: 5.79, 10: 4.93, 11: 4.89, 12: 4.43,
	13: 4.36, 14: 4.05, 15: 4.09, 16: 3.85, 17: 3.81, 18: 3.71, 19: 3.68, 20: 3.51, 21: 3.52,
	22: 3.44, 23: 3.44, 24: 3.37,
}

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
		how = fmt.Sprintf("learned from %d weeks", b.From)
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
// A Both quantity is a ratio, banded on its logarithm so that x2 and x0.5
// are equally far from 1; so is any quantity whose past values are all
// positive. The band is median ± k x 1.4826 x MAD over the
// newest MaxHistory values, k from bandK; a MAD of 0 (a quantity that
// never moved, such as a count of drifted features that was always 0)
// makes any other value abnormal.
func Learn(past []float64, side Side, def Bound) Bound {
	var xs []float64
	positive := true
	for _, v := range past {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			if side == Both && v <= 0 {
				continue
			}
			positive = positive && v > 0
			xs = append(xs, v)
		}
	}
	// A quantity that is always positive (a change's size, a correlation)
	// is banded on its logarithm: its spread grows with its size and its
	// tail is long on the high side, where a band of the raw values would
	// be too tight above and too loose below.
	logs := side == Both || (positive && side != Either)
	if logs {
		for i, v := range xs {
			xs[i] = math.Log(v)
		}
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
	width := bandK[len(xs)] * 1.4826 * median(dev)
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
