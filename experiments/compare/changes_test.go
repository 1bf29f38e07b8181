package compare

import (
	"math"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// The seasons the verdicts are tested on: permutation (5 repeats, so a
// t on 4 degrees of freedom), perturb (100 pivots) and the weight-sum (no
// standard error at all), each with its own retrain noise.
var seasons = []struct {
	name string
	s    testSeason
}{
	{"permutation", testSeason{kind: experiments.KindPermutation, samples: 5, effect: plantedEffects(), retrain: 0.1, floor: 0.003, sampling: 0.004}},
	{"perturb", testSeason{kind: experiments.KindPerturb, samples: 100, effect: plantedEffects(), retrain: 0.1, floor: 0.005, sampling: 0.02}},
	{"weight-sum", testSeason{kind: experiments.KindWeightSum, samples: 1, effect: plantedEffects(), retrain: 0.05, floor: 0.01}},
}

// TestANoChangeSeasonGivesAboutQFalseDiscoveries: when nothing changes,
// every discovery is false, so the false discovery rate is the share of
// weeks with any; Benjamini–Hochberg at Q keeps it near Q. The old rule
// (a change over twice its standard error) called several features a
// week on these seasons.
func TestANoChangeSeasonGivesAboutQFalseDiscoveries(t *testing.T) {
	for _, c := range seasons {
		t.Run(c.name+": at most about Q of the weeks have a discovery, and well under one a week", func(t *testing.T) {
			weeks, any, found, old := 0, 0, 0, 0
			for seed := range uint64(15) {
				series := c.s.weeks(seed, 16, nil)
				for w := MinChanges + 1; w < len(series); w++ {
					cs := JudgeChanges(series, w)
					if cs.Judged() != 82 {
						t.Fatalf("week %d: %d of 82 changes judged, want all: the noise is learned", w, cs.Judged())
					}
					weeks++
					found += cs.Significant()
					if cs.Significant() > 0 {
						any++
					}
					for _, ch := range cs {
						if !math.IsNaN(ch.SE) && math.Abs(ch.Delta) > 2*ch.SE {
							old++
						}
					}
				}
			}
			if rate := float64(any) / float64(weeks); rate > 2*Q {
				t.Errorf("%d of %d no-change weeks have a significant feature (%.3f), want about Q = %g", any, weeks, rate, Q)
			}
			if mean := float64(found) / float64(weeks); mean > 0.1 {
				t.Errorf("%.3f significant features per no-change week, want about Q", mean)
			}
			if c.s.kind != experiments.KindWeightSum && float64(old)/float64(weeks) < 2 {
				t.Errorf("the 2-SE rule calls only %.2f features a week: the season is too calm to test anything", float64(old)/float64(weeks))
			}
		})
	}
}

// TestAPlantedJumpIsSignificant: a noise feature that starts to matter in
// one week, and a planted one that stops, stand out in that week; the
// other features stay quiet.
func TestAPlantedJumpIsSignificant(t *testing.T) {
	const jump = 9
	for _, c := range seasons {
		t.Run(c.name+": the feature that jumps is significant in its week, and nothing else much", func(t *testing.T) {
			found, others, after := 0, 0, 0
			const seeds = 20
			for seed := range uint64(seeds) {
				series := c.s.weeks(seed, 12, func(w int, eff []float64) {
					if w >= jump {
						eff[50] = 0.2
						eff[0] = 0
					}
				})
				cs := JudgeChanges(series, jump)
				if cs[50].Significant && cs[0].Significant {
					found++
				}
				others += cs.Significant() - b2i(cs[50].Significant) - b2i(cs[0].Significant)
				after += JudgeChanges(series, jump+1).Significant()
			}
			if after > seeds/5 {
				t.Errorf("%d features significant over %d weeks after the jump, with no change: want about none", after, seeds)
			}
			if found < seeds*9/10 {
				t.Errorf("the planted changes were both significant in %d of %d seasons, want nearly all", found, seeds)
			}
			if others > seeds/5 {
				t.Errorf("%d other features significant over %d jump weeks, want about none", others, seeds)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// hist builds a series from values per week (NaN: not measured; nil: no
// record) of kind with the given standard error for every feature (NaN:
// unknown).
func hist(kind string, se float64, weeks ...[]float64) []experiments.Result {
	out := make([]experiments.Result, len(weeks))
	for w, vs := range weeks {
		if vs == nil {
			continue
		}
		r := experiments.Result{Kind: kind, Value: vs, Rank: make([]int, len(vs)), Extra: map[string][]float64{experiments.SEKey: make([]float64, len(vs))}}
		ranks := experiments.Rank(vs)
		for f, v := range vs {
			r.Extra[experiments.SEKey][f] = se
			if !math.IsNaN(v) {
				r.Rank[f] = ranks[f]
			}
		}
		out[w] = r
	}
	return out
}

// wobble is a week of n features at level, moved by ±d in a fixed
// pattern so past changes have a known median: |change| = 2d.
func wobble(n int, level, d float64, w int) []float64 {
	out := make([]float64, n)
	for f := range out {
		sign := 1.0
		if (w+f)%2 == 1 {
			sign = -1
		}
		out[f] = level + sign*d
	}
	return out
}

func TestJudgeChangesRules(t *testing.T) {
	n := 12
	calm := func(weeks int, kind string, se float64) []experiments.Result {
		var vs [][]float64
		for w := range weeks {
			vs = append(vs, wobble(n, 1, 0.01, w))
		}
		return hist(kind, se, vs...)
	}
	jumped := func(s []experiments.Result, by float64) []experiments.Result {
		last := s[len(s)-1]
		v := append([]float64(nil), last.Value...)
		v[3] += by
		next := hist(last.Kind, last.Extra[experiments.SEKey][0], v)[0]
		return append(s, next)
	}
	cases := []struct {
		name    string
		series  []experiments.Result
		learned bool
		sig     bool // feature 3 significant
	}{
		{"with fewer than MinChanges past changes the noise is not learned and nothing is judged, however large the change",
			jumped(calm(MinChanges, experiments.KindPermutation, 0.001), 5), false, false},
		{"with MinChanges past changes a large change is significant",
			jumped(calm(MinChanges+1, experiments.KindPermutation, 0.001), 0.5), true, true},
		{"a change of the size of the past changes is not",
			jumped(calm(MinChanges+1, experiments.KindPermutation, 0.001), 0.03), true, false},
		{"a change far beyond the retrain noise but within the measurement's standard error is not",
			jumped(calm(MinChanges+1, experiments.KindPermutation, 0.5), 0.5), true, false},
		{"an unknown standard error judges against the learned noise alone",
			jumped(calm(MinChanges+1, experiments.KindPermutation, math.NaN()), 0.5), true, true},
		{"a weight-based series, which has no standard error, is judged against its learned noise",
			jumped(calm(MinChanges+1, experiments.KindWeightSum, math.NaN()), 0.5), true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := JudgeChanges(c.series, len(c.series)-1)
			if got := cs[3].Noise.Learned; got != c.learned {
				t.Errorf("learned = %v, want %v (%+v)", got, c.learned, cs[3].Noise)
			}
			if cs[3].Judged() != c.learned {
				t.Errorf("judged = %v, want %v", cs[3].Judged(), c.learned)
			}
			if cs[3].Significant != c.sig {
				t.Errorf("significant = %v (p %g, %+v), want %v", cs[3].Significant, cs[3].P, cs[3].Noise, c.sig)
			}
			if got, want := cs.Unjudged() == "", c.learned; got != want {
				t.Errorf("Unjudged() = %q, want a reason only when the noise is not learned", cs.Unjudged())
			}
			if got := cs.Significant(); got != b2i(c.sig) {
				t.Errorf("%d features significant, want %d", got, b2i(c.sig))
			}
		})
	}
}

func TestUnjudgedSaysWhy(t *testing.T) {
	s := calmSeason(3)
	if got, want := JudgeChanges(s, 2).Unjudged(), "the week-to-week noise is not learned yet (1 of 4 past weeks)"; got != want {
		t.Errorf("week 2: %q, want %q", got, want)
	}
	if got, want := JudgeChanges(s, 0).Unjudged(), "no feature was measured in both weeks"; got != want {
		t.Errorf("week 0: %q, want %q", got, want)
	}
}

func TestLearnNoise(t *testing.T) {
	nan := math.NaN()
	var weeks [][]float64
	for w := range 14 {
		weeks = append(weeks, wobble(12, 1, 0.01, w))
	}
	// Feature 0 is new: measured only in the last two weeks.
	for w := range 12 {
		weeks[w][0] = nan
	}
	s := hist(experiments.KindPermutation, 0.001, weeks...)
	noise := LearnNoise(s, 13)
	if nz := noise[1]; !nz.Learned || nz.Own != NoiseChanges || math.Abs(nz.Scale-madScale*0.02) > 1e-9 {
		t.Errorf("feature 1 with a long history: %+v; want its last %d changes, scale 1.4826 x 0.02", nz, NoiseChanges)
	}
	if nz := noise[0]; !nz.Learned || nz.Own != 0 || nz.Band == 0 {
		t.Errorf("a feature without past changes of its own: %+v; want the noise learned from its band", nz)
	}
	if nz := LearnNoise(s, 3)[1]; nz.Learned || nz.Weeks != 2 || !math.IsNaN(nz.Scale) {
		t.Errorf("before week 3 there are 2 past changes: %+v; want not learned", nz)
	}
	// Bands: about BandRanks features each, the feature near the middle
	// of its own except at the top.
	vals := make([]float64, 25)
	for f := range vals {
		vals[f] = float64(25 - f) // feature f ranks f+1
	}
	groups, of := bands(hist(experiments.KindPermutation, 0, vals)[0], 25)
	for f := range vals {
		band := groups[of[f]]
		lo, hi := band[0], band[len(band)-1]
		if f < lo || f > hi || len(band) < BandRanks/2 || len(band) > BandRanks+BandRanks/2 {
			t.Errorf("feature %d's band is %d to %d", f, lo, hi)
		}
		if mid := float64(lo+hi) / 2; f >= BandRanks/2 && math.Abs(float64(f)-mid) > float64(BandRanks)/4+0.5 {
			t.Errorf("feature %d sits %g from the middle of its band %d to %d", f, math.Abs(float64(f)-mid), lo, hi)
		}
	}
	if band := groups[of[8]]; band[0] != 5 || band[len(band)-1] != 14 {
		t.Errorf("feature 8's band: %v, want 5 to 14 from the shifted grid", band)
	}
	if groups, of := bands(hist(experiments.KindPermutation, 0, vals[:4])[0], 4); len(groups[of[2]]) != 4 {
		t.Errorf("band of a 4-feature model: %v, want all 4", groups[of[2]])
	}
	// A noisy band does not hide a calm feature's own scale for long: with
	// NoiseChanges own changes the feature weighs more than the band.
	if nz := noise[1]; nz.DF <= PriorDF {
		t.Errorf("feature 1's noise has %g degrees of freedom, want more than the band's %d", nz.DF, PriorDF)
	}
}

func TestScaleFallsBackWhenMostChangesAreZero(t *testing.T) {
	if s := scale([]float64{0, 0, 0, 0.1}); math.Abs(s-meanAbsScale*0.025) > 1e-12 {
		t.Errorf("scale = %g, want 1.2533 x the mean |change| 0.025", s)
	}
	if s := scale([]float64{0, 0}); s != 0 {
		t.Errorf("scale of no movement = %g, want 0", s)
	}
	if s := scale(nil); !math.IsNaN(s) {
		t.Errorf("scale of nothing = %g, want NaN", s)
	}
}

func TestBenjaminiHochberg(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		ps   []float64
		want []bool
	}{
		{"the step-up keeps every p-value up to the largest under its line", []float64{0.01, 0.04, 0.02, 0.5}, []bool{true, false, true, false}},
		{"a p-value over its own line is kept when a larger one is under its line", []float64{0.026, 0.024, 0.9}, []bool{true, true, false}},
		{"untested features do not count", []float64{0.03, nan}, []bool{true, false}},
		{"none under the line gives none", []float64{0.2, 0.3}, []bool{false, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := benjaminiHochberg(c.ps, 0.05)
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("BH(%v) = %v, want %v", c.ps, got, c.want)
				}
			}
		})
	}
}

func TestTails(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		df, x, upper float64
	}{
		{inf, 1.959964, 0.025},
		{4, 2.776445, 0.025},
		{math.NaN(), 1.644854, 0.05},
	}
	for _, c := range cases {
		if got := tDist(c.df).upper(c.x); math.Abs(got-c.upper) > 1e-5 {
			t.Errorf("P(T_%g > %g) = %g, want %g", c.df, c.x, got, c.upper)
		}
		if got := tDist(c.df).quantile(1 - c.upper); math.Abs(got-c.x) > 1e-4 {
			t.Errorf("quantile_%g(%g) = %g, want %g", c.df, 1-c.upper, got, c.x)
		}
	}
	if df := welch(1, 4, 1, 4); math.Abs(df-8) > 1e-12 {
		t.Errorf("welch of two equal errors on 4 = %g, want 8", df)
	}
	if df := welch(1, inf, 1, inf); !math.IsInf(df, 1) {
		t.Errorf("welch of two normal errors = %g, want +Inf", df)
	}
}

// TestAVerdictReadsOnlyItsLookback: judging a whole season at once gives
// each week the verdict of judging it alone, from its Lookback weeks, so
// commands that read more or less history agree.
func TestAVerdictReadsOnlyItsLookback(t *testing.T) {
	series := seasons[1].s.weeks(5, 2*Lookback+6, func(w int, eff []float64) {
		if w%9 == 8 {
			eff[60] = 0.3 // a feature that comes and goes
		}
	})
	all := JudgeSeason(series)
	later := JudgeWeeks(series, Lookback)
	for w := range series {
		if w >= Lookback && !sameChanges(later[w], all[w]) {
			t.Fatalf("week %d judged from week %d on differs from the whole season's", w, Lookback)
		}
		alone := JudgeSeason(series[max(0, w-Lookback) : w+1])
		got := alone[len(alone)-1]
		for f := range got {
			a, b := got[f], all[w][f]
			if a.Significant != b.Significant || !sameFloat(a.P, b.P) || !sameFloat(a.Noise.Scale, b.Noise.Scale) {
				t.Fatalf("week %d feature %d: alone %+v, in the season %+v", w, f, a, b)
			}
		}
	}
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func sameChanges(a, b Changes) bool {
	if len(a) != len(b) {
		return false
	}
	for f := range a {
		if a[f].Significant != b[f].Significant || !sameFloat(a[f].P, b[f].P) || !sameFloat(a[f].Noise.Scale, b[f].Noise.Scale) {
			return false
		}
	}
	return true
}

// BenchmarkJudgeSeason judges every week of an 82-feature season, as
// query feature does for each series it shows.
func BenchmarkJudgeSeason(b *testing.B) {
	for _, weeks := range []int{12 + Lookback, 52 + Lookback, 520} {
		series := seasons[1].s.weeks(1, weeks, nil)
		b.Run(itoa(weeks)+"weeks", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				JudgeSeason(series)
			}
		})
	}
}

// TestOwnScalesSlideAsTheyWouldBeComputed: the sliding windows give each
// week and feature the scale of exactly the changes learnNoise reads,
// also where weeks measure fewer features or miss some.
func TestOwnScalesSlideAsTheyWouldBeComputed(t *testing.T) {
	series := seasons[0].s.weeks(3, 40, nil)
	series[7] = experiments.Result{} // a week with no record
	series[20].Value = series[20].Value[:50]
	series[20].Rank = series[20].Rank[:50]
	series[25].Value[3] = math.NaN()
	s := prepare(series)
	own := s.ownScales()
	for w := 1; w < len(series); w++ {
		for f := range len(series[w-1].Value) {
			var abs []float64
			for k := max(1, w-NoiseChanges); k < w; k++ {
				if d := s.change(k, f, nil); !math.IsNaN(d) {
					abs = append(abs, math.Abs(d))
				}
			}
			if len(abs) == 0 {
				continue // learnNoise reads no own scale
			}
			want := scaleAbs(abs)
			if got := own[w][f]; !sameFloat(got, want) {
				t.Fatalf("week %d feature %d: sliding %v, direct %v (%d changes)", w, f, got, want, len(abs))
			}
		}
	}
}

// TestJudgeAloneLearnsEachQuantityFromItsOwnPast: metrics of very
// different sizes and noise (accuracy moving by 0.005 a week, log loss by
// 0.05) are judged each against its own past; a drop of accuracy by 0.05 (and the recovery after it)
// is significant, and log loss's usual moves are not.
func TestJudgeAloneLearnsEachQuantityFromItsOwnPast(t *testing.T) {
	var series []experiments.Result
	rng := uint64(7)
	noise := func() float64 { // uniform in -1..1, enough for this test
		rng = rng*6364136223846793005 + 1442695040888963407
		return float64(rng>>11)/float64(1<<53)*2 - 1
	}
	for w := range 12 {
		acc, loss := 0.8+0.005*noise(), 0.45+0.05*noise()
		if w == 10 {
			acc -= 0.05
		}
		series = append(series, experiments.Result{Kind: "evaluate", Value: []float64{acc, loss}})
	}
	got := JudgeAlone(series, 0)
	for w := 5; w < 12; w++ {
		if sig := got[w][0].Significant; sig != (w == 10 || w == 11) {
			t.Errorf("week %d accuracy: significant %v, want %v (change %.4f, noise %.4f)", w, sig, w == 10 || w == 11, got[w][0].Delta, got[w][0].Noise.Scale)
		}
		if got[w][1].Significant {
			t.Errorf("week %d: log loss's usual move called significant", w)
		}
		if got[w][0].Noise.Band != 0 {
			t.Errorf("week %d: accuracy's noise pooled %d changes of others", w, got[w][0].Noise.Band)
		}
	}
}
