package compare

import (
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// calmSeason is weeks of 12 features 1.2, 1.1, ... 0.1 apart, each moving
// by ±0.01 from week to week: a past with learned noise. last replaces the
// newest week's values.
func calmSeason(weeks int, last ...float64) []experiments.Result {
	var vs [][]float64
	for w := range weeks {
		v := wobble(12, 0, 0.01, w)
		for f := range v {
			v[f] += 1.2 - 0.1*float64(f)
		}
		vs = append(vs, v)
	}
	if last != nil {
		vs[weeks-1] = last
	}
	return hist(experiments.KindPermutation, 0.001, vs...)
}

func TestMovers(t *testing.T) {
	base := func() []float64 {
		v := make([]float64, 12)
		for f := range v {
			v[f] = 1.2 - 0.1*float64(f)
		}
		return v
	}
	jump := base()
	jump[9] = 2 // rank 10 to 1
	trade := base()
	trade[4], trade[5] = 0.745, 0.755 // a trade within about twice the noise
	cases := []struct {
		name     string
		series   []experiments.Result
		up, down []int // features
		judged   int
	}{
		{"a feature that climbs far beyond its learned noise moves up, and the ones it passed, whose values held, do not move down",
			calmSeason(8, jump...), []int{9}, nil, 12},
		{"two features trading places within the noise do not move",
			calmSeason(8, trade...), nil, nil, 12},
		{"while the noise is not learned nothing moves, however far",
			calmSeason(MinChanges, jump...), nil, nil, 0},
		{"one week gives nothing", calmSeason(1), nil, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Movers(c.series)
			if got := features(m.Up); !equalInts(got, c.up) {
				t.Errorf("up %v, want %v", got, c.up)
			}
			if got := features(m.Down); !equalInts(got, c.down) {
				t.Errorf("down %v, want %v", got, c.down)
			}
			if got := m.Changes.Judged(); got != c.judged {
				t.Errorf("%d changes judged, want %d", got, c.judged)
			}
		})
	}
	if m := Movers(calmSeason(8, jump...)); m.Up[0].From != 10 || m.Up[0].To != 1 || m.Up[0].Score < 10 {
		t.Errorf("the mover %+v, want rank 10 to 1, far beyond the noise", m.Up[0])
	}
}

func features(ms []Mover) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.Feature)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMoverRise(t *testing.T) {
	if r := (Mover{From: 7, To: 2}).Rise(); r != 5 {
		t.Errorf("rank 7 to 2 rises %d, want 5", r)
	}
	if r := (Mover{From: 2, To: 7}).Rise(); r != -5 {
		t.Errorf("rank 2 to 7 rises %d, want -5", r)
	}
}

func TestABrokenWeekIsModelWideAndDoesNotTeachTheNoise(t *testing.T) {
	s := seasons[0].s
	series := s.weeks(3, 12, func(w int, eff []float64) {
		if w == 7 {
			for f := range eff {
				eff[f] = eff[f]*0.2 + 0.05
			}
		}
	})
	if cs := JudgeChanges(series, 7); !cs.ModelWide() {
		t.Errorf("the broken week: %d of %d significant, want most: a change of the whole model", cs.Significant(), cs.Judged())
	}
	if cs := JudgeChanges(series, 8); !cs.ModelWide() {
		t.Errorf("the week after the broken one: %d of %d significant, want most: the model changed back", cs.Significant(), cs.Judged())
	}
	if cs := JudgeChanges(series, 9); cs.Significant() > 1 {
		t.Errorf("two weeks after: %d significant, want about none", cs.Significant())
	}
	calm := JudgeChanges(s.weeks(3, 12, nil), 10)
	if got, want := JudgeChanges(series, 10)[0].Noise.Scale, calm[0].Noise.Scale; got > 1.5*want {
		t.Errorf("feature 0's noise after the broken week is %g, %g without it: the broken week's changes taught it", got, want)
	}
}
