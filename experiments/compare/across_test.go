package compare

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

func TestNegligibleAcross(t *testing.T) {
	nan := math.NaN()
	// Four features: 0 matters, 1 and 2 are negligible, 3 is too loosely
	// measured to tell.
	perm := signed(experiments.KindPermutation, 5, []float64{0.2, 0.001, 0, 0.004}, []float64{0.01, 0.001, 0.001, 0.02})
	permOne := signed(experiments.KindPermutation, 1, perm.Value, []float64{nan, nan, nan, nan})
	perturb := experiments.Result{Kind: experiments.KindPerturb, Value: []float64{0.3, 0.01, 0.02, 0.01}, Rank: []int{1, 3, 2, 4}}
	// A drop-retrain of features 1 and 2: 1 costs nothing, 2 costs 4 points.
	drop := signed(experiments.KindDropRetrain, 3, []float64{nan, 0.0001, 0.04, nan}, []float64{nan, 0.0002, 0.002, nan})
	// A broken retrain: every value near zero, nothing clearly there.
	broken := signed(experiments.KindPermutation, 5, []float64{0.001, -0.0005, 0.0002, 0}, []float64{0.001, 0.001, 0.001, 0.001})
	zeroAt2 := experiments.Result{Kind: experiments.KindPerturb, Value: []float64{0.3, 0.01, 0, 0.01}, Rank: []int{1, 3, 4, 2}}
	weights := experiments.Result{Kind: experiments.KindWeightSum, Value: []float64{1, 1, 1, 1}, Rank: []int{1, 2, 3, 4}}
	l := func(label string, r experiments.Result) Labeled { return Labeled{Label: label, Result: r} }
	cases := []struct {
		name   string
		weeks  [][]Labeled
		kinds  []string
		want   []int
		passed []int // every candidate's weeks passed over
		unable []Unable
	}{
		{
			name:  "features negligible in every week are candidates; one too loosely measured is not",
			weeks: [][]Labeled{{l("permutation", perm), l("weight-sum", weights)}, {l("permutation", perm)}},
			want:  []int{1, 2},
		},
		{
			name:   "a week whose methods cannot judge counts neither for nor against, and is listed",
			weeks:  [][]Labeled{{l("permutation", perm)}, {l("permutation", permOne), l("perturb", perturb)}},
			want:   []int{1, 2},
			passed: []int{1},
			unable: []Unable{{Label: "permutation", Why: whyUncertainty, Week: 1}, {Label: "perturb", Why: whySensitivity, Week: 1}},
		},
		{
			name:   "a broken week, with nothing clearly there, is passed over between weeks that judge",
			weeks:  [][]Labeled{{l("permutation", perm)}, {l("permutation", broken)}, {l("permutation", perm)}},
			want:   []int{1, 2},
			passed: []int{1},
			unable: []Unable{{Label: "permutation", Why: whyNoScale, Week: 1}},
		},
		{
			name:   "a feature no week could judge is no candidate",
			weeks:  [][]Labeled{{l("permutation", permOne)}, {l("permutation", broken)}},
			unable: []Unable{{Label: "permutation", Why: whyUncertainty, Week: 0}, {Label: "permutation", Why: whyNoScale, Week: 1}},
		},
		{
			name:   "a week that finds an effect still clears the feature, whatever the weeks passed over",
			weeks:  [][]Labeled{{l("permutation", perm)}, {l("permutation", permOne)}, {l("permutation", signed(experiments.KindPermutation, 5, []float64{0.2, 0.05, 0, 0.004}, []float64{0.01, 0.001, 0.001, 0.02}))}},
			want:   []int{2},
			passed: []int{1},
			unable: []Unable{{Label: "permutation", Why: whyUncertainty, Week: 1}},
		},
		{
			name:  "a drop-retrain that finds an effect clears the feature; the features it did not measure keep their verdict",
			weeks: [][]Labeled{{l("permutation", perm)}, {l("permutation", perm), l("drop-retrain", drop)}},
			want:  []int{1},
		},
		{
			name:  "methods left out by kinds do not count, but the drop-retrain result is still shown",
			weeks: [][]Labeled{{l("permutation", perm)}, {l("permutation", perm), l("drop-retrain", drop)}},
			kinds: []string{experiments.KindPermutation},
			want:  []int{1, 2},
		},
		{
			name:   "a sensitivity of zero supports a feature, and its other values make no claim",
			weeks:  [][]Labeled{{l("permutation", perm), l("perturb", zeroAt2)}},
			want:   []int{1, 2},
			unable: []Unable{{Label: "perturb", Why: whySensitivity, Week: 0}},
		},
		{
			name:  "no weeks give none",
			weeks: nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cands, unable := NegligibleAcross(c.weeks, c.kinds)
			var got []int
			for _, cd := range cands {
				got = append(got, cd.Feature)
				if !equalInts(cd.Passed, c.passed) {
					t.Errorf("feature %d: weeks passed over %v, want %v", cd.Feature, cd.Passed, c.passed)
				}
				for w, s := range cd.Support {
					if (len(s) == 0) != slices.Contains(cd.Passed, w) {
						t.Errorf("feature %d has support %v in week %d, passed over %v", cd.Feature, s, w, cd.Passed)
					}
				}
			}
			if !equalInts(got, c.want) {
				t.Errorf("candidates %v, want %v", got, c.want)
			}
			if !reflect.DeepEqual(unable, c.unable) {
				t.Errorf("unable %+v, want %+v", unable, c.unable)
			}
		})
	}
	cands, _ := NegligibleAcross([][]Labeled{{l("permutation", perm)}, {l("permutation", perm), l("drop-retrain", drop)}}, []string{experiments.KindPermutation})
	if r := cands[0].Retrained; r == nil || r.Week != 1 || r.Value != 0.0001 || r.Effect != experiments.EffectNone {
		t.Errorf("feature 1's drop-retrain result %+v, want week 1's 0.0001, negligible", r)
	}
	if r := cands[1].Retrained; r == nil || r.Effect != experiments.EffectClear {
		t.Errorf("feature 2's drop-retrain result %+v, want clearly there", r)
	}
	if got := cands[0].Support; !reflect.DeepEqual(got, [][]string{{"permutation"}, {"permutation"}}) {
		t.Errorf("support %v, want permutation in both weeks", got)
	}
	cands, _ = NegligibleAcross([][]Labeled{{l("permutation", perm), l("perturb", zeroAt2)}}, nil)
	if got := cands[1].Support; !reflect.DeepEqual(got, [][]string{{"permutation", "perturb"}}) {
		t.Errorf("feature 2's support %v, want permutation and the perturb of zero", got)
	}
}
