package compare

import (
	"fmt"
	"math"
	"slices"

	"github.com/tracker-ml/tracker/experiments"
)

// The negligible verdict's constants; docs/METHODS.md ("Verdicts") gives
// the reasons.
const (
	// NegligibleShare: a feature not distinguishable from no effect is
	// negligible only when its upper confidence bound is also under a
	// tenth of the record's largest value, so a value measured too loosely
	// to tell is not passed off as nothing. A tenth: an effect that small
	// is not worth keeping a feature for next to the strongest, and it is
	// about 3.3 standard errors of a permutation value over a few thousand
	// rows, so a feature with no effect clears the bound 19 times in 20.
	NegligibleShare = 0.10
	// NegligibleDrop is that bound for a record of only some features (a
	// drop-retrain to confirm candidates): its largest value is the
	// largest of the few it measured, often all small by design, so the
	// bound is absolute, in the metric's units: half a point of accuracy
	// or AUC, 0.005 of log loss.
	NegligibleDrop = 0.005
	// boundLevel is the one-sided confidence of that upper bound.
	boundLevel = 0.95
	// zeroShare: a sensitivity under a millionth of the record's largest
	// is zero to the float precision of the computation: the output did
	// not move for any copy (weights that cancel, a dead path, a constant
	// column). That needs no null, and is negligible.
	zeroShare = 1e-6
)

// NullKey names the per-feature null a sensitivity method may store in
// Result.Extra: the 95th percentile its value takes for a feature with no
// link to the output (shadow features, Boruta). No method stores one yet.
const NullKey = "null_p95"

// Why a record's features cannot be judged negligible or clearly there.
const (
	whyWeights     = "no such verdict is possible from weights alone"
	whySensitivity = "an output sensitivity cannot tell a small effect from none without a null"
	whyUncertainty = "the uncertainty of its values is unknown (one seed or one repeat)"
	whyNoScale     = "no feature's effect is clearly there, so there is no largest effect to call one negligible against (a model that learned nothing, such as a broken retrain)"
)

// Effects is the verdict on every feature's effect in one record.
type Effects struct {
	Effect []experiments.Effect // per feature
	// P is the one-sided p-value of "no positive effect" (1 where it is
	// plainly over Q), NaN where not tested; Upper the one-sided 95% upper
	// confidence bound of the value.
	P, Upper []float64
	Bound    float64 // the upper bound a negligible feature stays under; NaN when not used
	Partial  bool    // the record measured only some features, so Bound is NegligibleDrop
	// Why says why the record cannot judge its features ("" when it
	// can): the kind, or its uncertainty, allows no verdict. A sensitivity
	// without a null still judges the values that are zero (Effect), and
	// its unknown verdicts on the others are no claim at all.
	Why string
}

// Judged reports whether the record can judge its features' effects.
func (e Effects) Judged() bool { return e.Why == "" }

// Any reports whether any feature's effect was judged.
func (e Effects) Any() bool {
	return slices.ContainsFunc(e.Effect, func(x experiments.Effect) bool { return x != experiments.EffectUnknown })
}

// JudgeEffects says, for each feature of r, whether its effect is clearly
// there, negligible, or cannot be judged:
//
//   - permutation and drop-retrain (signed, label-aware: 0 is no effect):
//     a one-sided test of value > 0 with the record's standard error
//     (Student's t on the stored degrees of freedom, or n-1 for n
//     repeats or seeds, the normal when unknown), Benjamini–Hochberg at Q
//     across the measured features. A discovery is clearly there. The rest
//     are negligible when the upper 95% bound, value + t x SE, is under
//     NegligibleShare of the record's largest value (NegligibleDrop for
//     a record of only some features), and cannot be judged otherwise
//     (too loosely measured). A record of every feature in which none is
//     clearly there (a broken retrain) has no effect to scale the bound
//     by, and judges nothing. Features without a standard error cannot
//     be judged; a record with none, such as a drop-retrain on one seed,
//     judges nothing and says so in Why.
//   - perturb and gradient measure how the output moves, which is never
//     exactly zero for an input the model reads and has no zero to test
//     against: with a stored null (NullKey) a feature whose value does not
//     beat it is negligible and one whose value beats it by more than its
//     upper-bound margin is clearly there; without one only a value zero
//     to float precision (under a millionth of the largest: the output
//     never moved) is judged, negligible, and the rest cannot be.
//   - weight-based methods: nothing is judged, and Why says that no such
//     verdict is possible from weights alone.
//
// Unmeasured features (rank 0) are never judged.
func JudgeEffects(r experiments.Result) Effects {
	n := len(r.Value)
	e := Effects{Effect: make([]experiments.Effect, n), P: nans(n), Upper: nans(n), Bound: math.NaN()}
	switch r.Kind {
	case "":
		e.Why = "no record"
	case experiments.KindWeightSum, experiments.KindGarson, experiments.KindOlden:
		e.Why = whyWeights
	case experiments.KindPerturb, experiments.KindGradient:
		if null := r.Extra[NullKey]; len(null) == n && n > 0 {
			e.againstNull(r, null)
		} else {
			e.zeroOnly(r)
		}
	case experiments.KindPermutation, experiments.KindDropRetrain:
		e.againstZero(r)
	default:
		e.Why = fmt.Sprintf("tracker does not know how a %s value is sampled", r.Kind)
	}
	return e
}

func (e *Effects) againstZero(r experiments.Result) {
	se, df := experiments.StandardErrors(r), degreesOfFreedom(r)
	top, all := 0.0, true
	for f, v := range r.Value {
		if measured(r, f) {
			top = max(top, v)
		} else {
			all = false
		}
	}
	e.Bound = NegligibleShare * top
	if !all {
		e.Bound, e.Partial = NegligibleDrop, true
	}
	quantiles := map[tDist]float64{} // one per degrees of freedom: most records have one
	tested := 0
	for f, v := range r.Value {
		if !measured(r, f) || math.IsNaN(se[f]) {
			continue
		}
		tested++
		switch {
		case se[f] == 0 && v > 0:
			e.P[f], e.Upper[f] = 0, v
		case se[f] == 0:
			e.P[f], e.Upper[f] = 1, v
		default:
			t := tDist(df[f])
			q, ok := quantiles[t]
			if !ok {
				q = t.quantile(boundLevel)
				quantiles[t] = q
			}
			e.P[f], e.Upper[f] = 1, v+q*se[f]
			if v/se[f] >= notAtQOne {
				e.P[f] = t.upper(v / se[f])
			}
		}
	}
	if tested == 0 {
		e.Why = whyUncertainty
		return
	}
	there := benjaminiHochberg(e.P, Q)
	if !e.Partial && !slices.Contains(there, true) {
		// The bound is a share of the largest value, which means something
		// only when that value is an effect: with none clearly there it is
		// noise, and a bound scaled by noise would call features
		// negligible at random.
		e.Why, e.Bound = whyNoScale, math.NaN()
		return
	}
	for f := range r.Value {
		switch {
		case there[f]:
			e.Effect[f] = experiments.EffectClear
		case !math.IsNaN(e.Upper[f]) && e.Upper[f] < e.Bound:
			e.Effect[f] = experiments.EffectNone
		}
	}
}

// zeroOnly judges a sensitivity without a null: a value zero to float
// precision (under zeroShare of the largest) is negligible, nothing else is
// judged, and Why says so.
func (e *Effects) zeroOnly(r experiments.Result) {
	e.Why = whySensitivity
	top := 0.0
	for f, v := range r.Value {
		if measured(r, f) {
			top = max(top, math.Abs(v))
		}
	}
	for f, v := range r.Value {
		if measured(r, f) && top > 0 && math.Abs(v) <= zeroShare*top {
			e.Effect[f] = experiments.EffectNone
		}
	}
}

func (e *Effects) againstNull(r experiments.Result, null []float64) {
	se, df := experiments.StandardErrors(r), degreesOfFreedom(r)
	for f, v := range r.Value {
		if !measured(r, f) || math.IsNaN(null[f]) {
			continue
		}
		margin := 0.0
		if !math.IsNaN(se[f]) {
			margin = tDist(df[f]).quantile(boundLevel) * se[f]
			e.Upper[f] = v + margin
		}
		switch {
		case v <= null[f]:
			e.Effect[f] = experiments.EffectNone
		case v-margin > null[f]:
			e.Effect[f] = experiments.EffectClear
		}
	}
}

// notAtQOne is the t under which a one-sided p-value exceeds Q for any
// degrees of freedom: the normal's 1-Q point.
var notAtQOne = tDist(math.Inf(1)).quantile(1 - Q)

func nans(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}
