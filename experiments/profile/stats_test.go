package profile

import (
	"math"
	"slices"
	"testing"
)

func TestKolmogorovP(t *testing.T) {
	for _, tc := range []struct {
		lambda, want float64
	}{
		{0, 1}, {0.2, 1}, {0.5, 0.9639}, {0.8, 0.5441}, {1, 0.2700},
		{1.2238, 0.1000}, {1.3581, 0.0500}, {1.6276, 0.0100}, {2.5, 1.5e-5},
	} {
		if got := kolmogorovP(tc.lambda); math.Abs(got-tc.want) > 2e-4 {
			t.Errorf("P(K > %v) = %.5f, want %.5f", tc.lambda, got, tc.want)
		}
	}
	// The two series meet at λ = 1.
	lo, hi := kolmogorovP(math.Nextafter(1, 0)), kolmogorovP(1)
	if math.Abs(lo-hi) > 1e-9 {
		t.Errorf("the series disagree at 1: %v and %v", lo, hi)
	}
}

func TestBenjaminiHochberg(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    []float64
		want []bool
	}{
		{"nothing small is nothing found", []float64{0.5, 0.2, 0.9}, []bool{false, false, false}},
		{"the step-up takes a p over its own line", []float64{0.01, 0.03, 0.036, 0.5}, []bool{true, true, true, false}},
		{"one tiny p among many", append([]float64{1e-6}, slices.Repeat([]float64{0.5}, 81)...), append([]bool{true}, make([]bool, 81)...)},
		{"0.04 alone of 82 is no discovery", append([]float64{0.04}, slices.Repeat([]float64{0.5}, 81)...), make([]bool, 82)},
		{"no tests", nil, []bool{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := benjaminiHochberg(tc.p, 0.05); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPSI(t *testing.T) {
	col := func(edges []float32, counts ...int) *Column {
		n := 0
		for _, c := range counts {
			n += c
		}
		return &Column{Count: n, Histogram: Histogram{Edges: edges, Counts: counts}}
	}
	e := []float32{0, 1}
	for _, tc := range []struct {
		name string
		a, b *Column
		want float64
	}{
		{"the same shares", col(e, 10, 20, 70), col(e, 100, 200, 700), 0},
		{"a shift of shares", col(e, 50, 50, 0), col(e, 40, 60, 0), 0.1*math.Log(0.4/0.5)*-1 + 0.1*math.Log(0.6/0.5)},
		{"an empty bin counts as the floor", col(e, 50, 50, 0), col(e, 50, 49, 1), -0.01*math.Log(0.49/0.5) + (0.01-PSIFloor)*math.Log(0.01/PSIFloor)},
		{"empty in both adds nothing", col(e, 0, 100, 0), col(e, 0, 100, 0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fromQ := psi(tc.a, tc.b)
			if fromQ || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("PSI %v (from quantiles %v), want %v", got, fromQ, tc.want)
			}
		})
	}
}

func TestCDFFromQuantiles(t *testing.T) {
	// Binary data, 70% zeros: F(0) = 0.7 within a grid step.
	x := make([]float32, 1000)
	for i := 700; i < 1000; i++ {
		x[i] = 1
	}
	q, _ := exactSummary(x)
	c := cdf(q)
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"below the minimum", c.right(-1), 0},
		{"at the lower value", c.right(0), 0.7},
		{"just below the upper value", c.left(1), 0.7},
		{"at the maximum", c.right(1), 1},
		{"left of the minimum", c.left(0), 0},
	} {
		if math.Abs(tc.got-tc.want) > 1.0/(Points-1)+1e-9 {
			t.Errorf("%s: %v, want %v within a grid step", tc.name, tc.got, tc.want)
		}
	}
}

func TestCompareLabel(t *testing.T) {
	lab := func(classes []string, counts ...int) *Label {
		l := &Label{Classes: classes, Counts: counts}
		if len(counts) == 2 {
			r := float64(counts[1]) / float64(counts[0]+counts[1])
			l.BaseRate = &r
		}
		return l
	}
	two := []string{"0", "1"}
	for _, tc := range []struct {
		name           string
		a, b           *Label
		judged, drifts bool
	}{
		{"a rate from 0.20 to 0.25 on 10k rows drifts", lab(two, 8000, 2000), lab(two, 7500, 2500), true, true},
		{"0.200 to 0.205 on a million rows is significant but not material", lab(two, 800000, 200000), lab(two, 795000, 205000), true, false},
		{"0.2 to 0.3 on 20 rows is not significant", lab(two, 8, 2), lab(two, 7, 3), true, false},
		{"three classes are not judged", lab([]string{"a", "b", "c"}, 1, 2, 3), lab([]string{"a", "b", "c"}, 1, 2, 3), false, false},
		{"other classes are not judged", lab(two, 5, 5), lab([]string{"0", "2"}, 5, 5), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := compareLabel(tc.a, tc.b)
			if d.Judged != tc.judged || d.Drifted != tc.drifts {
				t.Errorf("judged %v drifted %v (z %.2f p %.3g), want %v %v", d.Judged, d.Drifted, d.Z, d.P, tc.judged, tc.drifts)
			}
		})
	}
}

// TestPSIFromQuantilesAgreesWithCounts: a current profile binned on its
// own edges gets its counts in the reference's bins from its quantiles,
// close to what counting on those bins gives.
func TestPSIFromQuantilesAgreesWithCounts(t *testing.T) {
	a, b := accuracyCases[2].samples(3)
	ref := streamed(t, a, nil)
	counted := streamed(t, b, Edges(ref))
	own := streamed(t, b, nil)
	pc, fromQ1 := psi(&ref.Columns[0], &counted.Columns[0])
	pq, fromQ2 := psi(&ref.Columns[0], &own.Columns[0])
	if fromQ1 || !fromQ2 || math.Abs(pc-pq) > 0.002 {
		t.Errorf("PSI %.4f counted, %.4f from quantiles (flags %v %v)", pc, pq, fromQ1, fromQ2)
	}
}
