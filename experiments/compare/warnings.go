package compare

import "github.com/tracker-ml/tracker/experiments"

// Warnings says, one line per feature, where the weight-sum and r rank a
// feature very differently (experiments.Disagreements), naming the feature
// by experiments.FeatureLabel and the method by r.Kind. A weight-based r
// (weight-sum, Garson, Olden) gives none: it reads the same first-layer
// weights, so agreeing with them would say nothing about behaviour. A kind
// tracker does not know (results imported under another name) is taken to
// measure behaviour. An empty weightSum (the week has none) gives none.
func Warnings(weightSum, r experiments.Result, names []string) []string {
	if experiments.OrderOf(r.Kind) < experiments.OrderOf(experiments.KindPerturb) {
		return nil
	}
	var out []string
	for _, d := range experiments.Disagreements(weightSum, r) {
		out = append(out, d.Describe(experiments.FeatureLabel(names, d.Feature), r.Kind, len(r.Value)))
	}
	return out
}
