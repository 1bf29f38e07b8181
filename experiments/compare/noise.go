package compare

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

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
	// while each one's own history is short: a band of 10 by rank of
	// |value| in the week before the change, the feature near its middle.
	// Features that matter equally little are about equally noisy; the top
	// ones are not like the tail.
	BandRanks = 10
	// PriorDF is the most the band's scale counts for, in degrees of
	// freedom, against the feature's own: empirical-Bayes moderation
	// (Smyth 2004, limma), so a feature with a short history leans on its
	// band and one with a long history speaks for itself.
	PriorDF = 8
	// Lookback is how many weeks before a judged week its verdict reads:
	// its noise reads the changes of the NoiseChanges weeks before it, and
	// whether each of those was normal reads the NoiseChanges weeks before
	// that one.
	Lookback = 2*NoiseChanges + 1
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

// season is a series prepared for judging: each week's change per feature
// (NaN where either week did not measure it), and its standard errors and
// their degrees of freedom.
type season struct {
	series []experiments.Result
	delta  [][]float64 // [week][feature], nil for week 0
	se, df [][]float64
	buf    []float64 // scratch for medians
	band   map[int]banding
	alone  bool // no pooling: each feature its own band (JudgeAlone)
	// own[t][f] is the scale of feature f's own changes of the
	// NoiseChanges weeks before t, all counted (the first pass's), built
	// once by ownScales.
	own [][]float64
}

// banding is one week's bands (see bands).
type banding struct {
	groups [][]int
	of     []int
}

// bands is week k's bands, computed once.
func (s *season) bands(k int) ([][]int, []int) {
	b, ok := s.band[k]
	if !ok && s.alone {
		b.groups, b.of = alone(s.series[k], len(s.series[k].Value))
		s.band[k] = b
	} else if !ok {
		b.groups, b.of = bands(s.series[k], len(s.series[k].Value))
		s.band[k] = b
	}
	return b.groups, b.of
}

func prepare(series []experiments.Result) *season {
	s := &season{series: series, delta: make([][]float64, len(series)), se: make([][]float64, len(series)), df: make([][]float64, len(series)), band: map[int]banding{}}
	for k, r := range series {
		s.se[k], s.df[k] = experiments.StandardErrors(r), degreesOfFreedom(r)
		if k == 0 {
			continue
		}
		s.delta[k] = make([]float64, len(r.Value))
		for f := range r.Value {
			s.delta[k][f] = math.NaN()
			if measured(r, f) && measured(series[k-1], f) {
				s.delta[k][f] = r.Value[f] - series[k-1].Value[f]
			}
		}
	}
	return s
}

// change is feature f's change into week k, NaN where there is none or
// abnormal marks it as not normal.
func (s *season) change(k, f int, abnormal [][]bool) float64 {
	if f >= len(s.delta[k]) || (abnormal != nil && f < len(abnormal[k]) && abnormal[k][f]) {
		return math.NaN()
	}
	return s.delta[k][f]
}

// learnNoise is each feature's noise before week t, learned from the
// normal changes of the NoiseChanges weeks before it (those abnormal does
// not mark; all when abnormal is nil): its own, and those of the other
// features of its band (about BandRanks features of its size by |value|
// in week t-1, see bands). The scale of a list of changes is 1.4826 x
// their median |change|, the band's taken over all its features' changes,
// and the feature's is
//
//	scale^2 = (d0 x band^2 + d x own^2) / (d0 + d),  df = d0 + d
//
// with d = 0.37 x its own count and d0 = min(PriorDF, 0.37 x the band's
// count). A feature week t-1 did not measure has no band and no noise.
//
// prior, when given, is the noise learned before week t from all its past
// changes: a band none of whose changes abnormal marks keeps it.
func (s *season) learnNoise(t int, abnormal [][]bool, prior Changes) []Noise {
	n := len(s.series[t].Value)
	out := make([]Noise, n)
	for f := range out {
		out[f].Scale, out[f].DF = math.NaN(), math.NaN()
	}
	if t < 1 {
		return out
	}
	// Each feature's own normal |changes| of the weeks before t, and the
	// weeks they come from (bit t-k for week k).
	lo, width := max(1, t-NoiseChanges), len(s.series[t-1].Value)
	abs := make([][]float64, width)
	weeks := make([]uint64, width)
	flat := make([]float64, width*NoiseChanges)
	dropped := make([]bool, width) // an abnormal change was left out
	for f := range width {
		abs[f] = flat[f*NoiseChanges : f*NoiseChanges : (f+1)*NoiseChanges]
		for k := lo; k < t; k++ {
			d := s.change(k, f, abnormal)
			if !math.IsNaN(d) {
				abs[f] = append(abs[f], math.Abs(d))
				weeks[f] |= 1 << (t - k)
			} else if f < len(s.delta[k]) && !math.IsNaN(s.delta[k][f]) {
				dropped[f] = true
			}
		}
	}
	groups, of := s.bands(t - 1)
	type pool struct {
		done, same bool // computed; no member dropped a change
		scale      float64
		count      int
		weeks      uint64
	}
	pools := make([]pool, len(groups))
	for f := range min(n, width) {
		g := of[f]
		if g < 0 {
			continue
		}
		p := &pools[g]
		if !p.done && prior != nil {
			p.same = !slices.ContainsFunc(groups[g], func(h int) bool { return dropped[h] })
		}
		if p.same && f < len(prior) {
			out[f] = prior[f].Noise
			p.done = true
			continue
		}
		if !p.done {
			all := s.buf[:0]
			for _, h := range groups[g] {
				all = append(all, abs[h]...)
				p.weeks |= weeks[h]
			}
			p.count, p.scale, p.done = len(all), scaleAbs(all), true
			s.buf = all[:0]
		}
		nz := Noise{Own: len(abs[f]), Band: p.count - len(abs[f]), Weeks: bits.OnesCount64(p.weeks), Scale: math.NaN(), DF: math.NaN()}
		d, d0 := madEfficiency*float64(nz.Own), min(PriorDF, madEfficiency*float64(nz.Band))
		if nz.Weeks >= MinChanges && d+d0 > 0 {
			v := 0.0
			if d > 0 {
				var own float64
				if abnormal == nil {
					own = s.ownScales()[t][f]
				} else {
					own = scaleAbs(append(s.buf[:0], abs[f]...))
				}
				v += d * own * own
			}
			if d0 > 0 {
				v += d0 * p.scale * p.scale
			}
			nz.Scale, nz.DF, nz.Learned = math.Sqrt(v/(d+d0)), d+d0, true
		}
		out[f] = nz
	}
	return out
}

// ownScales is, for every week t and feature f, the scale of f's own
// changes of the NoiseChanges weeks before t, learnNoise's "own" when no
// change is left out. Each feature's window of |changes| is kept sorted
// as it slides a week at a time, so the whole season costs one insertion
// and one removal per week and feature rather than a median each.
func (s *season) ownScales() [][]float64 {
	if s.own != nil {
		return s.own
	}
	s.own = make([][]float64, len(s.series))
	var window [][]float64 // [feature], sorted
	for t := 1; t < len(s.series); t++ {
		// Week t's window is changes lo..t-1: week t-1's change comes in
		// and lo-1's goes out.
		k, out := t-1, t-1-NoiseChanges
		for f := range s.delta[k] {
			for f >= len(window) {
				window = append(window, make([]float64, 0, NoiseChanges))
			}
			if d := s.delta[k][f]; !math.IsNaN(d) {
				a := math.Abs(d)
				i, _ := slices.BinarySearch(window[f], a)
				window[f] = slices.Insert(window[f], i, a)
			}
		}
		if out >= 1 {
			for f, d := range s.delta[out] {
				if math.IsNaN(d) {
					continue
				}
				i, _ := slices.BinarySearch(window[f], math.Abs(d))
				window[f] = slices.Delete(window[f], i, i+1)
			}
		}
		s.own[t] = make([]float64, len(window))
		for f, w := range window {
			s.own[t][f] = scaleSorted(w)
		}
	}
	return s.own
}

// scaleSorted is scaleAbs of |changes| already sorted.
func scaleSorted(abs []float64) float64 {
	n := len(abs)
	if n == 0 {
		return math.NaN()
	}
	m := abs[n/2]
	if n%2 == 0 {
		m = (abs[n/2-1] + abs[n/2]) / 2
	}
	if sc := madScale * m; sc > 0 || math.IsNaN(sc) {
		return sc
	}
	mean := 0.0
	for _, a := range abs {
		mean += a
	}
	return meanAbsScale * mean / float64(n)
}

// bands groups the features r measured by |value|, largest first, into
// bands of BandRanks on two grids, the second shifted by half a band, a
// last band of fewer than half that joining the one before; each feature
// gets the band it sits nearest the middle of (of[f] indexes groups, -1
// where r did not measure f). So a feature is pooled with features of its
// own size wherever it ranks, at the cost of one median per band rather
// than one per feature.
func bands(r experiments.Result, n int) (groups [][]int, of []int) {
	var order []int
	for f := range min(n, len(r.Value)) {
		if measured(r, f) {
			order = append(order, f)
		}
	}
	slices.SortFunc(order, func(a, b int) int { // ties by index: stable
		x, y := math.Abs(r.Value[a]), math.Abs(r.Value[b])
		switch {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return cmp.Compare(a, b)
	})
	of = make([]int, n)
	for f := range of {
		of[f] = -1
	}
	// dist[p] is how far position p sits from the middle of its band so far.
	dist := make([]float64, len(order))
	for _, start := range []int{0, BandRanks / 2} {
		if start > 0 && len(order) <= start {
			break
		}
		var cuts []int
		for c := start; c < len(order); c += BandRanks {
			cuts = append(cuts, c)
		}
		if k := len(cuts); k > 1 && len(order)-cuts[k-1] < BandRanks/2 {
			cuts = cuts[:k-1]
		}
		for i, lo := range cuts {
			hi := len(order)
			if i+1 < len(cuts) {
				hi = cuts[i+1]
			}
			g := len(groups)
			groups = append(groups, order[lo:hi])
			mid := float64(lo+hi-1) / 2
			for p := lo; p < hi; p++ {
				if d := math.Abs(float64(p) - mid); of[order[p]] < 0 || d < dist[p] {
					of[order[p]], dist[p] = g, d
				}
			}
		}
	}
	return groups, of
}

// alone is one band per feature r measured: a band of one has no other
// members' changes to lend, so learnNoise learns from the feature's own.
func alone(r experiments.Result, n int) (groups [][]int, of []int) {
	of = make([]int, n)
	for f := range of {
		of[f] = -1
		if measured(r, f) {
			of[f] = len(groups)
			groups = append(groups, []int{f})
		}
	}
	return groups, of
}

// scale is the robust standard deviation of changes: 1.4826 x the median
// |change|, or where more than half are exactly zero (a discrete metric on
// few rows), 1.2533 x the mean |change|. NaN for none.
func scale(changes []float64) float64 {
	abs := make([]float64, len(changes))
	for i, d := range changes {
		abs[i] = math.Abs(d)
	}
	return scaleAbs(abs)
}

// scaleAbs is scale of changes already made absolute, which it reorders.
func scaleAbs(abs []float64) float64 {
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

// degreesOfFreedom is, per feature, the degrees of freedom of r's
// standard error: the stored ones (experiments.SEDFKey), or n-1 for a standard error
// over n samples (the record's count parameter), or +Inf (the normal) when
// neither is known.
func degreesOfFreedom(r experiments.Result) []float64 {
	out := make([]float64, len(r.Value))
	stored := r.Extra[experiments.SEDFKey]
	n := experiments.Samples(r.Kind, r.Params)
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
