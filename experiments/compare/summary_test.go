package compare

import (
	"math"
	"reflect"
	"testing"
)

// pt is a recorded point whose change was not judged; sig one judged
// significant with a score, quiet one judged and not.
func pt(value, delta float64, rank int) Point {
	return Point{OK: true, Value: value, Delta: delta, Rank: rank, Score: math.NaN()}
}

func sig(value, delta float64, rank int, score float64) Point {
	p := pt(value, delta, rank)
	p.Significant, p.Score = true, score
	return p
}

func quiet(value, delta float64, rank int) Point {
	p := pt(value, delta, rank)
	p.Score = 1
	return p
}

var (
	gap = Point{Delta: math.NaN(), Score: math.NaN()}
	nan = math.NaN()
)

// samePoint is == with NaN equal to NaN.
func samePoint(a, b Point) bool {
	same := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return a.OK == b.OK && a.Value == b.Value && a.Rank == b.Rank && same(a.Delta, b.Delta) && same(a.Score, b.Score) && a.Significant == b.Significant
}

func TestSummarize(t *testing.T) {
	weeks := []string{"2019-01-14", "2019-01-21", "2019-01-28"}
	wide := sig(0.2, -0.7, 5, 30)
	wide.ModelWide = true
	cases := []struct {
		name    string
		tracks  []Track
		trends  []Trend
		largest *Move
		wide    []Move
		judged  int
	}{
		{
			name: "no tracks give no trend and no move",
		},
		{
			name:   "a track with no recorded week has no trend",
			tracks: []Track{{Label: "perturb", Points: []Point{gap, gap, gap}}},
		},
		{
			name:   "the trend runs from the first to the last recorded week, past the gaps",
			tracks: []Track{{Label: "perturb", Points: []Point{gap, pt(0.5, nan, 3), gap}}},
			trends: []Trend{{Label: "perturb", First: pt(0.5, nan, 3), Last: pt(0.5, nan, 3)}},
		},
		{
			name: "the largest move is the significant one that stands out most against its own noise, not the largest in value",
			tracks: []Track{
				{Label: "weight-sum", Points: []Point{pt(100, nan, 1), sig(110, 10, 1, 4), quiet(105, -5, 2)}},
				{Label: "perturb", Points: []Point{pt(0.1, nan, 4), sig(0.2, 0.1, 2, 9), quiet(0.15, -0.05, 3)}},
			},
			trends: []Trend{
				{Label: "weight-sum", First: pt(100, nan, 1), Last: quiet(105, -5, 2)},
				{Label: "perturb", First: pt(0.1, nan, 4), Last: quiet(0.15, -0.05, 3)},
			},
			largest: &Move{Label: "perturb", Week: "2019-01-21", Delta: 0.1, Score: 9, From: 4, To: 2},
			judged:  4,
		},
		{
			name:   "a large change that is not significant is no move",
			tracks: []Track{{Label: "gradient", Points: []Point{pt(1, nan, 1), quiet(0.1, -0.9, 5), quiet(0.2, 0.1, 5)}}},
			trends: []Trend{{Label: "gradient", First: pt(1, nan, 1), Last: quiet(0.2, 0.1, 5)}},
			judged: 2,
		},
		{
			name:    "a week that changed the whole model is listed apart and is never the largest",
			tracks:  []Track{{Label: "perturb", Points: []Point{pt(1, nan, 1), sig(0.9, -0.1, 1, 5), wide}}},
			trends:  []Trend{{Label: "perturb", First: pt(1, nan, 1), Last: wide}},
			largest: &Move{Label: "perturb", Week: "2019-01-21", Delta: -0.1, Score: 5, From: 1, To: 1},
			wide:    []Move{{Label: "perturb", Week: "2019-01-28", Delta: -0.7, Score: 30, From: 1, To: 5}},
			judged:  2,
		},
		{
			name: "on a tie the first track's move stays the largest",
			tracks: []Track{
				{Label: "a", Points: []Point{pt(1, nan, 1), sig(2, 1, 1, 6), gap}},
				{Label: "b", Points: []Point{gap, pt(1, nan, 2), sig(2, 1, 2, 6)}},
			},
			trends: []Trend{
				{Label: "a", First: pt(1, nan, 1), Last: sig(2, 1, 1, 6)},
				{Label: "b", First: pt(1, nan, 2), Last: sig(2, 1, 2, 6)},
			},
			largest: &Move{Label: "a", Week: "2019-01-21", Delta: 1, Score: 6, From: 1, To: 1},
			judged:  2,
		},
		{
			name:   "while the noise is not learned nothing is judged",
			tracks: []Track{{Label: "perturb", Points: []Point{pt(1, nan, 1), pt(1.5, 0.5, 1), pt(3, 1.5, 1)}}},
			trends: []Trend{{Label: "perturb", First: pt(1, nan, 1), Last: pt(3, 1.5, 1)}},
		},
		{
			name:   "the first week has no move even with a verdict given",
			tracks: []Track{{Label: "perturb", Points: []Point{sig(1, 9, 1, 50), quiet(1.5, 0.5, 1), gap}}},
			trends: []Trend{{Label: "perturb", First: sig(1, 9, 1, 50), Last: quiet(1.5, 0.5, 1)}},
			judged: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Summarize(weeks, c.tracks)
			same := len(s.Trends) == len(c.trends)
			for i := range s.Trends {
				same = same && s.Trends[i].Label == c.trends[i].Label && samePoint(s.Trends[i].First, c.trends[i].First) && samePoint(s.Trends[i].Last, c.trends[i].Last)
			}
			if !same {
				t.Errorf("trends:\n got %+v\nwant %+v", s.Trends, c.trends)
			}
			if !reflect.DeepEqual(s.Largest, c.largest) {
				t.Errorf("largest: got %+v, want %+v", s.Largest, c.largest)
			}
			if !reflect.DeepEqual(s.Wide, c.wide) {
				t.Errorf("wide: got %+v, want %+v", s.Wide, c.wide)
			}
			if s.Judged != c.judged {
				t.Errorf("judged %d, want %d", s.Judged, c.judged)
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
