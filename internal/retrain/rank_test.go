package retrain

import (
	"math"
	"testing"
)

// TestRankCorrelationsAgreeWithScipy: scipy.stats.spearmanr and kendalltau
// (tau-b) on the same numbers, ties included (Debian's python3-scipy 1.10).
func TestRankCorrelationsAgreeWithScipy(t *testing.T) {
	x := []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}
	y := []float64{2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4}
	if got, want := spearman(x, y), 0.1384567651467695; math.Abs(got-want) > 1e-12 {
		t.Errorf("spearman = %v, scipy %v", got, want)
	}
	if got, want := kendall(x, y), 0.14757295747452434; math.Abs(got-want) > 1e-12 {
		t.Errorf("kendall = %v, scipy %v", got, want)
	}
	same := []float64{1, 2, 3, 4}
	if spearman(same, same) != 1 || kendall(same, same) != 1 {
		t.Error("a ranking against itself is not 1")
	}
	if !math.IsNaN(spearman([]float64{1, 1, 1}, []float64{1, 2, 3})) || !math.IsNaN(kendall([]float64{1, 2}, []float64{1, 2})) {
		t.Error("a constant side or two pairs give a correlation")
	}
}
