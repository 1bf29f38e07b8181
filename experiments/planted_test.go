package experiments_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// Features of the planted model (see snapshottest.Planted).
const (
	cancelled = snapshottest.PlantedCancelled
	amplified = snapshottest.PlantedAmplified
	unused    = snapshottest.PlantedUnused
	planted   = snapshottest.PlantedInputs
)

func plantedModel(t testing.TB) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshottest.Planted(snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// plantedData is standard-normal features, labelled with the model's own
// prediction, so the model is the truth and permutation can score it.
func plantedData(t testing.TB, net *nn.Net, rows int) *dataset.Dataset {
	t.Helper()
	return plantedDataSeed(t, net, rows, 3)
}

// plantedDataSeed is plantedData's rows drawn from seed: another sample
// of the same distribution for another seed.
func plantedDataSeed(t testing.TB, net *nn.Net, rows int, seed uint64) *dataset.Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 4))
	d := &dataset.Dataset{Rows: rows, Cols: planted, X: make([]float32, rows*planted), Classes: []string{"0", "1"}, SHA256: "planted"}
	for i := range d.X {
		d.X[i] = float32(rng.NormFloat64())
	}
	y := net.Forward(d.X, rows)
	for _, p := range y {
		l := 0
		if p > 0.5 {
			l = 1
		}
		d.Labels = append(d.Labels, l)
	}
	return d
}

func TestPlantedTruth(t *testing.T) {
	snap := plantedModel(t)
	net, err := nn.New(snap)
	if err != nil {
		t.Fatal(err)
	}
	data := plantedData(t, net, 1000)
	ctx := context.Background()
	run := func() *experiments.Run { return &experiments.Run{Net: net, Data: data, Output: 0, Seed: 7} }

	ws := experiments.WeightSum(snap)
	if ws.Rank[cancelled] != 1 || ws.Rank[amplified] != planted-1 || ws.Value[unused] != 0 {
		t.Fatalf("weight-sum ranks %v, values %v: want the cancelled feature first and the amplified one second to last", ws.Rank, ws.Value)
	}

	behavioural := map[string]func() (experiments.Result, error){
		"perturb": func() (experiments.Result, error) {
			return experiments.Perturb(ctx, run(), experiments.PerturbOptions{Pivots: 50, Samples: 40, Noise: experiments.DefaultNoise})
		},
		"permutation": func() (experiments.Result, error) {
			return experiments.Permutation(ctx, run(), experiments.PermutationOptions{Repeats: 3, Metric: "accuracy"})
		},
		"permutation-logloss": func() (experiments.Result, error) {
			return experiments.Permutation(ctx, run(), experiments.PermutationOptions{Repeats: 3, Metric: "logloss"})
		},
		"gradient": func() (experiments.Result, error) {
			return experiments.Gradient(ctx, run(), experiments.GradientOptions{Baseline: "mean", Steps: 32, Rows: 200})
		},
	}
	for name, method := range behavioural {
		t.Run(name, func(t *testing.T) {
			res, err := method()
			if err != nil {
				t.Fatal(err)
			}
			peak := res.Value[amplified]
			if res.Rank[amplified] != 1 {
				t.Errorf("amplified feature has rank %d (values %v), want 1", res.Rank[amplified], res.Value)
			}
			for _, f := range []int{cancelled, unused} {
				if math.Abs(res.Value[f]) > 1e-6*peak {
					t.Errorf("feature %d has value %g, want no effect (the top feature has %g)", f, res.Value[f], peak)
				}
			}
			dis := experiments.Disagreements(ws, res)
			found := map[int]experiments.Disagreement{}
			for _, d := range dis {
				found[d.Feature] = d
			}
			if d, ok := found[cancelled]; !ok || !d.NoEffect {
				t.Errorf("no no-effect warning for the cancelled feature: %+v", dis)
			}
			if d, ok := found[amplified]; !ok || !d.Underweighed {
				t.Errorf("no underweighed warning for the amplified feature: %+v", dis)
			}
			if len(dis) != 2 {
				t.Errorf("got %d warnings, want exactly the two planted ones: %+v", len(dis), dis)
			}
		})
	}

	// Olden's signed product sees the cancellation too (it is linear), but
	// Garson, like weight-sum, counts feature 0's large weights.
	olden := experiments.Olden(snap)[0]
	if olden.Value[cancelled] != 0 || olden.Rank[amplified] != 1 {
		t.Errorf("olden: values %v, want 0 for the cancelled feature and the amplified one first", olden.Value)
	}
	garson := experiments.Garson(snap)
	if garson.Rank[cancelled] != 1 {
		t.Errorf("garson: ranks %v, want the cancelled feature first, as Garson's formula does", garson.Rank)
	}
}

// plantedLikeData is rows x cols standard-normal features with a label per
// row from the net's prediction.
func plantedLikeData(net *nn.Net, rows, cols int) *dataset.Dataset {
	rng := rand.New(rand.NewPCG(11, uint64(rows)))
	d := &dataset.Dataset{Rows: rows, Cols: cols, X: make([]float32, rows*cols), Classes: []string{"0", "1"}, SHA256: "synthetic"}
	for i := range d.X {
		d.X[i] = float32(rng.NormFloat64())
	}
	d.Labels = make([]int, rows)
	if cols == net.Inputs() {
		y := net.Forward(d.X, rows)
		outs := net.Outputs()
		for i := range rows {
			if outs == 1 && y[i] > 0.5 || outs > 1 && y[i*outs+1] > y[i*outs] {
				d.Labels[i] = 1
			}
		}
	}
	return d
}

// method runs one sampling method on the planted model with a seed.
type method func(t testing.TB, net *nn.Net, rows int, seed uint64) experiments.Result

func perturbWith(pivots, samples int) method {
	return func(t testing.TB, net *nn.Net, rows int, seed uint64) experiments.Result {
		t.Helper()
		res, err := experiments.Perturb(context.Background(), &experiments.Run{Net: net, Data: plantedData(t, net, rows), Seed: seed},
			experiments.PerturbOptions{Pivots: pivots, Samples: samples, Noise: experiments.DefaultNoise})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
}

func gradientWith(explained int) method {
	return func(t testing.TB, net *nn.Net, rows int, seed uint64) experiments.Result {
		t.Helper()
		res, err := experiments.Gradient(context.Background(), &experiments.Run{Net: net, Data: plantedData(t, net, rows), Seed: seed},
			experiments.GradientOptions{Baseline: "mean", Steps: 8, Rows: explained})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
}

func permutationWith(repeats int, metric string) method {
	return func(t testing.TB, net *nn.Net, rows int, seed uint64) experiments.Result {
		t.Helper()
		res, err := experiments.Permutation(context.Background(), &experiments.Run{Net: net, Data: plantedData(t, net, rows), Seed: seed},
			experiments.PermutationOptions{Repeats: repeats, Metric: metric})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
}

func plantedNet(t testing.TB) *nn.Net {
	t.Helper()
	net, err := nn.New(plantedModel(t))
	if err != nil {
		t.Fatal(err)
	}
	return net
}
