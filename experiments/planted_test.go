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
)

// Features of the planted model.
const (
	cancelled = 0 // large first-layer weights that cancel exactly downstream
	amplified = 1 // tiny first-layer weights, amplified later: the strongest true effect
	unused    = 2 // all-zero weights
	planted   = 6 // features in all
)

// plantedModel is 6 -> 4 tanh -> 1 sigmoid with hand-set weights where the
// weight-sum is wrong on purpose:
//   - feature 0 drives hidden units 0 and 1 with weight 10 each and nothing
//     else does, so they are always equal; the output weighs them +1 and -1,
//     so feature 0 has no effect at all;
//   - feature 1 reaches hidden unit 2 with weight 0.01, which the output
//     weighs 300: an effective weight of 3, the largest;
//   - feature 2 has zero weights everywhere;
//   - features 3, 4, 5 reach hidden unit 3 with weights 1, 0.5, 0.25.
func plantedModel(t testing.TB) *snapshot.Snapshot {
	t.Helper()
	k1 := make([]float32, planted*4)
	set := func(i, h int, w float32) { k1[i*4+h] = w }
	set(cancelled, 0, 10)
	set(cancelled, 1, 10)
	set(amplified, 2, 0.01)
	set(3, 3, 1)
	set(4, 3, 0.5)
	set(5, 3, 0.25)
	layers := []snapshot.Layer{
		{
			Spec: snapshot.Spec{Name: "hidden", Class: snapshot.ClassDense, Units: 4, Activation: "tanh", UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{planted, 4}, Data: k1},
				{Name: "bias", Shape: []int{4}, Data: []float32{0.3, 0.3, 0, 0}},
			},
		},
		{
			Spec: snapshot.Spec{Name: "out", Class: snapshot.ClassDense, Units: 1, Activation: "sigmoid", UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{4, 1}, Data: []float32{1, -1, 300, 1}},
				{Name: "bias", Shape: []int{1}, Data: []float32{0}},
			},
		},
	}
	s, err := snapshot.New(planted, layers, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// plantedData is standard-normal features, labelled with the model's own
// prediction, so the model is the truth and permutation can score it.
func plantedData(t testing.TB, net *nn.Net, rows int) *dataset.Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
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
