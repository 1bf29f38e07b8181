package compare

import "math"

// Point is one series' numbers in one week; OK is false where the week has
// no record.
type Point struct {
	OK    bool
	Value float64
	Delta float64 // the change from the previous week's value; NaN without one
	Rank  int     // 0 where the record did not rank the feature
	// The verdict on Delta (JudgeChanges): Significant, and Score its size
	// in units of the learned noise, NaN when not judged. ModelWide marks
	// a week where the method's record changed for most features at once.
	Significant bool
	Score       float64
	ModelWide   bool
}

// Track is one series across weeks: one Point per week, oldest first.
type Track struct {
	Label  string
	Points []Point
}

// Trend is where a track went: its first and last recorded weeks.
type Trend struct {
	Label       string
	First, Last Point
}

// Move is one track's change in one week: in week Week its value changed
// by Delta, Score times its learned noise, and its rank from From to To
// (0 where a week did not rank it).
type Move struct {
	Label, Week string
	Delta       float64
	Score       float64
	From, To    int
}

// Summary is where a feature's tracks went over a run of weeks.
type Summary struct {
	Trends []Trend
	// Largest is the significant change that stands out most against its
	// learned noise, in a week that did not change the whole model; nil
	// when there is none.
	Largest *Move
	// Wide are the significant changes in weeks that changed the whole
	// model (a broken or very different retrain): true of the week, not
	// news about this feature, and so never Largest.
	Wide []Move
	// Judged is how many week-to-week changes were judged at all: 0 while
	// the noise is not learned yet.
	Judged int
}

// Summarize says where each track went over weeks and which single move
// stood out. A track with no recorded week has no trend. Moves are
// measured in units of each series' own learned noise, so methods on
// different scales (a weight sum, a loss difference) compare, and only
// significant ones count: a raw change, or one relative to the peak,
// would let the noisiest method or one broken week speak for every
// feature. Every track must have one Point per week.
func Summarize(weeks []string, tracks []Track) Summary {
	var s Summary
	for _, t := range tracks {
		if len(t.Points) != len(weeks) {
			panic("compare: track " + t.Label + " has a different number of points than weeks")
		}
		first, last := -1, -1
		for w, p := range t.Points {
			if p.OK {
				if first < 0 {
					first = w
				}
				last = w
			}
		}
		if first < 0 {
			continue
		}
		s.Trends = append(s.Trends, Trend{Label: t.Label, First: t.Points[first], Last: t.Points[last]})
		for w, p := range t.Points {
			if w == 0 || !p.OK || math.IsNaN(p.Score) {
				continue
			}
			s.Judged++
			if !p.Significant {
				continue
			}
			m := Move{Label: t.Label, Week: weeks[w], Delta: p.Delta, Score: p.Score, From: t.Points[w-1].Rank, To: p.Rank}
			switch {
			case p.ModelWide:
				s.Wide = append(s.Wide, m)
			case s.Largest == nil || p.Score > s.Largest.Score:
				s.Largest = &m
			}
		}
	}
	return s
}
