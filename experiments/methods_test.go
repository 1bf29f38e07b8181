package experiments_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// denseNet builds a chain of Dense layers from kernels given as rows of
// (inputs x units) matrices, zero biases, tanh inside and sigmoid out.
func denseNet(t *testing.T, kernels ...[][]float32) *snapshot.Snapshot {
	t.Helper()
	var layers []snapshot.Layer
	for i, k := range kernels {
		in, units := len(k), len(k[0])
		var data []float32
		for _, row := range k {
			data = append(data, row...)
		}
		act := "tanh"
		if i == len(kernels)-1 {
			act = "sigmoid"
		}
		layers = append(layers, snapshot.Layer{
			Spec: snapshot.Spec{Name: "d" + string(rune('1'+i)), Class: snapshot.ClassDense, Units: units, Activation: act, UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{in, units}, Data: data},
				{Name: "bias", Shape: []int{units}, Data: make([]float32, units)},
			},
		})
	}
	s, err := snapshot.New(len(kernels[0]), layers, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGarsonMatchesNeuralNetTools checks the 2-2-1 network of
// NeuralNetTools' garson() examples (wts_in = c(13.12, 1.49, 0.16, -0.11,
// -0.19, -0.16, 0.56, -0.52, 0.81), struct = c(2, 2, 1): per hidden unit the
// bias comes first) against its R code worked by hand: each hidden unit's
// |w|·|v| divided by its row sum, summed per input, divided by the total.
func TestGarsonMatchesNeuralNetTools(t *testing.T) {
	s := denseNet(t, [][]float32{{1.49, -0.19}, {0.16, -0.16}}, [][]float32{{-0.52}, {0.81}})
	h1 := []float64{1.49 * 0.52 / (1.49*0.52 + 0.16*0.52), 0.16 * 0.52 / (1.49*0.52 + 0.16*0.52)}
	h2 := []float64{0.19 * 0.81 / (0.19*0.81 + 0.16*0.81), 0.16 * 0.81 / (0.19*0.81 + 0.16*0.81)}
	want := []float64{(h1[0] + h2[0]) / 2, (h1[1] + h2[1]) / 2} // 0.7229437, 0.2770563
	got := experiments.Garson(s)
	for i := range want {
		// The weights are float32, so agreement is to float32 precision.
		if math.Abs(got.Value[i]-want[i]) > 1e-6 {
			t.Errorf("input %d: got %.7f, want %.7f", i, got.Value[i], want[i])
		}
	}
	if math.Abs(got.Value[0]-0.7229437) > 1e-6 {
		t.Errorf("input 0: got %.7f, want 0.7229437", got.Value[0])
	}
}

func TestGarsonSumsToOne(t *testing.T) {
	for _, widths := range [][]int{{5, 3}, {8, 12, 8, 1}, {82, 50, 50, 2}} {
		s, err := snapshottest.RandomMLP(3, widths, snapshot.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, v := range experiments.Garson(s).Value {
			if v < 0 {
				t.Fatalf("%v: negative share %g", widths, v)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("%v: values sum to %.12f, want 1", widths, sum)
		}
	}
}

// TestOldenIsTheWeightProduct checks one entry of W1·W2·W3 by hand for each
// output, and that BatchNormalization enters as its scale.
func TestOldenIsTheWeightProduct(t *testing.T) {
	w1 := [][]float32{{1, 2}, {-3, 0.5}, {0, 4}}
	w2 := [][]float32{{1, -1}, {2, 0.25}}
	w3 := [][]float32{{0.5, 1}, {-2, 3}}
	s := denseNet(t, w1, w2, w3)
	res := experiments.Olden(s)
	if len(res) != 2 {
		t.Fatalf("got %d results, want one per output unit", len(res))
	}
	product := func(i, k int) float64 {
		var sum float64
		for a := range 2 {
			for b := range 2 {
				sum += float64(w1[i][a]) * float64(w2[a][b]) * float64(w3[b][k])
			}
		}
		return sum
	}
	for k, r := range res {
		if r.Params["output"] != []string{"0", "1"}[k] {
			t.Errorf("result %d has params %v", k, r.Params)
		}
		for i := range 3 {
			if math.Abs(r.Value[i]-product(i, k)) > 1e-9 {
				t.Errorf("output %d input %d: got %g, want %g", k, i, r.Value[i], product(i, k))
			}
		}
	}

	// A BatchNormalization with gamma 2 and variance 3 between the layers
	// multiplies each path by 2/sqrt(3+eps).
	layers := s.Layers()
	bn := snapshot.Layer{
		Spec: snapshot.Spec{Name: "bn", Class: snapshot.ClassBatchNormalization, Epsilon: 1e-3, Scale: true},
		Weights: []snapshot.Tensor{
			{Name: "gamma", Shape: []int{2}, Data: []float32{2, 2}},
			{Name: "moving_mean", Shape: []int{2}, Data: []float32{5, 5}},
			{Name: "moving_variance", Shape: []int{2}, Data: []float32{3, 3}},
		},
	}
	withBN, err := snapshot.New(3, []snapshot.Layer{layers[0], bn, layers[1], layers[2]}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	scale := 2 / math.Sqrt(3+1e-3)
	if got := experiments.Olden(withBN)[1].Value[1]; math.Abs(got-scale*product(1, 1)) > 1e-6 {
		t.Errorf("with BatchNormalization: got %g, want %g", got, scale*product(1, 1))
	}
}

func TestParseNoise(t *testing.T) {
	tests := []struct {
		spec string
		want experiments.Noise
		err  string
	}{
		{"uniform:50", experiments.Noise{Kind: "uniform", Amount: 50}, ""},
		{"normal:0.5", experiments.Noise{Kind: "normal", Amount: 0.5}, ""},
		{"std:1", experiments.Noise{Kind: "std", Amount: 1}, ""},
		{"std", experiments.Noise{}, "positive number"},
		{"std:-1", experiments.Noise{}, "positive number"},
		{"std:NaN", experiments.Noise{}, "positive number"},
		{"gauss:1", experiments.Noise{}, `unknown kind "gauss"`},
	}
	for _, tt := range tests {
		got, err := experiments.ParseNoise(tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseNoise(%q): got %v, want an error with %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want || got.String() != tt.spec {
			t.Errorf("ParseNoise(%q) = %+v (%q), %v", tt.spec, got, got.String(), err)
		}
	}
}

func TestPermutationAUCOfAPerfectRanker(t *testing.T) {
	// Output = sigmoid(10 x0): a perfect ranker of labels x0 > 0, so the
	// baseline AUC is 1 and shuffling x0 drops it by about a half.
	s := denseNet(t, [][]float32{{10}, {0}})
	net, err := nn.New(s)
	if err != nil {
		t.Fatal(err)
	}
	d := plantedLikeData(net, 400, 2)
	for i := range d.Rows {
		d.Labels[i] = 0
		if d.X[i*2] > 0 {
			d.Labels[i] = 1
		}
	}
	res, err := experiments.Permutation(context.Background(), &experiments.Run{Net: net, Data: d, Seed: 1}, experiments.PermutationOptions{Repeats: 20, Metric: "auc"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Value[0] < 0.4 || res.Value[0] > 0.6 || res.Value[1] != 0 {
		t.Errorf("AUC drops %v, want about 0.5 for x0 and 0 for x1", res.Value)
	}
}

// TestIntegratedGradientsCompleteness checks the defining property: a row's
// attributions add up to F(x) - F(baseline).
func TestIntegratedGradientsCompleteness(t *testing.T) {
	relu, err := snapshottest.RandomMLP(5, []int{6, 16, 16, 1}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	smooth := denseNet(t, [][]float32{{0.5, -1}, {1, 0.25}, {-0.75, 0.5}}, [][]float32{{2}, {-1.5}})
	for _, tt := range []struct {
		name string
		snap *snapshot.Snapshot
		tol  float64 // relative
	}{
		// The midpoint rule converges as 1/steps² on a smooth path, but only
		// as 1/steps across relu kinks.
		{"tanh", smooth, 1e-5},
		{"relu", relu, 1e-2},
	} {
		net, err := nn.New(tt.snap)
		if err != nil {
			t.Fatal(err)
		}
		d := plantedLikeData(net, 1, net.Inputs())
		res, err := experiments.Gradient(context.Background(), &experiments.Run{Net: net, Data: d}, experiments.GradientOptions{Baseline: "zero", Steps: 400})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, a := range res.Extra["mean_attribution"] {
			sum += a
		}
		want := float64(net.Forward(d.X, 1)[0] - net.Forward(make([]float32, net.Inputs()), 1)[0])
		if math.Abs(sum-want) > tt.tol*math.Abs(want) {
			t.Errorf("%s: attributions sum to %g, F(x)-F(0) = %g", tt.name, sum, want)
		}
	}
}

// TestSeedReproduces runs perturb twice with one seed and once with another.
func TestSeedReproduces(t *testing.T) {
	s, err := snapshottest.RandomMLP(9, []int{5, 8, 2}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	net, err := nn.New(s)
	if err != nil {
		t.Fatal(err)
	}
	d := plantedLikeData(net, 300, 5)
	opts := experiments.PerturbOptions{Pivots: 20, Samples: 10, Noise: experiments.Noise{Kind: "uniform", Amount: 50}}
	run := func(seed uint64) experiments.Result {
		res, err := experiments.Perturb(context.Background(), &experiments.Run{Net: net, Data: d, Output: 1, Seed: seed}, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run(1), run(1), run(2)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different results")
	}
	if reflect.DeepEqual(a.Value, c.Value) {
		t.Error("different seeds gave identical values")
	}
}

func TestCancelStopsARun(t *testing.T) {
	s, err := snapshottest.RandomMLP(9, []int{5, 8, 2}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	net, err := nn.New(s)
	if err != nil {
		t.Fatal(err)
	}
	d := plantedLikeData(net, 100, 5)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	run := &experiments.Run{Net: net, Data: d, Progress: func(done, total int) {
		calls++
		if done == 2 {
			cancel()
		}
	}}
	_, err = experiments.Perturb(ctx, run, experiments.PerturbOptions{Pivots: 10, Samples: 5, Noise: experiments.DefaultNoise})
	if !errors.Is(err, context.Canceled) || calls != 2 {
		t.Errorf("got %v after %d progress calls, want context.Canceled after 2", err, calls)
	}
}

func TestRunChecksShapes(t *testing.T) {
	s, err := snapshottest.RandomMLP(9, []int{5, 8, 2}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	net, err := nn.New(s)
	if err != nil {
		t.Fatal(err)
	}
	d := plantedLikeData(net, 10, 4)
	_, err = experiments.Perturb(context.Background(), &experiments.Run{Net: net, Data: d}, experiments.PerturbOptions{Pivots: 1, Samples: 1, Noise: experiments.DefaultNoise})
	if err == nil || !strings.Contains(err.Error(), "4 feature columns but the model has 5 inputs") {
		t.Errorf("got %v, want a column-count error", err)
	}
	d = plantedLikeData(net, 10, 5)
	_, err = experiments.Permutation(context.Background(), &experiments.Run{Net: net, Data: d, Output: 2}, experiments.PermutationOptions{Repeats: 1, Metric: "accuracy"})
	if err == nil || !strings.Contains(err.Error(), "outputs 0 to 1") {
		t.Errorf("got %v, want an output-range error", err)
	}
}
