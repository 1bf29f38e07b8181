package experiments

import (
	"fmt"
	"math"
)

// Effect is a verdict on one feature's behavioural effect: whether it is
// clearly there, negligible, or cannot be judged. experiments/compare
// reaches it from a record's values and standard errors (JudgeEffects);
// the disagreements below take it as given, so the rule for "negligible"
// is written once, there.
type Effect int8

// The three verdicts. The zero value is EffectUnknown, so a verdict that
// was never reached claims nothing.
const (
	EffectUnknown Effect = iota // cannot be judged: uncertainty unknown, too imprecise, or not measured
	EffectNone                  // negligible: indistinguishable from no effect
	EffectClear                 // clearly there: distinguishable from no effect
)

// Disagreement is a feature the weight-sum and a behavioural method rank
// very differently: the answer to "do the first-layer weights tell me what
// the model uses?" for that feature.
type Disagreement struct {
	Feature      int
	WeightRank   int // rank by weight-sum
	Rank         int // rank by the behavioural method, among the features it measured
	Value        float64
	NoEffect     bool // the behavioural effect is negligible
	Underweighed bool // weight-sum ranks it low, behaviour shows a clear effect
	// Partial is set when the behavioural method measured only some
	// features (a drop-retrain of some features): its Rank is among
	// those, so it supports no claim of "top" or "bottom half".
	Partial bool
}

// noEffectShare is the share of the largest behavioural value below which
// Disagreements takes a value to be no effect at all.
const noEffectShare = 0.01

// Disagreements is DisagreementsBy with effects read from the values
// alone: under noEffectShare of the largest |value| is no effect, any
// other value a clear one. That reading is only sound for values without
// sampling noise, such as a fixed model's planted structure; the commands
// judge effects against each record's uncertainty (compare.Warnings).
func Disagreements(weightSum, behaviour Result) []Disagreement {
	var peak float64
	for f, v := range behaviour.Value {
		if f < len(behaviour.Rank) && behaviour.Rank[f] > 0 {
			peak = max(peak, math.Abs(v))
		}
	}
	effect := make([]Effect, len(behaviour.Value))
	for f, v := range behaviour.Value {
		effect[f] = EffectClear
		if math.Abs(v) <= noEffectShare*peak {
			effect[f] = EffectNone
		}
	}
	return DisagreementsBy(weightSum, behaviour, effect)
}

// DisagreementsBy compares a weight-sum result with a behavioural result
// over the same features, given the verdict on each feature's behavioural
// effect. Only features whose effect is judged (clearly there or
// negligible) are reported; a feature the behavioural method did not
// measure (rank 0) is not judged at all. A feature is reported when:
//
//   - it is in the weight-sum's top group (the top 10, or the top quarter
//     of a smaller model) and its effect is negligible ("no effect"), or
//     clearly there but ranked in the bottom half by behaviour ("weak
//     effect"), which needs every feature measured: rank 2 of 3 dropped
//     features says nothing about the other 79;
//   - it is in the weight-sum's bottom half and its effect is clearly there
//     and in the behavioural top group ("strong effect"), or, when the
//     method measured only some features, clearly there at all.
func DisagreementsBy(weightSum, behaviour Result, effect []Effect) []Disagreement {
	n := len(weightSum.Value)
	if n == 0 || len(behaviour.Value) != n || len(behaviour.Rank) != n || len(weightSum.Rank) != n || len(effect) != n {
		return nil
	}
	top := max(1, min(10, n/4))
	complete := true
	for _, r := range behaviour.Rank {
		complete = complete && r > 0
	}
	var out []Disagreement
	for f := range n {
		wr, br, e := weightSum.Rank[f], behaviour.Rank[f], effect[f]
		if br == 0 || e == EffectUnknown {
			continue
		}
		d := Disagreement{Feature: f, WeightRank: wr, Rank: br, Value: behaviour.Value[f], NoEffect: e == EffectNone, Partial: !complete}
		switch {
		case wr <= top && (e == EffectNone || complete && br > n/2):
			out = append(out, d)
		case wr > n/2 && e == EffectClear && (!complete || br <= top):
			d.Underweighed = true
			out = append(out, d)
		}
	}
	return out
}

// Describe says in one line what the disagreement means; name is the
// feature's display name and method the behavioural kind.
func (d Disagreement) Describe(name, method string, features int) string {
	switch {
	case d.Underweighed && d.Partial:
		return fmt.Sprintf("feature %s: weight-sum rank %d of %d but a clear %s effect (%.3g): small first-layer weights, an effect on the output", name, d.WeightRank, features, method, d.Value)
	case d.Underweighed:
		return fmt.Sprintf("feature %s: weight-sum rank %d of %d but %s rank %d: small first-layer weights, strong effect on the output", name, d.WeightRank, features, method, d.Rank)
	case d.NoEffect:
		return fmt.Sprintf("feature %s: weight-sum rank %d of %d but no measurable %s effect (%.3g): its large first-layer weights cancel or vanish downstream", name, d.WeightRank, features, method, d.Value)
	default:
		return fmt.Sprintf("feature %s: weight-sum rank %d of %d but %s rank %d: large first-layer weights, weak effect on the output", name, d.WeightRank, features, method, d.Rank)
	}
}
