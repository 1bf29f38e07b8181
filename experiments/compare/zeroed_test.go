package compare

import (
	"reflect"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// result is a result with values only: the gone-to-zero rule reads no
// spread.
func result(values ...float64) experiments.Result {
	return experiments.Result{Kind: experiments.KindPerturb, Value: values, Rank: experiments.Rank(values)}
}

func TestGoneToZero(t *testing.T) {
	// Eight features: the top group is the top 3 (max(3, 8/4)), the bottom
	// half ranks 5 to 8.
	strong := result(1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)
	faded := result(0.01, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1) // feature 0 now ranks 8, at 1% of the peak
	unmeasured := faded
	unmeasured.Rank = []int{0, 1, 2, 3, 4, 5, 6, 7}
	// 80 features: the first 20 were strong, feature 19 the strongest,
	// and all fade at once, ranking 61 to 80 now in feature order.
	wide := make([]float64, 80)
	now := make([]float64, 80)
	for i := range wide {
		wide[i], now[i] = 0.01, 1
		if i < 20 {
			wide[i], now[i] = 0.8+0.01*float64(i), 0.001
		}
	}
	var ten []Zeroed
	for k := range 10 {
		f := 19 - k
		ten = append(ten, Zeroed{Feature: f, Week: 0, Was: 0.8 + 0.01*float64(f), WasRank: k + 1, Now: 0.001, Rank: 61 + f})
	}
	cases := []struct {
		name    string
		cur     experiments.Result
		earlier []experiments.Result
		want    []Zeroed
	}{
		{
			name:    "a feature that ranked first and is negligible now went to zero",
			cur:     faded,
			earlier: []experiments.Result{strong},
			want:    []Zeroed{{Feature: 0, Week: 0, Was: 1, WasRank: 1, Now: 0.01, Rank: 8}},
		},
		{
			name:    "the earlier week named is the one it ranked best in",
			cur:     faded,
			earlier: []experiments.Result{result(0.7, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1), strong, result(0.5, 0.8, 0.6, 0.55, 0.4, 0.3, 0.2, 0.1)},
			want:    []Zeroed{{Feature: 0, Week: 1, Was: 1, WasRank: 1, Now: 0.01, Rank: 8}},
		},
		{
			name:    "on a tie the oldest week is named",
			cur:     faded,
			earlier: []experiments.Result{strong, strong},
			want:    []Zeroed{{Feature: 0, Week: 0, Was: 1, WasRank: 1, Now: 0.01, Rank: 8}},
		},
		{
			name:    "a week without a record is passed over",
			cur:     faded,
			earlier: []experiments.Result{{}, strong},
			want:    []Zeroed{{Feature: 0, Week: 1, Was: 1, WasRank: 1, Now: 0.01, Rank: 8}},
		},
		{
			name:    "a feature only mid-ranked before (rank 4, outside the top 3) did not go to zero",
			cur:     faded,
			earlier: []experiments.Result{result(0.55, 0.8, 0.6, 0.58, 0.4, 0.3, 0.2, 0.1)},
		},
		{
			name:    "a top-ranked feature at no more than 20% of that week's peak was not clearly there",
			cur:     faded,
			earlier: []experiments.Result{result(0.2, 1, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01)},
		},
		{
			name:    "a feature in the bottom half now but over 10% of the peak has not gone to zero",
			cur:     result(0.11, 1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4),
			earlier: []experiments.Result{strong},
		},
		{
			name:    "a feature small now but ranked in the top half has not gone to zero",
			cur:     result(0.05, 1, 0.9, 0.04, 0.03, 0.02, 0.01, 0.005), // rank 3 of 8
			earlier: []experiments.Result{strong},
		},
		{
			name:    "a feature not measured now is not judged",
			cur:     unmeasured,
			earlier: []experiments.Result{strong},
		},
		{
			name: "no earlier week gives nothing",
			cur:  faded,
		},
		{
			name:    "at most ten, the strongest before first",
			cur:     result(now...),
			earlier: []experiments.Result{result(wide...)},
			want:    ten,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := GoneToZero(c.cur, c.earlier); !reflect.DeepEqual(got, c.want) {
				t.Errorf("GoneToZero:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
