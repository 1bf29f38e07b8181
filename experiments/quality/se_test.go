package quality

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// draw is n rows from a fixed two-class population: class 1 with chance
// base, p(class 1) a noisy, miscalibrated softsign of the class, scores
// continuous (ties has them rounded to a tenth).
func draw(rng *rand.Rand, n int, base float64, ties bool) ([]float64, []int) {
	probs := make([]float64, 0, 2*n)
	labels := make([]int, n)
	for i := range labels {
		y := 0
		if rng.Float64() < base {
			y = 1
		}
		z := float64(2*y-1)*0.7 + rng.NormFloat64()
		p := 0.5 + 0.5*z/(1+math.Abs(z))
		if ties {
			p = math.Round(p*10) / 10
		}
		probs = append(probs, 1-p, p)
		labels[i] = y
	}
	return probs, labels
}

// drawMulti is n rows of a k-class population with softmax-like scores.
func drawMulti(rng *rand.Rand, n, k int) ([]float64, []int) {
	probs := make([]float64, n*k)
	labels := make([]int, n)
	for i := range labels {
		y := rng.IntN(k)
		row := probs[i*k : (i+1)*k]
		s := 0.0
		for c := range row {
			v := rng.NormFloat64()
			if c == y {
				v += 1
			}
			row[c] = math.Exp(v)
			s += row[c]
		}
		for c := range row {
			row[c] /= s
		}
		labels[i] = y
	}
	return probs, labels
}

// delongSlow is DeLong's variance straight from the 1988 paper: each
// positive's V10 and each negative's V01 by comparing it with every row of
// the other class, O(m n).
func delongSlow(scores []float64, labels []int) (auc, se float64) {
	var pos, neg []float64
	for i, y := range labels {
		if y == 1 {
			pos = append(pos, scores[i])
		} else {
			neg = append(neg, scores[i])
		}
	}
	psi := func(x, y float64) float64 {
		switch {
		case x > y:
			return 1
		case x == y:
			return 0.5
		}
		return 0
	}
	v10 := make([]float64, len(pos))
	v01 := make([]float64, len(neg))
	for i, x := range pos {
		for j, y := range neg {
			s := psi(x, y)
			v10[i] += s
			v01[j] += s
			auc += s
		}
	}
	m, n := float64(len(pos)), float64(len(neg))
	auc /= m * n
	var s10, s01 float64
	for _, v := range v10 {
		s10 += (v/n - auc) * (v/n - auc)
	}
	for _, v := range v01 {
		s01 += (v/m - auc) * (v/m - auc)
	}
	return auc, math.Sqrt(s10/(m-1)/m + s01/(n-1)/n)
}

func TestDeLongMatchesTheQuadraticDefinition(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		base float64
		ties bool
	}{
		{"with continuous scores", 500, 0.4, false},
		{"with scores tied in tenths", 800, 0.5, true},
		{"with few positives", 300, 0.03, false},
		{"on five rows", 5, 0.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(tc.n)))
			probs, labels := draw(rng, tc.n, tc.base, tc.ties)
			for slices.Index(labels, 1) < 0 || slices.Index(labels, 0) < 0 || count(labels, 1) < 2 || count(labels, 0) < 2 {
				probs, labels = draw(rng, tc.n, tc.base, tc.ties)
			}
			m, err := Evaluate(probs, 2, labels)
			if err != nil {
				t.Fatal(err)
			}
			scores := make([]float64, len(labels))
			for i := range scores {
				scores[i] = probs[2*i+1]
			}
			auc, se := delongSlow(scores, labels)
			if !relClose(m.AUC, auc, 1e-12) || !relClose(m.SE.AUC, se, 1e-9) {
				t.Errorf("AUC %v ± %v, the O(n²) definition %v ± %v", m.AUC, m.SE.AUC, auc, se)
			}
		})
	}
}

func count(xs []int, v int) int {
	c := 0
	for _, x := range xs {
		if x == v {
			c++
		}
	}
	return c
}

// bootstrapSD is the standard deviation of a metric over B resamples of
// the rows with replacement: the reference a standard error estimates.
func bootstrapSD(t *testing.T, rng *rand.Rand, probs []float64, k int, labels []int, B int, metric func(Metrics) float64) float64 {
	t.Helper()
	n := len(labels)
	bp := make([]float64, n*k)
	bl := make([]int, n)
	vals := make([]float64, 0, B)
	for range B {
		for i := range bl {
			j := rng.IntN(n)
			copy(bp[i*k:(i+1)*k], probs[j*k:(j+1)*k])
			bl[i] = labels[j]
		}
		m, err := Evaluate(bp, k, bl)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, metric(m))
	}
	_, se := meanSE(vals)
	return se * math.Sqrt(float64(B))
}

// TestStandardErrorsMatchTheBootstrap compares the AUC's (DeLong, and its
// linearised many-class form), log loss's, Brier's and ECE's standard
// errors with the bootstrap standard deviation of the metric on one large
// sample. The bootstrap's own error with 800 resamples is 2.5%, so 10%
// is four of its standard deviations.
func TestStandardErrorsMatchTheBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("bootstrap of 800 resamples")
	}
	rng := rand.New(rand.NewPCG(13, 1))
	two, twoLabels := draw(rng, 3000, 0.3, false)
	three, threeLabels := drawMulti(rng, 3000, 3)
	for _, tc := range []struct {
		name   string
		probs  []float64
		k      int
		labels []int
		metric func(Metrics) float64
		se     func(Metrics) float64
		tol    float64
	}{
		{"two-class AUC (DeLong)", two, 2, twoLabels, func(m Metrics) float64 { return m.AUC }, func(m Metrics) float64 { return m.SE.AUC }, 0.10},
		{"three-class macro AUC", three, 3, threeLabels, func(m Metrics) float64 { return m.AUC }, func(m Metrics) float64 { return m.SE.AUC }, 0.10},
		{"log loss", two, 2, twoLabels, func(m Metrics) float64 { return m.LogLoss }, func(m Metrics) float64 { return m.SE.LogLoss }, 0.10},
		{"three-class Brier", three, 3, threeLabels, func(m Metrics) float64 { return m.Brier }, func(m Metrics) float64 { return m.SE.Brier }, 0.10},
		{"ECE of a miscalibrated model", two, 2, twoLabels, func(m Metrics) float64 { return m.ECE }, func(m Metrics) float64 { return m.SE.ECE }, 0.20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Evaluate(tc.probs, tc.k, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			sd := bootstrapSD(t, rng, tc.probs, tc.k, tc.labels, 800, tc.metric)
			ratio := tc.se(m) / sd
			t.Logf("%s %.4f: standard error %.5f, bootstrap SD %.5f, ratio %.3f", tc.name, tc.metric(m), tc.se(m), sd, ratio)
			if math.Abs(ratio-1) > tc.tol {
				t.Errorf("standard error %.5f is %.2f times the bootstrap SD %.5f, want within %.0f%%", tc.se(m), ratio, sd, 100*tc.tol)
			}
		})
	}
}

// TestNinetyFivePercentIntervalsCover draws 2,000 fresh samples of 400
// rows from one population and counts how often value ± 1.96 SE covers
// the population's value (taken from 2 million rows, whose own error is
// 1.4% of a sample's). The binomial shares, the means over rows and
// DeLong's AUC should each cover about 95%; with 2,000 samples the count
// itself varies by ±1 point (two standard deviations).
func TestNinetyFivePercentIntervalsCover(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 samples")
	}
	rng := rand.New(rand.NewPCG(21, 2))
	popProbs, popLabels := draw(rng, 2_000_000, 0.3, false)
	pop, err := Evaluate(popProbs, 2, popLabels)
	if err != nil {
		t.Fatal(err)
	}
	const samples, n = 2000, 400
	covered := make([]int, len(names))
	var eces, eceSEs []float64
	for range samples {
		probs, labels := draw(rng, n, 0.3, false)
		m, err := Evaluate(probs, 2, labels)
		if err != nil {
			t.Fatal(err)
		}
		v, se, truth := m.Values(), m.SE.Values(), pop.Values()
		for j := range names {
			if math.Abs(v[j]-truth[j]) <= 1.96*se[j] {
				covered[j]++
			}
		}
		eces = append(eces, m.ECE)
		eceSEs = append(eceSEs, m.SE.ECE)
	}
	for j, name := range names {
		if name == "rows" || name == "ece" {
			continue // rows is exact; ECE is biased upward, checked below
		}
		share := float64(covered[j]) / samples
		t.Logf("%s: %.1f%% of 95%% intervals cover %.4f", name, 100*share, pop.Values()[j])
		if share < 0.935 || share > 0.965 {
			t.Errorf("%s: %.1f%% of 95%% intervals cover the population's value, want 93.5%% to 96.5%%", name, 100*share)
		}
	}
	// ECE estimates its population value with an upward bias, so an
	// interval around it need not cover; what its standard error must do
	// is say how far a fresh sample's ECE moves: not less than it does
	// (calls no noise a change), and, being conservative by design, by at
	// most about 1.66 times.
	_, sdMean := meanSE(eces)
	sd := sdMean * math.Sqrt(samples)
	mean, _ := meanSE(eceSEs)
	t.Logf("ece: mean standard error %.5f, SD over samples %.5f, ratio %.2f (population %.4f, samples' mean ECE %.4f)", mean, sd, mean/sd, pop.ECE, avg(eces))
	if r := mean / sd; r < 0.9 || r > 1.7 {
		t.Errorf("ECE's mean standard error %.5f is %.2f times its SD over fresh samples %.5f, want 0.9 to 1.7", mean, r, sd)
	}
}

func avg(x []float64) float64 {
	m, _ := meanSE(x)
	return m
}
