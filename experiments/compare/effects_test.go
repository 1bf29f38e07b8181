package compare

import (
	"math"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// sampleKey is the parameter experiments.Samples reads a kind's count of
// samples from.
var sampleKey = map[string]string{
	experiments.KindPerturb: "pivots", experiments.KindPermutation: "repeats",
	experiments.KindGradient: "rows", experiments.KindDropRetrain: "seeds",
}

// signed is a permutation or drop-retrain record with values and standard
// errors (NaN: unknown; a NaN value: not measured), over `samples`
// repeats or seeds.
func signed(kind string, samples int, values, se []float64) experiments.Result {
	r := experiments.Result{Kind: kind, Params: map[string]string{sampleKey[kind]: itoa(samples)}, Value: values, Rank: make([]int, len(values)),
		Extra: map[string][]float64{experiments.SEKey: se}}
	ranks := experiments.RankSigned(values)
	for f, v := range values {
		if !math.IsNaN(v) {
			r.Rank[f] = ranks[f]
		}
	}
	return r
}

func TestJudgeEffects(t *testing.T) {
	const (
		none  = experiments.EffectNone
		clear = experiments.EffectClear
		unk   = experiments.EffectUnknown
	)
	nan := math.NaN()
	perm := func(values, se []float64) experiments.Result {
		return signed(experiments.KindPermutation, 5, values, se)
	}
	withNull := experiments.Result{Kind: experiments.KindPerturb, Value: []float64{0.5, 0.02, 0.031, 0.05}, Rank: []int{1, 4, 3, 2},
		Extra: map[string][]float64{NullKey: {0.03, 0.03, 0.03, 0.03}, experiments.SEKey: {0.01, 0.01, 0.01, 0.001}}}
	cases := []struct {
		name string
		r    experiments.Result
		want []experiments.Effect
		why  string
	}{
		{
			name: "a value many standard errors above zero is clearly there; one near zero with a tight bound is negligible",
			r:    perm([]float64{0.2, 0.001, -0.002}, []float64{0.01, 0.001, 0.001}),
			want: []experiments.Effect{clear, none, none},
		},
		{
			name: "a value near zero measured too loosely to bound under a tenth of the largest cannot be judged",
			r:    perm([]float64{0.2, 0.003, 0}, []float64{0.01, 0.02, 0.001}),
			want: []experiments.Effect{clear, unk, none},
		},
		{
			name: "an upper bound just under a tenth of the largest is negligible, just over it cannot be judged",
			// t on 4 degrees of freedom: 2.132 standard errors.
			r:    perm([]float64{0.2, 0.0095, 0.0096}, []float64{0.01, 0.0049, 0.0049}),
			want: []experiments.Effect{clear, none, unk},
		},
		{
			name: "a record with nothing clearly there has no scale for the bound and judges nothing",
			r:    perm([]float64{0.002, 0.001, -0.0005, 0}, []float64{0.001, 0.001, 0.001, 0.0001}),
			want: []experiments.Effect{unk, unk, unk, unk},
			why:  whyNoScale,
		},
		{
			name: "a small effect far from zero is clearly there, not negligible",
			r:    perm([]float64{0.2, 0.005}, []float64{0.01, 0.0002}),
			want: []experiments.Effect{clear, clear},
		},
		{
			name: "t on 4 degrees of freedom for 5 repeats: 2.5 standard errors is not enough where the normal would call it",
			r:    perm(append([]float64{0.2, 0.025}, make([]float64, 8)...), append([]float64{0.01, 0.01}, []float64{0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001}...)),
			want: []experiments.Effect{clear, unk, none, none, none, none, none, none, none, none},
		},
		{
			name: "stored degrees of freedom replace the repeat count",
			r: func() experiments.Result {
				r := perm(append([]float64{0.2, 0.025}, make([]float64, 8)...), append([]float64{0.01, 0.005}, []float64{0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001, 0.001}...))
				r.Extra[experiments.SEDFKey] = []float64{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}
				return r
			}(),
			want: []experiments.Effect{clear, clear, none, none, none, none, none, none, none, none},
		},
		{
			name: "an unknown standard error gives no verdict for that feature",
			r:    perm([]float64{0.2, 0.001}, []float64{0.01, nan}),
			want: []experiments.Effect{clear, unk},
		},
		{
			name: "a drop-retrain on one seed has no uncertainty at all and judges nothing",
			r:    signed(experiments.KindDropRetrain, 1, []float64{0.05, 0.005}, []float64{nan, nan}),
			want: []experiments.Effect{unk, unk},
			why:  whyUncertainty,
		},
		{
			name: "a drop-retrain of some features judges only those it measured",
			r:    signed(experiments.KindDropRetrain, 3, []float64{nan, 0.05, nan, 0.0001}, []float64{nan, 0.002, nan, 0.0005}),
			want: []experiments.Effect{unk, clear, unk, none},
		},
		{
			name: "a drop-retrain of only small features bounds them in the metric's units, not against the largest of the few",
			r:    signed(experiments.KindDropRetrain, 3, []float64{nan, 0.0003, -0.0002, 0.002}, []float64{nan, 0.0002, 0.0003, 0.002}),
			want: []experiments.Effect{unk, none, none, unk},
		},
		{
			name: "a weight-based method judges nothing: no such verdict is possible from weights alone",
			r:    experiments.Result{Kind: experiments.KindOlden, Value: []float64{1, 0.001}, Rank: []int{1, 2}},
			want: []experiments.Effect{unk, unk},
			why:  whyWeights,
		},
		{
			name: "a sensitivity without a null judges nothing, even a small value",
			r:    experiments.Result{Kind: experiments.KindGradient, Value: []float64{1, 1e-4}, Rank: []int{1, 2}, Extra: map[string][]float64{experiments.SEKey: {0.01, 1e-5}}},
			want: []experiments.Effect{unk, unk},
			why:  whySensitivity,
		},
		{
			name: "a sensitivity zero to float precision needs no null: the output never moved; the rest cannot be judged",
			r:    experiments.Result{Kind: experiments.KindPerturb, Value: []float64{1, 1e-7, 1e-3, 0}, Rank: []int{1, 3, 2, 4}},
			want: []experiments.Effect{unk, none, unk, none},
			why:  whySensitivity,
		},
		{
			name: "a sensitivity with a null: under it negligible, over it by the margin clearly there, just over it unknown",
			r:    withNull,
			want: []experiments.Effect{clear, none, unk, clear},
		},
		{
			name: "a kind tracker does not know is not judged",
			r:    experiments.Result{Kind: "shap", Value: []float64{1}, Rank: []int{1}},
			want: []experiments.Effect{unk},
			why:  "tracker does not know how a shap value is sampled",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := JudgeEffects(c.r)
			if e.Why != c.why {
				t.Errorf("why = %q, want %q", e.Why, c.why)
			}
			for f := range c.want {
				if e.Effect[f] != c.want[f] {
					t.Errorf("effects = %v (p %v, upper %v, bound %g), want %v", e.Effect, e.P, e.Upper, e.Bound, c.want)
					break
				}
			}
		})
	}
}

// TestNoiseFeaturesAreNegligibleAndPlantedOnesAreNot: on a season's week,
// most pure-noise features are negligible and no planted one is.
func TestNoiseFeaturesAreNegligibleAndPlantedOnesAreNot(t *testing.T) {
	s := seasons[0].s
	noise, planted := 0, 0
	for seed := range uint64(20) {
		e := JudgeEffects(s.weeks(seed, 1, nil)[0])
		for f, v := range e.Effect {
			switch {
			case f < 10 && v != experiments.EffectClear:
				planted++
			case f >= 10 && v == experiments.EffectNone:
				noise++
			}
		}
	}
	if share := float64(noise) / (20 * 72); share < 0.8 {
		t.Errorf("%.2f of the pure-noise features are negligible, want at least 0.8", share)
	}
	if planted > 0 {
		t.Errorf("%d planted features are not clearly there", planted)
	}
}
