// Package compare: temporary stand-in for the lead's branch until the
// compare package lands; removed at merge.
package compare

import (
	"math"

	"github.com/tracker-ml/tracker/experiments"
)

type Point struct {
	OK           bool
	Value, Delta float64
	Rank         int
}

type Track struct {
	Label  string
	Points []Point
}

type Trend struct {
	Label       string
	First, Last Point
}

type Move struct {
	Label, Week string
	Delta       float64
	From, To    int
}

func Summarize(weeks []string, tracks []Track) ([]Trend, *Move) {
	var trends []Trend
	var largest *Move
	best := 0.0
	for _, t := range tracks {
		first, last := -1, -1
		peak := 0.0
		for wi, c := range t.Points {
			if c.OK {
				if first < 0 {
					first = wi
				}
				last = wi
				peak = max(peak, math.Abs(c.Value))
			}
		}
		if first < 0 {
			continue
		}
		trends = append(trends, Trend{t.Label, t.Points[first], t.Points[last]})
		for wi, c := range t.Points {
			if !c.OK || math.IsNaN(c.Delta) || peak == 0 {
				continue
			}
			if rel := math.Abs(c.Delta) / peak; largest == nil || rel > best {
				largest, best = &Move{t.Label, weeks[wi], c.Delta, t.Points[wi-1].Rank, c.Rank}, rel
			}
		}
	}
	if largest != nil && largest.Delta == 0 {
		largest = nil
	}
	return trends, largest
}

func Warnings(weightSum, r experiments.Result, names []string) []string {
	var out []string
	for _, d := range experiments.Disagreements(weightSum, r) {
		out = append(out, d.Describe(experiments.FeatureLabel(names, d.Feature), r.Kind, len(r.Value)))
	}
	return out
}
