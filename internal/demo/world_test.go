package demo

import (
	"math"
	"slices"
	"testing"

	"github.com/tracker-ml/tracker/experiments/nn"
)

func TestNamesNameThePlantedFeaturesAndNumberTheNoise(t *testing.T) {
	names := Names()
	if len(names) != Features {
		t.Fatalf("%d names, want %d", len(names), Features)
	}
	for i, want := range map[int]string{
		0: "tenure_months", Shifted: "basket_value", PairA: "promo_a", PairB: "promo_b",
		Copy: "tenure_copy", Fading: "legacy_score", 13: "noise_13", 40: "noise_40", 81: "noise_81",
	} {
		if names[i] != want {
			t.Errorf("feature %d is %q, want %q", i, names[i], want)
		}
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != Features {
		t.Errorf("feature names repeat: %q", names)
	}
}

// column returns column c of d's rows.
func column(d nn.Labeled, c int) []float64 {
	out := make([]float64, d.Rows)
	for r := range d.Rows {
		out[r] = float64(d.X[r*Features+c])
	}
	return out
}

func labels(d nn.Labeled) []float64 {
	out := make([]float64, d.Rows)
	for r, l := range d.Labels {
		out[r] = float64(l)
	}
	return out
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// corr is Pearson's correlation of x and y.
func corr(x, y []float64) float64 {
	mx, my := mean(x), mean(y)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return sxy / math.Sqrt(sxx*syy)
}

func product(x, y []float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] * y[i]
	}
	return out
}

// TestRowsFollowThePlan draws large weeks before and after the planted
// changes and checks each effect with bounds far from the values a broken
// plan would give (with 20,000 rows a correlation's noise is about 0.007).
func TestRowsFollowThePlan(t *testing.T) {
	const rows = 20000
	rng := newRand(1)
	early := drawRows(rng, 0, rows)
	late := drawRows(rng, ShiftWeek, rows) // past FadeWeek too
	if early.Rows != rows || len(early.X) != rows*Features || len(early.Labels) != rows {
		t.Fatalf("drew %d rows, %d values, %d labels; want %d rows of %d", early.Rows, len(early.X), len(early.Labels), rows, Features)
	}
	for _, c := range []struct {
		what     string
		got      float64
		min, max float64
	}{
		// copy = x0 + 0.3 noise: correlation 1/sqrt(1.09) = 0.958.
		{"the copy's correlation with feature 0", corr(column(early, Copy), column(early, 0)), 0.94, 0.97},
		{"a noise feature's correlation with feature 0", corr(column(early, 40), column(early, 0)), -0.03, 0.03},
		{"the shifted feature's mean before the shift", mean(column(early, Shifted)), -0.05, 0.05},
		{"the shifted feature's mean from the shift week", mean(column(late, Shifted)), 1.45, 1.55},
		{"a noise feature's mean from the shift week", mean(column(late, 40)), -0.05, 0.05},
		{"the fading feature's correlation with the label before it fades", corr(column(early, Fading), labels(early)), 0.15, 1},
		{"the fading feature's correlation with the label after it fades", corr(column(late, Fading), labels(late)), -0.03, 0.03},
		{"promo_a's correlation with the label (no main effect)", corr(column(early, PairA), labels(early)), -0.03, 0.03},
		{"promo_a x promo_b's correlation with the label", corr(product(column(early, PairA), column(early, PairB)), labels(early)), 0.15, 1},
		{"feature 0's correlation with the label", corr(column(early, 0), labels(early)), 0.15, 1},
		{"a noise feature's correlation with the label", corr(column(early, 40), labels(early)), -0.03, 0.03},
	} {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s is %.4f, want %g to %g", c.what, c.got, c.min, c.max)
		}
	}
	// The shifted feature's effect follows its old centre, so the label
	// rate does not move with it.
	if d := mean(labels(late)) - mean(labels(early)); math.Abs(d) > 0.03 {
		t.Errorf("the label rate moves by %.3f from the shift week; the shift must be drift, not signal", d)
	}
}

func TestRowsAreAFunctionOfTheSeed(t *testing.T) {
	a, b, c := drawRows(newRand(3), 2, 100), drawRows(newRand(3), 2, 100), drawRows(newRand(4), 2, 100)
	if !slices.Equal(a.X, b.X) || !slices.Equal(a.Labels, b.Labels) {
		t.Error("two draws with seed 3 differ")
	}
	if slices.Equal(a.X, c.X) {
		t.Error("seeds 3 and 4 draw the same rows")
	}
}
