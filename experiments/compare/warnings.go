package compare

import (
	"fmt"

	"github.com/tracker-ml/tracker/experiments"
)

// Warnings says, one line per feature, where the weight-sum and r disagree
// about a feature whose behavioural effect is judged clearly there or
// negligible (JudgeEffects, experiments.DisagreementsBy), naming the
// feature by experiments.FeatureLabel and the method by r.Kind. When r
// cannot judge its features (its uncertainty is unknown, as with one seed;
// no feature is clearly there, as in a broken retrain; or it is a
// sensitivity without a null, which judges only the values that are zero)
// a last line says so: a value whose uncertainty is unknown supports no
// claim of a strong, weak or absent effect. A weight-based r (weight-sum,
// Garson, Olden) gives none:
// it reads the same first-layer weights, so agreeing with them would say
// nothing about behaviour. An empty weightSum (the week has none) gives
// none.
func Warnings(weightSum, r experiments.Result, names []string) []string {
	if !behavioural(r.Kind) || len(weightSum.Value) == 0 {
		return nil
	}
	e := JudgeEffects(r)
	var out []string
	for _, d := range experiments.DisagreementsBy(weightSum, r, e.Effect) {
		out = append(out, d.Describe(experiments.FeatureLabel(names, d.Feature), r.Kind, len(r.Value)))
	}
	switch {
	case e.Judged():
	case e.Any():
		out = append(out, fmt.Sprintf("%s: no disagreement with the weight-sum is judged for its other features: %s", r.Kind, e.Why))
	default:
		out = append(out, fmt.Sprintf("%s: no disagreement with the weight-sum is judged: %s", r.Kind, e.Why))
	}
	return out
}
