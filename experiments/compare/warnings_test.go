package compare

import (
	"reflect"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

func TestWarnings(t *testing.T) {
	// Eight features: the weight-sum's top group is its top 2. Feature 0
	// leads the weights and has no effect on the output.
	weights := experiments.Result{Kind: experiments.KindWeightSum, Value: []float64{8, 7, 6, 5, 4, 3, 2, 1}}
	weights.Rank = experiments.Rank(weights.Value)
	behaviour := func(kind string) experiments.Result {
		r := experiments.Result{Kind: kind, Value: []float64{0, 7, 6, 5, 4, 3, 2, 1}}
		r.Rank = experiments.Rank(r.Value)
		return r
	}
	names := []string{"age", "income"}
	cases := []struct {
		name      string
		weightSum experiments.Result
		r         experiments.Result
		names     []string
		want      []string
	}{
		{
			name:      "a behavioural method that finds no effect where the weights are largest warns, naming the feature",
			weightSum: weights, r: behaviour(experiments.KindPerturb), names: names,
			want: []string{"feature 0 (age): weight-sum rank 1 of 8 but no measurable perturb effect (0): its large first-layer weights cancel or vanish downstream"},
		},
		{
			name:      "a feature without a name is named by its index",
			weightSum: weights, r: behaviour(experiments.KindDropRetrain),
			want: []string{"feature 0: weight-sum rank 1 of 8 but no measurable drop-retrain effect (0): its large first-layer weights cancel or vanish downstream"},
		},
		{
			name:      "a kind tracker does not know is compared like a behavioural one",
			weightSum: weights, r: behaviour("shap"), names: names,
			want: []string{"feature 0 (age): weight-sum rank 1 of 8 but no measurable shap effect (0): its large first-layer weights cancel or vanish downstream"},
		},
		{
			name:      "a weight-based method is never compared with the weights it reads",
			weightSum: weights, r: behaviour(experiments.KindGarson), names: names,
		},
		{
			name:      "the weight-sum against itself gives nothing",
			weightSum: weights, r: behaviour(experiments.KindWeightSum), names: names,
		},
		{
			name: "without a weight-sum there is nothing to compare",
			r:    behaviour(experiments.KindPermutation), names: names,
		},
		{
			name:      "a method that agrees with the weights gives nothing",
			weightSum: weights, r: experiments.Result{Kind: experiments.KindPerturb, Value: weights.Value, Rank: weights.Rank},
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
