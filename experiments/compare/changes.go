package compare

import (
	"fmt"
	"math"

	"github.com/tracker-ml/tracker/experiments"
)

// Q is the false discovery rate every verdict controls across the features
// of one week (Benjamini–Hochberg): of the features called significant, or
// clearly there, about 5% in the long run are noise. With 82 features and
// nothing changing, a week calls about one feature in twenty weeks.
const Q = 0.05

// modelWideShare: a week where at least half of the judged features
// changed significantly changed the whole model (a broken or very
// different retrain), which says nothing about any one feature.
const modelWideShare = 0.5

// Change is the verdict on one feature's change from the week before.
type Change struct {
	Feature int
	Delta   float64 // this week's value minus the week before's; NaN unless both measured it
	SE      float64 // the measurements' standard error of Delta, sqrt(se_a^2 + se_b^2); NaN when unknown
	Noise   Noise   // the learned week-to-week noise it is judged against
	// P is the p-value of "Delta is noise": the larger of the two-sided
	// p-values against SE and against Noise, 1 where it is plainly over Q;
	// NaN when not judged (a week without the feature, or the noise not
	// learned yet).
	P           float64
	Significant bool // P is among the week's discoveries at false discovery rate Q
}

// Judged reports whether the change was tested.
func (c Change) Judged() bool { return !math.IsNaN(c.P) }

// Score is |Delta| in units of the learned noise, NaN when not judged: how
// far the change stands out, comparable across methods and features.
func (c Change) Score() float64 {
	if !c.Judged() {
		return math.NaN()
	}
	return math.Abs(c.Delta) / c.Noise.Scale
}

// Changes is one week's verdicts, one per feature.
type Changes []Change

// Judged is how many features' changes were tested.
func (cs Changes) Judged() int {
	n := 0
	for _, c := range cs {
		if c.Judged() {
			n++
		}
	}
	return n
}

// Significant is how many changed significantly.
func (cs Changes) Significant() int {
	n := 0
	for _, c := range cs {
		if c.Significant {
			n++
		}
	}
	return n
}

// ModelWide reports whether the week changed the whole model: at least
// half of its judged features changed significantly.
func (cs Changes) ModelWide() bool {
	j := cs.Judged()
	return j > 0 && float64(cs.Significant()) >= modelWideShare*float64(j)
}

// Compared is how many features both weeks measured, judged or not.
func (cs Changes) Compared() int {
	n := 0
	for _, c := range cs {
		if !math.IsNaN(c.Delta) {
			n++
		}
	}
	return n
}

// Unjudged says why no change of the week was judged: no feature measured
// in both weeks, or the noise not learned yet; "" when some were.
func (cs Changes) Unjudged() string {
	switch {
	case cs.Judged() > 0:
		return ""
	case cs.Compared() == 0:
		return "no feature was measured in both weeks"
	}
	weeks := 0
	for _, c := range cs {
		weeks = max(weeks, c.Noise.Weeks)
	}
	return fmt.Sprintf("the week-to-week noise is not learned yet (%d of %d past weeks)", weeks, MinChanges)
}

// JudgeChanges judges each feature's change into week t of series (one
// method with one set of parameters, oldest first, an empty Result where a
// week has no record). A change is significant only when it stands out
// against both the measurements' standard error (Student's t with the
// Welch–Satterthwaite degrees of freedom of the two weeks' standard
// errors, the normal where those are unknown) and the learned
// week-to-week noise (t with the noise's degrees of freedom), after
// Benjamini–Hochberg at Q across the features judged that week: the
// p-value tested is the larger of the two (an intersection–union test).
// The noise is learned from the Lookback weeks up to week t only, and
// from the changes among them that were normal (not themselves
// significant, judged the same way in turn), so a verdict does not depend
// on how much older history the caller passes and a broken week does not
// teach the noise.
//
// Where the standard error is unknown (a weight-based method, one seed)
// the change is judged against the learned noise alone: that noise is
// learned from the same series, same method and parameters, so it already
// holds the measurement's own sampling error. Where the noise is not
// learned yet, no change is judged, whatever its standard error says: the
// retrain's randomness is most of a week's change and the standard error
// does not see it.
func JudgeChanges(series []experiments.Result, t int) Changes {
	lo := max(0, t-Lookback)
	return JudgeWeeks(series[lo:t+1], t-lo)[t-lo]
}

// JudgeSeason is JudgeChanges for every week of series at once, in time
// linear in its length: week t's verdicts are JudgeChanges(series, t).
func JudgeSeason(series []experiments.Result) []Changes { return JudgeWeeks(series, 0) }

// JudgeWeeks is JudgeSeason for the weeks from from on, the weeks before
// being only the past they learn from: out[t] is nil for t < from.
func JudgeWeeks(series []experiments.Result, from int) []Changes {
	return prepare(series).judgeWeeks(from)
}

// JudgeAlone is JudgeWeeks for quantities that are not alike, such as a
// model's metrics (accuracy beside log loss): each one's noise is learned
// from its own past changes only, never pooled with the others' (no
// bands), and the false discovery rate is still controlled across the
// week's quantities.
func JudgeAlone(series []experiments.Result, from int) []Changes {
	s := prepare(series)
	s.alone = true
	return s.judgeWeeks(from)
}

func (s *season) judgeWeeks(from int) []Changes {
	series := s.series
	// A first pass judges each week against all its past changes; the
	// second learns each week's noise from the changes the first found
	// normal. Both read only the NoiseChanges weeks before the week they
	// judge, so a verdict reads only the Lookback weeks before its own.
	abnormal := make([][]bool, len(series))
	first := make([]Changes, len(series))
	for k := max(0, from-NoiseChanges); k < len(series); k++ {
		first[k] = s.judge(k, nil, nil)
		abnormal[k] = make([]bool, len(first[k]))
		for f, c := range first[k] {
			abnormal[k][f] = c.Significant
		}
	}
	out := make([]Changes, len(series))
	for k := from; k < len(series); k++ {
		out[k] = s.judge(k, abnormal, first[k])
	}
	return out
}

// judge is the verdict on week k, its noise learned from the past changes
// that abnormal does not mark (all of them when abnormal is nil); prior is
// the verdict from all of them, when known.
func (s *season) judge(k int, abnormal [][]bool, prior Changes) Changes {
	n := len(s.series[k].Value)
	out := make(Changes, n)
	noise := s.learnNoise(k, abnormal, prior)
	ps := make([]float64, n)
	for f := range n {
		c := Change{Feature: f, Delta: math.NaN(), SE: math.NaN(), Noise: noise[f], P: math.NaN()}
		if k > 0 {
			c.Delta = s.delta[k][f]
		}
		if !math.IsNaN(c.Delta) {
			seCur, sePrev := s.se[k][f], s.se[k-1][f]
			c.SE = math.Hypot(seCur, sePrev)
			if c.Noise.Learned {
				c.P = pAgainst(c.Delta, c.Noise.Scale, c.Noise.DF)
				if !math.IsNaN(c.SE) && c.P <= Q {
					c.P = max(c.P, pAgainst(c.Delta, c.SE, welch(seCur, s.df[k][f], sePrev, s.df[k-1][f])))
				}
			}
		}
		ps[f] = c.P
		out[f] = c
	}
	for f, sig := range benjaminiHochberg(ps, Q) {
		out[f].Significant = sig
	}
	return out
}

// pAgainst is the two-sided p-value of a change d against a scale s on df
// degrees of freedom. A zero scale (the values never moved) makes any
// change certain and no change none. Under 1.96 scales (the normal's 5%
// point, which every t's exceeds) the p-value is over Q = 5% and no
// procedure at Q can call it, so it is given as 1 and not computed: most
// features of most weeks.
func pAgainst(d, s, df float64) float64 {
	if s == 0 {
		if d == 0 {
			return 1
		}
		return 0
	}
	if math.Abs(d/s) < notAtQ {
		return 1
	}
	return tDist(df).twoSided(d / s)
}

// notAtQ is the |t| under which a two-sided p-value exceeds Q for any
// degrees of freedom: the normal's 1-Q/2 point.
var notAtQ = tDist(math.Inf(1)).quantile(1 - Q/2)
