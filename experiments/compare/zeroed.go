package compare

import (
	"math"
	"slices"

	"github.com/tracker-ml/tracker/experiments"
)

// The gone-to-zero rule. Behavioural methods never read exactly zero, so
// "zero" means negligible against the week's own scale, and "there before"
// means clearly among the features that mattered, so that a noise feature
// sliding from rank 40 to 60 is not news.
const (
	// nowShare: negligible now is under this share of the week's largest
	// |value| (and in the bottom half of the ranking).
	nowShare = 0.1
	// wasShare: clearly there is over this share of that week's largest
	// |value| (and in its top group, see wasTop).
	wasShare = 0.2
	// wasTopMin: the top group is the top quarter of the ranking, but at
	// least the top 3, so a model of a few features still has one.
	wasTopMin = 3
)

// MaxGoneToZero is how many faded features a comparison keeps, the
// strongest first: a weight-based method on weekly retrains from scratch
// can list many noise features, and ten tell the story.
const MaxGoneToZero = 10

// Zeroed is a feature that went to zero: negligible now, clearly there in
// an earlier week.
type Zeroed struct {
	Feature int
	Week    int     // the earlier week it ranked best in: an index into earlier
	Was     float64 // its value that week
	WasRank int
	Now     float64 // its value now
	Rank    int     // its rank now
}

// GoneToZero finds the features of cur that are negligible now (in the
// bottom half of the ranking and under nowShare of the week's largest
// |value|) but were clearly there in one of the earlier weeks of the same
// method and parameters (in the top quarter of that week's ranking, at
// least the top wasTopMin, and over wasShare of its largest |value|). The
// earlier week named is the one where the feature ranked best, the oldest
// on a tie. earlier is oldest first, an empty Result where a week has no
// record. The result is the strongest first (best earlier rank, then
// feature order), at most MaxGoneToZero.
func GoneToZero(cur experiments.Result, earlier []experiments.Result) []Zeroed {
	peaks := make([]float64, len(earlier))
	for w, x := range earlier {
		peaks[w] = peak(x)
	}
	now := peak(cur)
	var out []Zeroed
	for i := range cur.Value {
		if cur.Rank[i] == 0 || cur.Rank[i] <= len(cur.Rank)/2 || math.Abs(cur.Value[i]) > nowShare*now {
			continue
		}
		best := -1
		for w, x := range earlier {
			if i >= len(x.Value) || x.Rank[i] == 0 || x.Rank[i] > max(wasTopMin, len(x.Rank)/4) || math.Abs(x.Value[i]) <= wasShare*peaks[w] {
				continue
			}
			if best < 0 || x.Rank[i] < earlier[best].Rank[i] {
				best = w
			}
		}
		if best >= 0 {
			was := earlier[best]
			out = append(out, Zeroed{Feature: i, Week: best, Was: was.Value[i], WasRank: was.Rank[i], Now: cur.Value[i], Rank: cur.Rank[i]})
		}
	}
	slices.SortStableFunc(out, func(a, b Zeroed) int { return a.WasRank - b.WasRank })
	return out[:min(MaxGoneToZero, len(out))]
}

// peak is r's largest |value| among the features it ranked.
func peak(r experiments.Result) float64 {
	p := 0.0
	for i, v := range r.Value {
		if r.Rank[i] > 0 {
			p = max(p, math.Abs(v))
		}
	}
	return p
}
