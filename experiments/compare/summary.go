package compare

import "math"

// Point is one series' numbers in one week; OK is false where the week has
// no record.
type Point struct {
	OK    bool
	Value float64
	Delta float64 // the change from the previous week's value; NaN without one
	Rank  int     // 0 where the record did not rank the feature
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

// Move is the largest move of any track relative to its own peak |value|:
// in week Week the track's value changed by Delta, and its rank from From
// to To (0 where a week did not rank it).
type Move struct {
	Label, Week string
	Delta       float64
	From, To    int
}

// Summarize says where each track went over weeks and which single move
// was largest. A track with no recorded week has no trend. Moves are
// measured against the track's own peak |value| over the weeks, so methods
// on different scales (a weight sum, a loss difference) compare; a track
// whose values are all zero has no scale and no move. largest is nil when
// no track has a move, or when the largest is no change at all. Every
// track must have one Point per week.
func Summarize(weeks []string, tracks []Track) (trends []Trend, largest *Move) {
	best := 0.0 // largest's |Delta| / peak
	for _, t := range tracks {
		if len(t.Points) != len(weeks) {
			panic("compare: track " + t.Label + " has a different number of points than weeks")
		}
		first, last, peak := -1, -1, 0.0
		for w, p := range t.Points {
			if p.OK {
				if first < 0 {
					first = w
				}
				last = w
				peak = max(peak, math.Abs(p.Value))
			}
		}
		if first < 0 {
			continue
		}
		trends = append(trends, Trend{Label: t.Label, First: t.Points[first], Last: t.Points[last]})
		for w, p := range t.Points {
			if w == 0 || !p.OK || math.IsNaN(p.Delta) || peak == 0 {
				continue
			}
			if rel := math.Abs(p.Delta) / peak; largest == nil || rel > best {
				largest, best = &Move{Label: t.Label, Week: weeks[w], Delta: p.Delta, From: t.Points[w-1].Rank, To: p.Rank}, rel
			}
		}
	}
	if largest != nil && largest.Delta == 0 {
		largest = nil
	}
	return trends, largest
}
