package experiments

import (
	"math"
	"slices"
	"testing"
)

func TestStandardErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		r    Result
		want []float64 // NaN: unknown
	}{
		{"a stored standard error is used as it is",
			Result{Kind: KindPerturb, Params: map[string]string{"pivots": "100"}, Value: []float64{1, 2}, Spread: []float64{5, 5},
				Extra: map[string][]float64{SEKey: {0.1, 0.2}}}, []float64{0.1, 0.2}},
		{"an older record's spread over its pivots gives one",
			Result{Kind: KindPerturb, Params: map[string]string{"pivots": "100"}, Value: []float64{1, 2}, Spread: []float64{5, 10}, Rank: []int{2, 1}},
			[]float64{0.5, 1}},
		{"one seed gives none",
			Result{Kind: KindDropRetrain, Params: map[string]string{"seeds": "1"}, Value: []float64{1}, Spread: []float64{0}, Rank: []int{1}},
			[]float64{math.NaN()}},
		{"a weight-based method has none",
			Result{Kind: KindWeightSum, Value: []float64{1}, Spread: []float64{0}, Rank: []int{1}}, []float64{math.NaN()}},
		{"a feature not measured has none",
			Result{Kind: KindDropRetrain, Params: map[string]string{"seeds": "4"}, Value: []float64{math.NaN(), 1}, Spread: []float64{math.NaN(), 2}, Rank: []int{0, 1}},
			[]float64{math.NaN(), 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := StandardErrors(c.r)
			for i := range c.want {
				if math.IsNaN(c.want[i]) != math.IsNaN(got[i]) || (!math.IsNaN(got[i]) && math.Abs(got[i]-c.want[i]) > 1e-12) {
					t.Fatalf("StandardErrors = %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestMoreTelling(t *testing.T) {
	// The order README and --help state, most telling first.
	want := []string{KindDropRetrain, KindPermutation, KindPerturb, KindGradient, KindOlden, KindGarson, KindWeightSum, "imported-kind"}
	for i, a := range want {
		for j, b := range want {
			t.Run(a+" against "+b, func(t *testing.T) {
				if got := MoreTelling(a, b); got != (i < j) {
					t.Errorf("MoreTelling(%q, %q) = %v, want %v", a, b, got, i < j)
				}
				if got := TellingOf(a) > TellingOf(b); got != (i < j) {
					t.Errorf("TellingOf(%q) > TellingOf(%q) = %v, want %v", a, b, got, i < j)
				}
			})
		}
	}
	t.Run("the display order stays as tables and exports have it", func(t *testing.T) {
		display := []string{KindWeightSum, KindGarson, KindOlden, KindPerturb, KindPermutation, KindGradient, KindDropRetrain}
		if !slices.Equal(Order, display) {
			t.Errorf("Order = %v, want %v", Order, display)
		}
	})
}
