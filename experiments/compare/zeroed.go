package compare

import (
	"slices"

	"github.com/tracker-ml/tracker/experiments"
)

// MaxGoneToZero is how many faded features a comparison keeps, the
// strongest before first: ten tell the story.
const MaxGoneToZero = 10

// Zeroed is a feature that went to zero: negligible now, clearly there in
// an earlier week. Weeks are indices into the series judged.
type Zeroed struct {
	Feature int
	There   int     // the last week its effect was clearly there
	Dropped int     // the first week it was negligible after There: the week it went to zero
	Was     float64 // its value in week There
	WasRank int
	Now     float64 // its value in the newest week
	Rank    int     // its rank now
}

// GoneToZero finds the features negligible in the newest week of series
// (JudgeEffects) that were clearly there in an earlier one, and names the
// week each dropped: the first negligible week after the last week it was
// clearly there, not the week it peaked. Weeks where it could not be
// judged, or without a record, are passed over. series is one method
// with one set of parameters, oldest first, an empty Result where a week
// has no record. Methods that judge no effects (weight-based ones, and
// sensitivities without a null) find none. The result is the strongest
// before first (best rank in week There, then feature order), at most
// MaxGoneToZero.
func GoneToZero(series []experiments.Result) []Zeroed {
	if len(series) < 2 {
		return nil
	}
	effects := make([]Effects, len(series))
	for w, r := range series {
		effects[w] = JudgeEffects(r)
	}
	last := len(series) - 1
	cur := series[last]
	var out []Zeroed
	for f, e := range effects[last].Effect {
		if e != experiments.EffectNone {
			continue
		}
		there := -1
		for w := last - 1; w >= 0 && there < 0; w-- {
			if f < len(effects[w].Effect) && effects[w].Effect[f] == experiments.EffectClear {
				there = w
			}
		}
		if there < 0 {
			continue
		}
		dropped := there + 1
		for f >= len(effects[dropped].Effect) || effects[dropped].Effect[f] != experiments.EffectNone {
			dropped++
		}
		was := series[there]
		out = append(out, Zeroed{Feature: f, There: there, Dropped: dropped, Was: was.Value[f], WasRank: rankOf(was, f), Now: cur.Value[f], Rank: rankOf(cur, f)})
	}
	slices.SortStableFunc(out, func(a, b Zeroed) int { return a.WasRank - b.WasRank })
	return out[:min(MaxGoneToZero, len(out))]
}
