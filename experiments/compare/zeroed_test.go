package compare

import (
	"math"
	"reflect"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// TestAFeatureThatDiesIsNegligibleFromItsWeek: in a permutation season a
// planted feature that peaks in week 6 and stops mattering in week 9 is
// negligible from week 9 on, and went to zero in week 9: the first
// negligible week after the last clearly-there one, not the week it
// peaked.
func TestAFeatureThatDiesIsNegligibleFromItsWeek(t *testing.T) {
	const dies, seeds = 9, 10
	s := seasons[0].s
	wrong, dropped, significant := 0, 0, 0
	for seed := range uint64(seeds) {
		series := s.weeks(seed, 12, func(w int, eff []float64) {
			switch {
			case w == 6:
				eff[1] = 0.3
			case w >= dies:
				eff[1] = 0
			}
		})
		for w, r := range series {
			got := JudgeEffects(r).Effect[1]
			if w < dies && got != experiments.EffectClear {
				t.Errorf("seed %d week %d: the live feature is %v, want clearly there", seed, w, got)
			}
			if w >= dies && got != experiments.EffectNone {
				wrong++
			}
		}
		for _, z := range GoneToZero(series) {
			if z.Feature == 1 && z.Dropped == dies && z.There == dies-1 {
				dropped++
			}
		}
		if JudgeChanges(series, dies)[1].Significant {
			significant++
		}
	}
	// Verdicts are statistical: allow the odd miss, not a habit.
	if wrong > seeds*3/20 {
		t.Errorf("the dead feature is not negligible in %d of its %d dead weeks", wrong, seeds*3)
	}
	if dropped < seeds*9/10 {
		t.Errorf("went to zero in week %d, after being there in week %d, in %d of %d seasons", dies, dies-1, dropped, seeds)
	}
	if significant < seeds*9/10 {
		t.Errorf("the death is a significant change in its week in %d of %d seasons", significant, seeds)
	}
}

func TestGoneToZero(t *testing.T) {
	nan := math.NaN()
	week := func(v0 float64, se0 float64) experiments.Result {
		return signed(experiments.KindPermutation, 5, []float64{v0, 0.2, 0.1, 0.05, 0.001}, []float64{se0, 0.005, 0.005, 0.005, 0.001})
	}
	there, gone, loose := week(0.15, 0.005), week(0.001, 0.001), week(0.01, 0.02)
	unmeasured := signed(experiments.KindPermutation, 5, []float64{nan, 0.2, 0.1, 0.05, 0.001}, []float64{nan, 0.005, 0.005, 0.005, 0.001})
	olden := func(v float64) experiments.Result {
		return experiments.Result{Kind: experiments.KindOlden, Value: []float64{v, 0.2, 0.1, 0.05, 0.001}, Rank: experiments.Rank([]float64{v, 0.2, 0.1, 0.05, 0.001})}
	}
	cases := []struct {
		name   string
		series []experiments.Result
		want   []Zeroed
	}{
		{
			name:   "clearly there, then negligible: dropped in the first negligible week",
			series: []experiments.Result{there, there, gone, gone},
			want:   []Zeroed{{Feature: 0, There: 1, Dropped: 2, Was: 0.15, WasRank: 2, Now: 0.001, Rank: 4}},
		},
		{
			name:   "a week that cannot be judged, or has no record, between the last clear week and the drop is passed over",
			series: []experiments.Result{there, loose, {}, unmeasured, gone},
			want:   []Zeroed{{Feature: 0, There: 0, Dropped: 4, Was: 0.15, WasRank: 2, Now: 0.001, Rank: 4}},
		},
		{
			name:   "back and forth: the drop after the last clear week is named",
			series: []experiments.Result{there, gone, there, gone, gone},
			want:   []Zeroed{{Feature: 0, There: 2, Dropped: 3, Was: 0.15, WasRank: 2, Now: 0.001, Rank: 4}},
		},
		{
			name:   "a feature that cannot be judged now has not gone to zero",
			series: []experiments.Result{there, loose},
		},
		{
			name:   "a feature never clearly there has not gone to zero",
			series: []experiments.Result{loose, gone},
		},
		{
			name:   "a weight-based method finds nothing: no such verdict is possible from weights alone",
			series: []experiments.Result{olden(1), olden(0.0001)},
		},
		{
			name:   "one week finds nothing",
			series: []experiments.Result{gone},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := GoneToZero(c.series); !reflect.DeepEqual(got, c.want) {
				t.Errorf("GoneToZero:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestGoneToZeroKeepsTheStrongestTen(t *testing.T) {
	n := 30
	before, after := make([]float64, n), make([]float64, n)
	se := make([]float64, n)
	for f := range n {
		before[f], after[f], se[f] = 0.1+0.01*float64(f), 0, 0.001
	}
	after[0] = 1 // keeps a scale for the bound
	got := GoneToZero([]experiments.Result{signed(experiments.KindPermutation, 5, before, se), signed(experiments.KindPermutation, 5, after, se)})
	if len(got) != MaxGoneToZero || got[0].Feature != n-1 || got[0].WasRank != 1 || got[9].Feature != n-10 {
		t.Errorf("GoneToZero = %+v, want the ten largest before, the largest first", got)
	}
}
