package compare

import (
	"math"
	"slices"
	"strconv"

	"github.com/tracker-ml/tracker/experiments"
)

// The learned week-to-week noise: how much a feature's value moves from
// one retrain to the next when nothing real changed. Each past change
// holds both the measurement's sampling error and the retrain's
// randomness, so this is the yardstick a change must beat. docs/METHODS.md
// ("Verdicts") gives the reasons for each constant.
const (
	// NoiseChanges is how many of a feature's past week-to-week changes
	// its noise is learned from, the newest first: a quarter of weekly
	// retrains, recent enough to follow a drift in how noisy the model is.
	NoiseChanges = 12
	// MinChanges is how many past weeks' changes the noise must be learned
	// from before any change is called significant. Fewer give a scale too
	// uncertain to judge by, and one odd week would decide it.
	MinChanges = 4
	// BandRanks is how many features of similar size share their changes
	// while each one's own history is short: the 10 nearest in rank by
	// |value| in the week before the change, the feature itself included.
	// Features that matter equally little are about equally noisy; the top
	// ones are not like the tail.
	BandRanks = 10
	// PriorDF is the most the band's scale counts for, in degrees of
	// freedom, against the feature's own: empirical-Bayes moderation
	// (Smyth 2004, limma), so a feature with a short history leans on its
	// band and one with a long history speaks for itself.
	PriorDF = 8
	// Lookback is how many weeks before a judged week its noise reads.
	Lookback = NoiseChanges + 1
)

const (
	madScale     = 1.4826 // the median of |N(0, s)| is s/1.4826
	meanAbsScale = 1.2533 // the mean of |N(0, s)| is s/1.2533: the fallback when the median is 0
	// madEfficiency is the median absolute deviation's efficiency at the
	// normal: its scale is worth a standard deviation from 37% as many
	// values, so n changes give it about 0.37n degrees of freedom.
	madEfficiency = 0.37
)

// Noise is a feature's learned week-to-week noise before one week.
type Noise struct {
	Scale   float64 // the standard deviation of one week's change when nothing changed; NaN when not learned
	DF      float64 // its degrees of freedom, for Student's t; NaN when not learned
	Own     int     // the feature's own past changes it was learned from
	Band    int     // the past changes of the other features of its band
	Weeks   int     // the distinct past weeks those changes come from
	Learned bool    // Weeks >= MinChanges: the noise can judge a change
}

// LearnNoise is each feature's noise before week t of series (oldest
// first, an empty Result where a week has no record): the noise
// JudgeChanges judges week t's changes against.
func LearnNoise(series []experiments.Result, t int) []Noise {
	cs := JudgeChanges(series, t)
	out := make([]Noise, len(cs))
	for f, c := range cs {
		out[f] = c.Noise
	}
	return out
}

// learnNoise is each feature's noise before week t of window, learned from
// the normal changes before week t: its own last up to NoiseChanges
// changes between consecutive recorded weeks that were not themselves
// significant (abnormal[k][f] marks the change into week k), and those of
// the other features of its band (the BandRanks nearest in rank by |value|
// in week t-1). The scale of a list of changes is 1.4826 x their median
// |change|, and the feature's is
//
//	scale^2 = (d0 x band^2 + d x own^2) / (d0 + d),  df = d0 + d
//
// with d = 0.37 x its own count and d0 = min(PriorDF, 0.37 x the band's
// count). A feature week t-1 did not measure has no band and no noise.
func learnNoise(window []experiments.Result, t int, abnormal [][]bool) []Noise {
	n := len(window[t].Value)
	out := make([]Noise, n)
	for f := range out {
		out[f].Scale, out[f].DF = math.NaN(), math.NaN()
	}
	if t < 1 {
		return out
	}
	type change struct {
		d    float64
		week int
	}
	width := len(window[t-1].Value)
	own := make([][]change, width)
	for f := range own {
		for k := t - 1; k >= 1 && len(own[f]) < NoiseChanges; k-- {
			if measured(window[k], f) && measured(window[k-1], f) && !(f < len(abnormal[k]) && abnormal[k][f]) {
				own[f] = append(own[f], change{window[k].Value[f] - window[k-1].Value[f], k})
			}
		}
	}
	for f, band := range bands(window[t-1], n) {
		var mine, others []float64
		weeks := map[int]bool{}
		for _, c := range own[f] {
			mine = append(mine, c.d)
			weeks[c.week] = true
		}
		for _, g := range band {
			if g == f {
				continue
			}
			for _, c := range own[g] {
				others = append(others, c.d)
				weeks[c.week] = true
			}
		}
		nz := Noise{Own: len(mine), Band: len(others), Weeks: len(weeks), Scale: math.NaN(), DF: math.NaN()}
		d, d0 := madEfficiency*float64(len(mine)), min(PriorDF, madEfficiency*float64(len(others)))
		if nz.Weeks >= MinChanges && d+d0 > 0 {
			v := 0.0
			if d > 0 {
				v += d * math.Pow(scale(mine), 2)
			}
			if d0 > 0 {
				v += d0 * math.Pow(scale(others), 2)
			}
			nz.Scale, nz.DF, nz.Learned = math.Sqrt(v/(d+d0)), d+d0, true
		}
		out[f] = nz
	}
	return out
}

// bands is, for each feature r measured, its band: the BandRanks features
// nearest to it in rank by |value| (itself included; all of them when r
// measured fewer), so a feature is pooled with features of its own size
// wherever it ranks, not with the top of a block it happens to end.
func bands(r experiments.Result, n int) map[int][]int {
	var order []int
	for f := range min(n, len(r.Value)) {
		if measured(r, f) {
			order = append(order, f)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := math.Abs(r.Value[a]), math.Abs(r.Value[b])
		switch {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	out := make(map[int][]int, len(order))
	for p, f := range order {
		lo := max(0, min(p-BandRanks/2, len(order)-BandRanks))
		out[f] = order[lo:min(len(order), lo+BandRanks)]
	}
	return out
}

// scale is the robust standard deviation of changes: 1.4826 x the median
// |change|, or where more than half are exactly zero (a discrete metric on
// few rows), 1.2533 x the mean |change|. NaN for none.
func scale(changes []float64) float64 {
	abs := make([]float64, len(changes))
	for i, d := range changes {
		abs[i] = math.Abs(d)
	}
	if s := madScale * median(abs); s > 0 || math.IsNaN(s) {
		return s
	}
	mean := 0.0
	for _, a := range abs {
		mean += a
	}
	return meanAbsScale * mean / float64(len(abs))
}

// measured reports whether r has a value for feature f: a finite value the
// record ranked (rank 0 is "not measured").
func measured(r experiments.Result, f int) bool {
	if f >= len(r.Value) || math.IsNaN(r.Value[f]) || math.IsInf(r.Value[f], 0) {
		return false
	}
	return r.Rank == nil || (f < len(r.Rank) && r.Rank[f] > 0)
}

// sampleParam names the parameter counting the samples a kind's standard
// error is taken over, as experiments records it, for the degrees of
// freedom of a standard error the record does not give them for.
var sampleParam = map[string]string{
	experiments.KindPerturb: "pivots", experiments.KindPermutation: "repeats",
	experiments.KindGradient: "rows", experiments.KindDropRetrain: "seeds",
}

// DFKey names the per-feature degrees of freedom of the standard errors a
// method may store in Result.Extra beside experiments.SEKey.
const DFKey = "se_df"

// degreesOfFreedom is, per feature, the degrees of freedom of r's
// standard error: the stored ones (DFKey), or n-1 for a standard error
// over n samples (the record's count parameter), or +Inf (the normal) when
// neither is known.
func degreesOfFreedom(r experiments.Result) []float64 {
	out := make([]float64, len(r.Value))
	stored := r.Extra[DFKey]
	n := 0
	if key, ok := sampleParam[r.Kind]; ok {
		n, _ = strconv.Atoi(r.Params[key])
	}
	for f := range out {
		switch {
		case len(stored) == len(out) && stored[f] > 0:
			out[f] = stored[f]
		case n >= 2:
			out[f] = float64(n - 1)
		default:
			out[f] = math.Inf(1)
		}
	}
	return out
}

// rankOf is f's rank in r, 0 when r gives none.
func rankOf(r experiments.Result, f int) int {
	if f < len(r.Rank) {
		return r.Rank[f]
	}
	return 0
}
