package experiments_test

import (
	"cmp"
	"context"
	"math"
	"slices"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/nn"
)

// live are the planted model's features with an effect.
var live = []int{amplified, 3, 4, 5}

// TestStandardErrorsMatchTheSpreadOfReruns: a standard error of perturb
// or gradient says how much the value would move if the method drew its
// samples again, so over reruns with other seeds on the same data, the
// values' standard deviation must match the stored standard errors (their
// root mean square), for each way of sampling. Permutation's covers the
// rows too (TestPermutationStandardErrorMatchesOtherRows).
func TestStandardErrorsMatchTheSpreadOfReruns(t *testing.T) {
	net := plantedNet(t)
	const reruns = 40
	for _, c := range []struct {
		name string
		rows int
		run  method
	}{
		{"perturb, pivots a sample of the rows", 2000, perturbWith(50, 20)},
		{"perturb, every row a pivot: the noise copies", 100, perturbWith(100, 5)},
		{"perturb, half the rows as pivots", 100, perturbWith(50, 5)},
		{"gradient, rows a sample", 2000, gradientWith(100)},
		{"gradient, most of the rows", 150, gradientWith(100)},
	} {
		t.Run(c.name, func(t *testing.T) {
			values := make([][]float64, planted)
			meanVar := make([]float64, planted)
			for s := range reruns {
				res := c.run(t, net, c.rows, uint64(100+s))
				se := experiments.StandardErrors(res)
				for f := range planted {
					values[f] = append(values[f], res.Value[f])
					meanVar[f] += se[f] * se[f] / reruns
				}
			}
			for _, f := range live {
				sd := stdDev(values[f])
				// The standard deviation of 40 values is known to about
				// 1/sqrt(2·39) = 11%.
				if ratio := math.Sqrt(meanVar[f]) / sd; ratio < 0.7 || ratio > 1.4 {
					t.Errorf("feature %d: standard error %.3g, but the values of %d reruns spread by %.3g (ratio %.2f)", f, math.Sqrt(meanVar[f]), reruns, sd, ratio)
				}
			}
		})
	}
}

// TestPermutationStandardErrorMatchesOtherRows: permutation's standard
// error of accuracy or log loss says how much the value would move on
// another sample of rows from the same distribution, shuffled again: over
// 40 such samples the values' standard deviation must match the stored
// standard errors (their root mean square). Reruns with other shuffles on
// the same rows move it less, by the shuffles' part alone, so there the
// standard error is at least their spread. A standard error of the
// shuffles alone fails the first: the rows spread the value about twice
// as much.
func TestPermutationStandardErrorMatchesOtherRows(t *testing.T) {
	net := plantedNet(t)
	const reruns, rows = 40, 500
	for _, metric := range []string{"accuracy", "logloss"} {
		t.Run(metric, func(t *testing.T) {
			for _, c := range []struct {
				name     string
				data     func(s uint64) uint64 // the data's seed for rerun s
				min, max float64               // of the ratio standard error / spread
			}{
				// 40 values' standard deviation is known to about 11%.
				{"other rows, other shuffles: the standard error is their spread", func(s uint64) uint64 { return 1000 + s }, 0.7, 1.4},
				{"the same rows, other shuffles: the standard error is at least their spread", func(uint64) uint64 { return 3 }, 0.85, math.Inf(1)},
			} {
				t.Run(c.name, func(t *testing.T) {
					values := make([][]float64, planted)
					meanVar := make([]float64, planted)
					for s := range uint64(reruns) {
						res, err := experiments.Permutation(context.Background(), &experiments.Run{Net: net, Data: plantedDataSeed(t, net, rows, c.data(s)), Seed: 100 + s},
							experiments.PermutationOptions{Repeats: 3, Metric: metric})
						if err != nil {
							t.Fatal(err)
						}
						se := experiments.StandardErrors(res)
						for f := range planted {
							values[f] = append(values[f], res.Value[f])
							meanVar[f] += se[f] * se[f] / reruns
						}
					}
					for _, f := range live {
						sd := stdDev(values[f])
						if ratio := math.Sqrt(meanVar[f]) / sd; ratio < c.min || ratio > c.max {
							t.Errorf("feature %d: standard error %.3g, values of %d reruns spread by %.3g (ratio %.2f, want %g to %g)", f, math.Sqrt(meanVar[f]), reruns, sd, ratio, c.min, c.max)
						}
					}
				})
			}
		})
	}
}

func stdDev(xs []float64) float64 {
	var m, ss float64
	for _, x := range xs {
		m += x / float64(len(xs))
	}
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}

// TestStandardErrorShrinksWithSamples: four times the pivots, rows or
// repeats halve the standard error.
func TestStandardErrorShrinksWithSamples(t *testing.T) {
	net := plantedNet(t)
	for _, c := range []struct {
		name       string
		few, many  method
		rows, runs int
	}{
		{"perturb, 25 and 100 pivots of 4000 rows", perturbWith(25, 20), perturbWith(100, 20), 4000, 3},
		{"gradient, 50 and 200 rows of 4000", gradientWith(50), gradientWith(200), 4000, 3},
		// The rows' standard error: a quarter of the rows, not of the
		// shuffles (those move it little once each row's drop is a mean
		// over them).
		{"permutation, 500 and 2000 rows", permutationWith(4, "accuracy"), func(t testing.TB, net *nn.Net, rows int, seed uint64) experiments.Result {
			return permutationWith(4, "accuracy")(t, net, 4*rows, seed)
		}, 500, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			mean := func(m method) float64 {
				var sum float64
				for s := range c.runs {
					se := experiments.StandardErrors(m(t, net, c.rows, uint64(10+s)))
					for _, f := range live {
						sum += se[f]
					}
				}
				return sum
			}
			if ratio := mean(c.few) / mean(c.many); ratio < 1.5 || ratio > 2.7 {
				t.Errorf("standard error with a quarter of the samples is %.2f times larger, want about 2", ratio)
			}
		})
	}
}

// TestStandardErrorsFromTheMethodsOwnNumbers recomputes each stored
// standard error from the spread over the method's samples.
func TestStandardErrorsFromTheMethodsOwnNumbers(t *testing.T) {
	net := plantedNet(t)
	for _, c := range []struct {
		name string
		res  experiments.Result
		want func(r experiments.Result, f int) (se, df float64)
	}{
		{"gradient of 100 rows of 400: sd/sqrt(n), corrected for the share explained",
			gradientWith(100)(t, net, 400, 1),
			func(r experiments.Result, f int) (float64, float64) { return r.Spread[f] * math.Sqrt(0.75/100), 99 }},
		{"gradient of every row: no sampling error",
			gradientWith(0)(t, net, 400, 1),
			func(r experiments.Result, f int) (float64, float64) { return 0, 399 }},
		{"perturb with one copy per pivot of many rows: sd over pivots/sqrt(pivots)",
			perturbWith(40, 1)(t, net, 4000, 1),
			func(r experiments.Result, f int) (float64, float64) { return r.Spread[f] / math.Sqrt(40), 39 }},
		{"permutation of AUC: sd over shuffles/sqrt(R), or the pool of the features just below",
			permutationWith(3, "auc")(t, net, 300, 1),
			func(r experiments.Result, f int) (float64, float64) {
				return repeatFloor(r.Value, r.Spread, f, 3)
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			se, df := c.res.Extra[experiments.SEKey], c.res.Extra[experiments.SEDFKey]
			if len(se) != planted || len(df) != planted {
				t.Fatalf("stored %d standard errors and %d degrees of freedom for %d features", len(se), len(df), planted)
			}
			for f := range planted {
				wantSE, wantDF := c.want(c.res, f)
				if math.Abs(se[f]-wantSE) > 1e-12*math.Max(1, wantSE) || df[f] != wantDF {
					t.Errorf("feature %d: se %v with %v degrees of freedom, want %v with %v", f, se[f], df[f], wantSE, wantDF)
				}
			}
		})
	}
}

// TestPermutationStandardErrorIsAtLeastTheShufflesOne: for accuracy and
// log loss the stored standard error is the larger of the shuffles' (sd
// over shuffles/sqrt(R) or the pool below) and the rows', which has
// rows-1 degrees of freedom (TestPermutationStandardErrorFromItsRows in
// the package recomputes the rows' own).
func TestPermutationStandardErrorIsAtLeastTheShufflesOne(t *testing.T) {
	net := plantedNet(t)
	const rows = 300
	for _, metric := range []string{"accuracy", "logloss"} {
		t.Run(metric, func(t *testing.T) {
			r := permutationWith(3, metric)(t, net, rows, 1)
			se, df := r.Extra[experiments.SEKey], r.Extra[experiments.SEDFKey]
			larger := 0
			for f := range planted {
				floor, floorDF := repeatFloor(r.Value, r.Spread, f, 3)
				switch {
				case se[f] < floor*(1-1e-12):
					t.Errorf("feature %d: se %v under the shuffles' %v", f, se[f], floor)
				case se[f] > floor*(1+1e-12):
					larger++
					if df[f] != rows-1 {
						t.Errorf("feature %d: the rows' se %v on %v degrees of freedom, want %d", f, se[f], df[f], rows-1)
					}
				case df[f] != floorDF:
					t.Errorf("feature %d: the shuffles' se %v on %v degrees of freedom, want %v", f, se[f], df[f], floorDF)
				}
			}
			if larger == 0 {
				t.Errorf("the rows' standard error is larger for no feature: %v", se)
			}
		})
	}
}

// repeatFloor is a repeated method's standard error as METHODS.md states
// it: sd/sqrt(k) with k-1 degrees of freedom, unless the mean variance of
// the up to 8 features just below in |value| (or equal) is larger.
func repeatFloor(value, sd []float64, f, k int) (se, df float64) {
	idx := make([]int, len(value))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(math.Abs(value[a]), math.Abs(value[b])) })
	var below []int // up to 8 features nearest below f, ties included
	for j := len(idx) - 1; j >= 0 && len(below) < 8; j-- {
		if g := idx[j]; g != f && math.Abs(value[g]) <= math.Abs(value[f]) {
			below = append(below, g)
		}
	}
	v, d := sd[f]*sd[f], float64(k-1)
	if len(below) > 0 {
		var pool float64
		for _, g := range below {
			pool += sd[g] * sd[g] / float64(len(below))
		}
		if pool > v {
			v, d = pool, float64(len(below)*(k-1))
		}
	}
	return math.Sqrt(v / float64(k)), d
}

func TestDropRetrainStandardErrors(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name     string
		opts     experiments.DropRetrainOptions
		baseline []int
		dropped  map[int][]int
		wantSE   []float64
		wantDF   []float64
	}{
		{"sd of the paired differences over sqrt(seeds)",
			experiments.DropRetrainOptions{Seeds: 4, Metric: "accuracy"},
			[]int{160, 150, 170, 160},
			// differences in rows: feature 0 {20, 10, 30, 20}, feature 1
			// {4, 6, 2, 4}, feature 2 {1, -1, 1, -1}: each spreads more
			// than the features below it, so no floor applies.
			map[int][]int{0: {140, 140, 140, 140}, 1: {156, 144, 168, 156}, 2: {159, 151, 169, 161}},
			[]float64{
				math.Sqrt(200.0/3) / 200 / 2, // sd 8.165 rows
				math.Sqrt(8.0/3) / 200 / 2,   // sd 1.633 rows
				math.Sqrt(4.0/3) / 200 / 2,   // sd 1.155 rows
			},
			[]float64{3, 3, 3}},
		{"a feature that spreads less than one of equal size below takes its spread",
			experiments.DropRetrainOptions{Seeds: 4, Metric: "accuracy"},
			[]int{160, 150, 170, 160},
			// differences in rows: feature 0 {0, 2, -2, 0} and feature 1
			// {1, -1, 1, -1} both have mean 0; feature 2 {20, 10, 30, 20}.
			map[int][]int{0: {160, 148, 172, 160}, 1: {159, 151, 169, 161}, 2: {140, 140, 140, 140}},
			[]float64{math.Sqrt(8.0/3) / 200 / 2, math.Sqrt(8.0/3) / 200 / 2, math.Sqrt(200.0/3) / 200 / 2},
			[]float64{3, 3, 3}},
		{"one seed: unknown", experiments.DropRetrainOptions{Seeds: 1, Metric: "accuracy"},
			[]int{160}, map[int][]int{0: {140}, 1: {161}, 2: {160}},
			[]float64{nan, nan, nan}, []float64{nan, nan, nan}},
		{"features not measured: unknown", experiments.DropRetrainOptions{Seeds: 2, Metric: "accuracy", Features: []int{1}},
			[]int{160, 150}, map[int][]int{1: {150, 150}},
			[]float64{nan, 5.0 / 200, nan}, []float64{nan, 1, nan}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, _, err := experiments.CombineRetrains(c.opts, 3, retrains(c.opts, c.baseline, c.dropped))
			if err != nil {
				t.Fatal(err)
			}
			se, df := res.Extra[experiments.SEKey], res.Extra[experiments.SEDFKey]
			for f := range 3 {
				if !sameOrNaN(se[f], c.wantSE[f]) || !sameOrNaN(df[f], c.wantDF[f]) {
					t.Fatalf("se %v with degrees of freedom %v, want %v with %v", se, df, c.wantSE, c.wantDF)
				}
			}
			if got := experiments.StandardErrors(res); !slices.EqualFunc(got, c.wantSE, sameOrNaN) {
				t.Errorf("StandardErrors = %v, want the stored %v", got, c.wantSE)
			}
		})
	}
}

func sameOrNaN(got, want float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

func TestOneRepeatHasNoStandardError(t *testing.T) {
	net := plantedNet(t)
	for name, res := range map[string]experiments.Result{
		"permutation of AUC with one shuffle":           permutationWith(1, "auc")(t, net, 200, 1),
		"perturb with one copy of every row as a pivot": perturbWith(200, 1)(t, net, 200, 1),
	} {
		t.Run(name, func(t *testing.T) {
			se, df := res.Extra[experiments.SEKey], res.Extra[experiments.SEDFKey]
			if len(se) != planted || len(df) != planted {
				t.Fatalf("stored %d standard errors and %d degrees of freedom for %d features", len(se), len(df), planted)
			}
			for f := range planted {
				if !math.IsNaN(se[f]) || !math.IsNaN(df[f]) {
					t.Errorf("feature %d: se %v with %v degrees of freedom, want NaN (unknown)", f, se[f], df[f])
				}
			}
		})
	}
}

// TestOneShuffleHasTheRowsStandardError: one shuffle of accuracy or log
// loss still has a standard error, the rows': each row's drop holds its
// shuffle's noise, so their spread over rows bounds the value's. A
// feature no shuffle moves has 0, one the model reads more than 0.
func TestOneShuffleHasTheRowsStandardError(t *testing.T) {
	net := plantedNet(t)
	const rows = 200
	for _, metric := range []string{"accuracy", "logloss"} {
		t.Run(metric, func(t *testing.T) {
			res := permutationWith(1, metric)(t, net, rows, 1)
			se, df := res.Extra[experiments.SEKey], res.Extra[experiments.SEDFKey]
			for f := range planted {
				want := se[f] > 0
				if f == cancelled || f == unused {
					want = se[f] == 0
				}
				if !want || df[f] != rows-1 {
					t.Errorf("feature %d (value %v): se %v on %v degrees of freedom; want %s on %d", f, res.Value[f], se[f], df[f],
						map[bool]string{true: "0", false: "more than 0"}[f == cancelled || f == unused], rows-1)
				}
			}
		})
	}
}
