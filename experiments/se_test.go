package experiments

import (
	"math"
	"testing"
)

// same is whether got and want are both NaN or equal within 1e-12
// relative.
func same(got, want float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

func TestPivotSE(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name           string
		between        float64
		within         []float64
		n, rows, m     int
		wantSE, wantDF float64 // wantDF 0: not checked
	}{
		// f = 4/400: v = 0.99·0.2²/4 + 0.01·(1+1+1+1)/(10·16).
		{"pivots drawn from many rows: both stages", 0.2, []float64{1, 1, 1, 1}, 4, 400, 10,
			math.Sqrt(0.99*0.04/4 + 0.01*4/160), 0},
		// f = 1: only the noise: sqrt(Σ within/(m·n²)) = sqrt(4/(10·16)).
		{"every row a pivot: only the noise copies vary", 0.2, []float64{1, 1, 1, 1}, 4, 4, 10,
			math.Sqrt(4.0 / 160), 4 * 9},
		{"one copy per pivot drawn from many rows: the spread over pivots", 0.2, []float64{0, 0, 0, 0}, 4, 400, 1,
			0.1, 3},
		{"one copy per pivot and every row a pivot: unknown", 0.2, []float64{0, 0, 0, 0}, 4, 4, 1, nan, nan},
		{"one pivot of many rows: unknown", 0, []float64{1}, 1, 400, 10, nan, nan},
		{"no change anywhere: exactly 0", 0, []float64{0, 0, 0, 0}, 4, 400, 10, 0, 39},
	} {
		t.Run(c.name, func(t *testing.T) {
			se, df := pivotSE(c.between, c.within, c.n, c.rows, c.m)
			if !same(se, c.wantSE) {
				t.Errorf("se = %v, want %v", se, c.wantSE)
			}
			if c.wantDF != 0 && !same(df, c.wantDF) {
				t.Errorf("df = %v, want %v", df, c.wantDF)
			}
		})
	}
	t.Run("the degrees of freedom lie between the two stages'", func(t *testing.T) {
		_, df := pivotSE(0.2, []float64{1, 1, 1, 1}, 4, 400, 10)
		if !(df >= 3 && df <= 4*9) {
			t.Errorf("df = %v, want between n-1 = 3 and n(m-1) = 36", df)
		}
	})
}

func TestRowSE(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name           string
		sd             float64
		n, rows        int
		wantSE, wantDF float64
	}{
		{"a sample of rows: sd/sqrt(n) with the finite population correction", 2, 100, 400, 2 * math.Sqrt(0.75/100), 99},
		{"every row: no sampling error", 2, 400, 400, 0, 399},
		{"one row of many: unknown", 0, 1, 400, nan, nan},
	} {
		t.Run(c.name, func(t *testing.T) {
			se, df := rowSE(c.sd, c.n, c.rows)
			if !same(se, c.wantSE) || !same(df, c.wantDF) {
				t.Errorf("rowSE = %v, %v; want %v, %v", se, df, c.wantSE, c.wantDF)
			}
		})
	}
}

func TestRepeatSE(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name          string
		value, sd     []float64
		k             int
		wantSE, wantD []float64
	}{
		{"each feature's own spread when it is the largest for its size",
			[]float64{0.5, 0.1, 0}, []float64{0.3, 0.2, 0.1}, 4,
			[]float64{0.15, 0.1, 0.05}, []float64{3, 3, 3}},
		{"a spread of 0 by chance takes the features just below",
			[]float64{0.01, -0.002, 0.004, 0.5}, []float64{0, 0.02, 0.04, 0.3}, 4,
			// feature 0: floor mean(0.02², 0.04²) = 0.001 over 2 features.
			[]float64{math.Sqrt(0.001 / 4), 0.01, 0.02, 0.15}, []float64{6, 3, 3, 3}},
		{"the sign does not make a feature smaller",
			[]float64{-0.3, 0.1}, []float64{0, 0.2}, 4,
			[]float64{0.1, 0.1}, []float64{3, 3}},
		{"one repeat: unknown", []float64{0.5, 0}, []float64{0, 0}, 1,
			[]float64{nan, nan}, []float64{nan, nan}},
	} {
		t.Run(c.name, func(t *testing.T) {
			se, df := repeatSE(c.value, c.sd, c.k)
			for i := range c.wantSE {
				if !same(se[i], c.wantSE[i]) || !same(df[i], c.wantD[i]) {
					t.Fatalf("repeatSE = %v, %v; want %v, %v", se, df, c.wantSE, c.wantD)
				}
			}
		})
	}
	t.Run("the floor pools at most poolWindow features", func(t *testing.T) {
		value := make([]float64, 20)
		sd := make([]float64, 20)
		for i := range value {
			value[i], sd[i] = float64(i), 1
		}
		sd[19] = 0
		_, df := repeatSE(value, sd, 3)
		if df[19] != poolWindow*2 {
			t.Errorf("df of the floored feature = %v, want %d", df[19], poolWindow*2)
		}
	})
}
