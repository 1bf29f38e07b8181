package experiments

import (
	"math"
	"reflect"
	"testing"
)

func TestDisagreementsBy(t *testing.T) {
	nan := math.NaN()
	const (
		none  = EffectNone
		clear = EffectClear
		unk   = EffectUnknown
	)
	// Eight features: the weight-sum's top group is its top 2, its bottom
	// half ranks 5 to 8.
	ws := Result{Value: []float64{8, 7, 6, 5, 4, 3, 2, 1}, Rank: []int{1, 2, 3, 4, 5, 6, 7, 8}}
	full := Result{Value: []float64{0.35, 0.01, 0.5, 0.4, 0.3, 0.2, 0.05, 0.6}, Rank: []int{4, 8, 2, 3, 5, 6, 7, 1}}
	partial := Result{Value: []float64{0.05, nan, nan, nan, nan, nan, nan, 0.08}, Rank: []int{2, 0, 0, 0, 0, 0, 0, 1}}
	cases := []struct {
		name   string
		b      Result
		effect []Effect
		want   []Disagreement
	}{
		{
			name:   "top by weight with a clear effect in the bottom half is a weak effect; bottom by weight and top by behaviour a strong one",
			b:      full,
			effect: []Effect{clear, clear, clear, clear, clear, clear, clear, clear},
			want: []Disagreement{
				{Feature: 1, WeightRank: 2, Rank: 8, Value: 0.01},
				{Feature: 7, WeightRank: 8, Rank: 1, Value: 0.6, Underweighed: true},
			},
		},
		{
			name:   "a negligible effect at the top of the weights is no effect",
			b:      full,
			effect: []Effect{clear, none, clear, clear, clear, clear, clear, clear},
			want: []Disagreement{
				{Feature: 1, WeightRank: 2, Rank: 8, Value: 0.01, NoEffect: true},
				{Feature: 7, WeightRank: 8, Rank: 1, Value: 0.6, Underweighed: true},
			},
		},
		{
			name:   "an effect that cannot be judged supports no claim",
			b:      full,
			effect: []Effect{unk, unk, unk, unk, unk, unk, unk, unk},
		},
		{
			name:   "a method that measured two features ranks them among those only: rank 2 of 2 is no weak effect, and a clear effect low in the weights is claimed without a rank",
			b:      partial,
			effect: []Effect{clear, unk, unk, unk, unk, unk, unk, clear},
			want:   []Disagreement{{Feature: 7, WeightRank: 8, Rank: 1, Value: 0.08, Underweighed: true, Partial: true}},
		},
		{
			name:   "a verdict of the wrong length gives nothing",
			b:      full,
			effect: []Effect{clear},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DisagreementsBy(ws, c.b, c.effect); !reflect.DeepEqual(got, c.want) {
				t.Errorf("DisagreementsBy:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
	d := Disagreement{Feature: 7, WeightRank: 8, Rank: 1, Value: 0.08, Underweighed: true, Partial: true}
	if got, want := d.Describe("7", KindDropRetrain, 8), "feature 7: weight-sum rank 8 of 8 but a clear drop-retrain effect (0.08): small first-layer weights, an effect on the output"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}
