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
