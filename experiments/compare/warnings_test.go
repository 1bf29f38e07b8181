package compare

import (
	"math"
	"reflect"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

func TestWarnings(t *testing.T) {
	nan := math.NaN()
	// Eight features: the weight-sum's top group is its top 2. Feature 0
	// leads the weights and has no effect on the output.
	weights := experiments.Result{Kind: experiments.KindWeightSum, Value: []float64{8, 7, 6, 5, 4, 3, 2, 1}}
	weights.Rank = experiments.Rank(weights.Value)
	tight := []float64{0.0005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005}
	behaviour := func(kind string, samples int, se []float64) experiments.Result {
		return signed(kind, samples, []float64{0, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1}, se)
	}
	// The drop-retrain of 3 of 82 features: feature 0 tops the
	// weights and costs 5 points, but ranks 2 of the 3; feature 1, second
	// by weight, costs nothing; feature 60, low by weight, costs 8.
	wide := experiments.Result{Kind: experiments.KindWeightSum, Value: make([]float64, 82)}
	drop := make([]float64, 82)
	dropSE := make([]float64, 82)
	for f := range wide.Value {
		wide.Value[f] = float64(82 - f)
		drop[f], dropSE[f] = nan, nan
	}
	wide.Rank = experiments.Rank(wide.Value)
	drop[0], drop[1], drop[60] = 0.05, 0.0001, 0.08
	dropSE[0], dropSE[1], dropSE[60] = 0.003, 0.0003, 0.003
	names := []string{"age", "income"}
	cases := []struct {
		name      string
		weightSum experiments.Result
		r         experiments.Result
		names     []string
		want      []string
	}{
		{
			name:      "a feature with a negligible effect where the weights are largest warns, naming it",
			weightSum: weights, r: behaviour(experiments.KindPermutation, 5, tight), names: names,
			want: []string{"feature 0 (age): weight-sum rank 1 of 8 but no measurable permutation effect (0): its large first-layer weights cancel or vanish downstream"},
		},
		{
			name:      "a value near zero measured too loosely to call negligible warns of nothing",
			weightSum: weights, r: behaviour(experiments.KindPermutation, 5, append([]float64{0.2}, tight[1:]...)), names: names,
		},
		{
			name:      "a drop-retrain on one seed has no uncertainty: no strong or weak claim, and the line says so",
			weightSum: weights, r: behaviour(experiments.KindDropRetrain, 1, []float64{nan, nan, nan, nan, nan, nan, nan, nan}),
			want: []string{"drop-retrain: no disagreement with the weight-sum is judged: the uncertainty of its values is unknown (one seed or one repeat)"},
		},
		{
			name:      "a sensitivity without a null judges no disagreement, and the line says why",
			weightSum: weights, r: experiments.Result{Kind: experiments.KindPerturb, Value: []float64{0.5, 7, 6, 5, 4, 3, 2, 1}, Rank: experiments.Rank([]float64{0.5, 7, 6, 5, 4, 3, 2, 1})},
			want: []string{"perturb: no disagreement with the weight-sum is judged: an output sensitivity cannot tell a small effect from none without a null"},
		},
		{
			name:      "a sensitivity of zero where the weights are largest is no effect, and the others are not judged",
			weightSum: weights, r: experiments.Result{Kind: experiments.KindPerturb, Value: []float64{0, 0.1, 6, 5, 4, 3, 2, 7}, Rank: experiments.Rank([]float64{0, 0.1, 6, 5, 4, 3, 2, 7})},
			want: []string{
				"feature 0: weight-sum rank 1 of 8 but no measurable perturb effect (0): its large first-layer weights cancel or vanish downstream",
				"perturb: no disagreement with the weight-sum is judged for its other features: an output sensitivity cannot tell a small effect from none without a null",
			},
		},
		{
			name:      "a drop-retrain of some features is not ranked among only those: a feature costing 5 points is no 'weak effect', one costing nothing is negligible, one with small weights and a clear effect says so without a rank",
			weightSum: wide, r: signed(experiments.KindDropRetrain, 3, drop, dropSE),
			want: []string{
				"feature 1: weight-sum rank 2 of 82 but no measurable drop-retrain effect (0.0001): its large first-layer weights cancel or vanish downstream",
				"feature 60: weight-sum rank 61 of 82 but a clear drop-retrain effect (0.08): small first-layer weights, an effect on the output",
			},
		},
		{
			name:      "a weight-based method is never compared with the weights it reads",
			weightSum: weights, r: experiments.Result{Kind: experiments.KindGarson, Value: weights.Value, Rank: weights.Rank}, names: names,
		},
		{
			name: "without a weight-sum there is nothing to compare",
			r:    behaviour(experiments.KindPermutation, 5, tight), names: names,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Warnings(c.weightSum, c.r, c.names); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Warnings:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}
