package experiments

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// noisyPlanted is rows of standard-normal features for the planted model,
// labelled with its own prediction flipped for one row in five, so
// shuffling a feature both loses and gains rows.
func noisyPlanted(t *testing.T, rows int) (*nn.Net, *dataset.Dataset) {
	t.Helper()
	snap, err := snapshottest.Planted(snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	net, err := nn.New(snap)
	if err != nil {
		t.Fatal(err)
	}
	cols := net.Inputs()
	rng := rand.New(rand.NewPCG(5, 6))
	d := &dataset.Dataset{Rows: rows, Cols: cols, X: make([]float32, rows*cols), Classes: []string{"0", "1"}, SHA256: "noisy"}
	for i := range d.X {
		d.X[i] = float32(rng.NormFloat64())
	}
	y := net.Forward(d.X, rows)
	for _, p := range y {
		l := 0
		if p > 0.5 {
			l = 1
		}
		if rng.Float64() < 0.2 {
			l = 1 - l
		}
		d.Labels = append(d.Labels, l)
	}
	return net, d
}

// TestPermutationStandardErrorFromItsRows recomputes each stored standard
// error from the method's own shuffles, redrawn from the run's streams:
// for accuracy and log loss the larger of the shuffles' (repeatSE) and the
// rows' (the standard deviation over rows of each row's mean score drop,
// over sqrt(rows), on rows-1 degrees of freedom); for AUC the shuffles'.
func TestPermutationStandardErrorFromItsRows(t *testing.T) {
	const rows, repeats = 300, 3
	net, d := noisyPlanted(t, rows)
	cols := net.Inputs()
	// rowScore is a row's score as the metric's definition says: 1 for
	// the right class, 0 for a wrong one; the row's log loss, clipped.
	rowScore := map[string]func(p float32, l int) float64{
		"accuracy": func(p float32, l int) float64 {
			if (p > 0.5) == (l == 1) {
				return 1
			}
			return 0
		},
		"logloss": func(p float32, l int) float64 {
			q := float64(p)
			if l == 0 {
				q = 1 - q
			}
			return -math.Log(min(max(q, 1e-7), 1-1e-7))
		},
	}
	for _, metric := range Metrics {
		t.Run(metric, func(t *testing.T) {
			run := &Run{Net: net, Data: d, Seed: 9}
			res, err := Permutation(context.Background(), run, PermutationOptions{Repeats: repeats, Metric: metric})
			if err != nil {
				t.Fatal(err)
			}
			shuffleSE, shuffleDF := repeatSE(res.Value, res.Spread, repeats)
			se, df := res.Extra[SEKey], res.Extra[SEDFKey]
			score := rowScore[metric]
			base := net.Forward(d.X, rows)
			used := 0
			for f := range cols {
				wantSE, wantDF := shuffleSE[f], shuffleDF[f]
				if score != nil {
					drop := make([]float64, rows) // each row's mean drop, larger worse
					for rep := range repeats {
						perm := run.rng(uint64(f)<<32 | uint64(rep)).Perm(rows)
						x := slices.Clone(d.X)
						for i, j := range perm {
							x[i*cols+f] = d.X[j*cols+f]
						}
						y := net.Forward(x, rows)
						for i, l := range d.Labels {
							delta := score(base[i], l) - score(y[i], l)
							if metric == "logloss" {
								delta = -delta
							}
							drop[i] += delta / repeats
						}
					}
					_, sd := meanStd(drop)
					if r := sd / math.Sqrt(rows); r > wantSE {
						wantSE, wantDF = r, rows-1
						used++
					}
				}
				if math.Abs(se[f]-wantSE) > 1e-9*math.Max(wantSE, 1e-6) || df[f] != wantDF {
					t.Errorf("feature %d: se %v on %v degrees of freedom, want %v on %v (shuffles' %v)", f, se[f], df[f], wantSE, wantDF, shuffleSE[f])
				}
			}
			if score != nil && used == 0 {
				t.Errorf("the rows' standard error is larger for no feature; the test checks nothing of it")
			}
		})
	}
}

func TestOverRows(t *testing.T) {
	nan := math.NaN()
	se, df := overRows([]float64{0.01, 0.002, nan, 0}, []float64{16, 8, nan, 4}, []float64{0.005, 0.003, 0.004, 0}, []float64{299, 299, 299, 299})
	want, wantDF := []float64{0.01, 0.003, 0.004, 0}, []float64{16, 299, 299, 4}
	for i := range want {
		if !same(se[i], want[i]) || !same(df[i], wantDF[i]) {
			t.Fatalf("overRows = %v on %v; want the larger, %v on %v, and the rows' where the shuffles' is unknown", se, df, want, wantDF)
		}
	}
}
