package retrain

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBandKHoldsItsRate: for histories of normal values, a new value from
// the same distribution lies above the learned bound about PerBoundRate
// of the time, for every history length bandK covers.
func TestBandKHoldsItsRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const trials = 80000
	for _, side := range []Side{Above, Either} {
		for _, n := range []int{4, 6, 8, 12, 24} {
			past := make([]float64, n)
			over := 0
			for range trials {
				for i := range past {
					past[i] = rng.NormFloat64()
				}
				if Learn(past, side, Upper(math.Inf(1)), false).Outside(rng.NormFloat64()) {
					over++
				}
			}
			rate := float64(over) / trials
			// Binomial sd at 0.0025 over 80,000 trials is 0.00018.
			if rate > 2*PerBoundRate || rate < PerBoundRate/3 {
				t.Errorf("side %d, %d past values: a normal value broke the bound %.4f of the time, want about %.4f", side, n, rate, PerBoundRate)
			}
		}
	}
}

func TestLearn(t *testing.T) {
	def := Within(0.5, 2)
	for _, tc := range []struct {
		name    string
		past    []float64
		side    Side
		logs    bool
		v       float64
		outside bool
		learned bool
	}{
		{"too little history keeps the default", []float64{1, 1.1, 0.9}, Both, true, 1.9, false, false},
		{"default breaks too", []float64{1, 1.1}, Both, true, 2.5, true, false},
		{"a steady ratio learns a tight band", []float64{1, 1.01, 0.99, 1.02, 0.98, 1, 1.01, 0.99, 1, 1.02, 0.98, 1}, Both, true, 1.5, true, true},
		{"within the learned band", []float64{1, 1.01, 0.99, 1.02, 0.98, 1, 1.01, 0.99, 1, 1.02, 0.98, 1}, Both, true, 1.03, false, true},
		{"a count that was always 0", []float64{0, 0, 0, 0, 0}, Above, false, 1, true, true},
		{"NaNs do not count as history", []float64{math.NaN(), math.NaN(), 1, 2, 3}, Above, true, 1.5, false, false},
		{"a similarity that falls", []float64{0.95, 0.96, 0.94, 0.95, 0.97, 0.95}, Below, true, 0.7, true, true},
		{"a signed change that happened to be positive is not banded on logs", []float64{0.004, 0.012, 0.003, 0.008, 0.006}, Below, false, -0.001, false, true},
	} {
		b := Learn(tc.past, tc.side, def, tc.logs)
		if got := b.Outside(tc.v); got != tc.outside || b.Learned != tc.learned {
			t.Errorf("%s: bound %v: outside(%v) = %v learned %v; want %v, %v", tc.name, b, tc.v, got, b.Learned, tc.outside, tc.learned)
		}
	}
}
