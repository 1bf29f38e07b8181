package compare

import (
	"math"
	"reflect"
	"testing"
)

// pt is a recorded point; gap is a week without a record.
func pt(value, delta float64, rank int) Point {
	return Point{OK: true, Value: value, Delta: delta, Rank: rank}
}

var (
	gap = Point{Delta: math.NaN()}
	nan = math.NaN()
)

// samePoint is == with NaN equal to NaN, as a missing delta is.
func samePoint(a, b Point) bool {
	sameDelta := a.Delta == b.Delta || (math.IsNaN(a.Delta) && math.IsNaN(b.Delta))
	return a.OK == b.OK && a.Value == b.Value && a.Rank == b.Rank && sameDelta
}

func TestSummarize(t *testing.T) {
	weeks := []string{"2019-01-14", "2019-01-21", "2019-01-28"}
	cases := []struct {
		name    string
		tracks  []Track
		trends  []Trend
		largest *Move
	}{
		{
			name: "no tracks give no trend and no move",
		},
		{
			name:   "a track with no recorded week has no trend",
			tracks: []Track{{Label: "perturb", Points: []Point{gap, gap, gap}}},
		},
		{
			name:    "the trend runs from the first to the last recorded week, past the gaps",
			tracks:  []Track{{Label: "perturb", Points: []Point{gap, pt(0.5, nan, 3), gap}}},
			trends:  []Trend{{Label: "perturb", First: pt(0.5, nan, 3), Last: pt(0.5, nan, 3)}},
			largest: nil, // one recorded week, no delta
		},
		{
			name: "the largest move is relative to each track's own peak, so methods on other scales compare",
			tracks: []Track{
				{Label: "weight-sum", Points: []Point{pt(100, nan, 1), pt(110, 10, 1), pt(105, -5, 2)}},   // 10/110
				{Label: "perturb", Points: []Point{pt(0.1, nan, 4), pt(0.2, 0.1, 2), pt(0.15, -0.05, 3)}}, // 0.1/0.2
			},
			trends: []Trend{
				{Label: "weight-sum", First: pt(100, nan, 1), Last: pt(105, -5, 2)},
				{Label: "perturb", First: pt(0.1, nan, 4), Last: pt(0.15, -0.05, 3)},
			},
			largest: &Move{Label: "perturb", Week: "2019-01-21", Delta: 0.1, From: 4, To: 2},
		},
		{
			name:    "a fall counts by its size and keeps its sign, with the ranks of the week before and of its week",
			tracks:  []Track{{Label: "gradient", Points: []Point{pt(1, nan, 1), pt(0.9, -0.1, 1), pt(0.2, -0.7, 5)}}},
			trends:  []Trend{{Label: "gradient", First: pt(1, nan, 1), Last: pt(0.2, -0.7, 5)}},
			largest: &Move{Label: "gradient", Week: "2019-01-28", Delta: -0.7, From: 1, To: 5},
		},
		{
			name: "on a tie the first track's move stays the largest",
			tracks: []Track{
				{Label: "a", Points: []Point{pt(1, nan, 1), pt(2, 1, 1), gap}},
				{Label: "b", Points: []Point{gap, pt(1, nan, 2), pt(2, 1, 2)}},
			},
			trends: []Trend{
				{Label: "a", First: pt(1, nan, 1), Last: pt(2, 1, 1)},
				{Label: "b", First: pt(1, nan, 2), Last: pt(2, 1, 2)},
			},
			largest: &Move{Label: "a", Week: "2019-01-21", Delta: 1, From: 1, To: 1},
		},
		{
			name:   "a track that never changed has a trend but no move",
			tracks: []Track{{Label: "olden", Points: []Point{pt(0.3, nan, 2), pt(0.3, 0, 2), pt(0.3, 0, 2)}}},
			trends: []Trend{{Label: "olden", First: pt(0.3, nan, 2), Last: pt(0.3, 0, 2)}},
		},
		{
			name:   "a track of zeros has no scale and so no move",
			tracks: []Track{{Label: "garson", Points: []Point{pt(0, nan, 0), pt(0, 0, 0), gap}}},
			trends: []Trend{{Label: "garson", First: pt(0, nan, 0), Last: pt(0, 0, 0)}},
		},
		{
			name: "a track of zeros does not hide another track's move",
			tracks: []Track{
				{Label: "garson", Points: []Point{pt(0, nan, 0), pt(0, 0, 0), gap}},
				{Label: "perturb", Points: []Point{pt(1, nan, 1), pt(1.5, 0.5, 1), gap}},
			},
			trends: []Trend{
				{Label: "garson", First: pt(0, nan, 0), Last: pt(0, 0, 0)},
				{Label: "perturb", First: pt(1, nan, 1), Last: pt(1.5, 0.5, 1)},
			},
			largest: &Move{Label: "perturb", Week: "2019-01-21", Delta: 0.5, From: 1, To: 1},
		},
		{
			name:    "the first week has no move even with a delta given",
			tracks:  []Track{{Label: "perturb", Points: []Point{pt(1, 9, 1), pt(1.5, 0.5, 1), gap}}},
			trends:  []Trend{{Label: "perturb", First: pt(1, 9, 1), Last: pt(1.5, 0.5, 1)}},
			largest: &Move{Label: "perturb", Week: "2019-01-21", Delta: 0.5, From: 1, To: 1},
		},
		{
			name:   "a week with no record after a gap has no move even with a delta given",
			tracks: []Track{{Label: "perturb", Points: []Point{pt(1, nan, 1), {Delta: 5}, pt(2, nan, 1)}}},
			trends: []Trend{{Label: "perturb", First: pt(1, nan, 1), Last: pt(2, nan, 1)}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			trends, largest := Summarize(weeks, c.tracks)
			same := len(trends) == len(c.trends)
			for i := range trends {
				same = same && trends[i].Label == c.trends[i].Label && samePoint(trends[i].First, c.trends[i].First) && samePoint(trends[i].Last, c.trends[i].Last)
			}
			if !same {
				t.Errorf("trends:\n got %+v\nwant %+v", trends, c.trends)
			}
			if !reflect.DeepEqual(largest, c.largest) {
				t.Errorf("largest: got %+v, want %+v", largest, c.largest)
			}
		})
	}
}

func TestSummarizePanicsOnATrackOfAnotherLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a track of 1 point over 2 weeks did not panic")
		}
	}()
	Summarize([]string{"2019-01-14", "2019-01-21"}, []Track{{Label: "perturb", Points: []Point{pt(1, nan, 1)}}})
}
