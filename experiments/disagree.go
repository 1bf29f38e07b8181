package experiments

import (
	"fmt"
	"math"
)

// Disagreement is a feature the weight-sum and a behavioural method rank
// very differently: the answer to "do the first-layer weights tell me what
// the model uses?" for that feature.
type Disagreement struct {
	Feature      int
	WeightRank   int // rank by weight-sum
	Rank         int // rank by the behavioural method
	Value        float64
	NoEffect     bool // the behavioural value is negligible
	Underweighed bool // weight-sum ranks it low, behaviour ranks it high
}

// negligible is the share of the largest behavioural value below which a
// feature counts as having no measurable effect.
const negligible = 0.01

// Disagreements compares a weight-sum result with a behavioural result over
// the same features. A feature is reported when it is in the weight-sum's
// top group (the top 10, or the top quarter of a smaller model) but has no
// measurable effect or ranks in the bottom half by behaviour, or the other
// way round: in the behavioural top group but in the weight-sum's bottom
// half. Features the behavioural method did not measure (rank 0, as in a
// drop-retrain of some features) are left out.
func Disagreements(weightSum, behaviour Result) []Disagreement {
	n := len(weightSum.Value)
	if n == 0 || len(behaviour.Value) != n {
		return nil
	}
	top := max(1, min(10, n/4))
	var peak float64
	measured := 0
	for f, v := range behaviour.Value {
		if behaviour.Rank[f] > 0 {
			peak = max(peak, math.Abs(v))
			measured++
		}
	}
	// The behavioural top group is judged among the features it measured:
	// rank 3 of 5 dropped features is not a top-10 rank of 82.
	btop := max(1, min(10, measured/4))
	var out []Disagreement
	for f := range n {
		wr, br := weightSum.Rank[f], behaviour.Rank[f]
		if br == 0 {
			continue
		}
		noEffect := math.Abs(behaviour.Value[f]) <= negligible*peak
		d := Disagreement{Feature: f, WeightRank: wr, Rank: br, Value: behaviour.Value[f], NoEffect: noEffect}
		switch {
		case wr <= top && (noEffect || br > measured/2):
			out = append(out, d)
		case br <= btop && !noEffect && wr > n/2:
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
	case d.Underweighed:
		return fmt.Sprintf("feature %s: weight-sum rank %d of %d but %s rank %d: small first-layer weights, strong effect on the output", name, d.WeightRank, features, method, d.Rank)
	case d.NoEffect:
		return fmt.Sprintf("feature %s: weight-sum rank %d of %d but no measurable %s effect (%.3g): its large first-layer weights cancel or vanish downstream", name, d.WeightRank, features, method, d.Value)
	default:
		return fmt.Sprintf("feature %s: weight-sum rank %d of %d but %s rank %d: large first-layer weights, weak effect on the output", name, d.WeightRank, features, method, d.Rank)
	}
}
