package experiments_test

import (
	"math"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// TestUnchangedMetricReadsExactlyZero: a feature whose removal or shuffle
// changes nothing reads 0, not float64 noise such as -2.220446e-17.
func TestUnchangedMetricReadsExactlyZero(t *testing.T) {
	t.Run("drop-retrain: equal metrics, and a lost and a gained row", func(t *testing.T) {
		opts := experiments.DropRetrainOptions{Seeds: 2, Metric: "accuracy"}
		acc := func(right int) float64 { return float64(right) / 200 }
		if naive := ((acc(150) - acc(149)) + (acc(162) - acc(163))) / 2; naive == 0 {
			t.Fatal("the example must carry rounding noise to test anything")
		}
		res, _, err := experiments.CombineRetrains(opts, 3, retrains(opts, []int{150, 162},
			map[int][]int{0: {149, 163}, 1: {150, 162}, 2: {140, 152}}))
		if err != nil {
			t.Fatal(err)
		}
		if res.Value[0] != 0 || res.Value[1] != 0 || res.Spread[1] != 0 {
			t.Errorf("values %v, spreads %v: want exactly 0 for features 0 and 1", res.Value, res.Spread)
		}
		if res.Value[2] == 0 || res.Spread[2] != 0 {
			t.Errorf("feature 2 lost 10 rows with either seed: value %v spread %v", res.Value[2], res.Spread[2])
		}
	})
	net := plantedNet(t)
	for _, metric := range experiments.Metrics {
		t.Run("permutation of "+metric+": unused features", func(t *testing.T) {
			res := permutationWith(5, metric)(t, net, 300, 1)
			for _, f := range []int{cancelled, unused} {
				if res.Value[f] != 0 || res.Spread[f] != 0 {
					t.Errorf("feature %d: value %v spread %v, want exactly 0", f, res.Value[f], res.Spread[f])
				}
			}
		})
	}
	t.Run("permutation of accuracy counts rows", func(t *testing.T) {
		const repeats, rows = 5, 300
		res := permutationWith(repeats, "accuracy")(t, net, rows, 1)
		for f, v := range res.Value {
			lost := math.Round(v * repeats * rows)
			if lost/(repeats*rows) != v {
				t.Errorf("feature %d: value %v is not a number of rows over %d", f, v, repeats*rows)
			}
		}
	})
	for name, res := range map[string]experiments.Result{
		"perturb":  perturbWith(30, 10)(t, net, 300, 1),
		"gradient": gradientWith(50)(t, net, 300, 1),
	} {
		t.Run(name+": the unused feature", func(t *testing.T) {
			se := experiments.StandardErrors(res)
			if res.Value[unused] != 0 || res.Spread[unused] != 0 || se[unused] != 0 {
				t.Errorf("value %v spread %v se %v, want exactly 0", res.Value[unused], res.Spread[unused], se[unused])
			}
		})
	}
}
