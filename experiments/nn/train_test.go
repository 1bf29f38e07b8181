package nn_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// separable makes rows whose class is whether x0 + 2·x1 > 0; the other
// columns are noise.
func separable(seed uint64, rows, cols int) nn.Labeled {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := nn.Labeled{Rows: rows, X: make([]float32, rows*cols), Labels: make([]int, rows)}
	for r := range rows {
		for c := range cols {
			d.X[r*cols+c] = float32(rng.NormFloat64())
		}
		if d.X[r*cols]+2*d.X[r*cols+1] > 0 {
			d.Labels[r] = 1
		}
	}
	return d
}

func mlp(t *testing.T, seed uint64, widths []int, meta snapshot.Meta) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshottest.RandomMLP(seed, widths, meta)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func accuracy(t *testing.T, s *snapshot.Snapshot, d nn.Labeled) float64 {
	t.Helper()
	net, err := nn.New(s)
	if err != nil {
		t.Fatal(err)
	}
	y := net.Forward(d.X, d.Rows)
	outs := net.Outputs()
	right := 0
	for r, l := range d.Labels {
		pred := 0
		if outs == 1 {
			if y[r] > 0.5 {
				pred = 1
			}
		} else if y[r*outs+1] > y[r*outs] {
			pred = 1
		}
		if pred == l {
			right++
		}
	}
	return float64(right) / float64(d.Rows)
}

func TestTrainLearnsASeparableRule(t *testing.T) {
	for _, last := range []int{2, 1} { // softmax over two outputs, one sigmoid
		arch := mlp(t, 1, []int{6, 16, 16, last}, snapshot.Meta{})
		train, val := separable(1, 2000, 6), separable(2, 500, 6)
		before := accuracy(t, arch, val)
		res, err := nn.Train(context.Background(), arch, train, val, nn.TrainOptions{Epochs: 20, Batch: 32, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		after := accuracy(t, res.Snapshot, val)
		if after < 0.95 {
			t.Errorf("%d outputs: validation accuracy %.3f after training (%.3f before), want >= 0.95", last, after, before)
		}
		if first, final := res.Curve[0].Loss, res.Curve[len(res.Curve)-1].Loss; !(final < first/2) {
			t.Errorf("%d outputs: training loss went from %.4f to %.4f; want it at least halved", last, first, final)
		}
	}
}

func TestTrainIsDeterministicForASeed(t *testing.T) {
	arch := mlp(t, 1, []int{6, 32, 16, 2}, snapshot.Meta{})
	train, val := separable(1, 600, 6), separable(2, 200, 6)
	run := func(seed uint64) *nn.Trained {
		res, err := nn.Train(context.Background(), arch, train, val, nn.TrainOptions{Epochs: 3, Batch: 50, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, c := run(3), run(3), run(4)
	if a.Snapshot.Hash() != b.Snapshot.Hash() {
		t.Errorf("two runs with seed 3 gave different weights")
	}
	if a.Snapshot.Hash() == c.Snapshot.Hash() {
		t.Errorf("seeds 3 and 4 gave identical weights")
	}
	if fmt.Sprint(a.Curve) != fmt.Sprint(b.Curve) { // NaN scores compare unequal
		t.Errorf("two runs with seed 3 gave different curves: %v and %v", a.Curve, b.Curve)
	}
}

// TestTrainKeepsTheBestEpoch trains a wide net on few noisy rows so the
// validation loss turns up, and checks that the kept weights are the ones
// of the epoch with the lowest validation loss.
func TestTrainKeepsTheBestEpoch(t *testing.T) {
	arch := mlp(t, 1, []int{6, 64, 64, 2}, snapshot.Meta{})
	train, val := separable(1, 60, 6), separable(2, 300, 6)
	for i := range train.Labels[:15] { // label noise to overfit on
		train.Labels[i] = 1 - train.Labels[i]
	}
	res, err := nn.Train(context.Background(), arch, train, val, nn.TrainOptions{Epochs: 400, Batch: 10, LR: 0.01, Patience: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Curve) == 400 {
		t.Fatalf("early stopping never stopped in 400 epochs")
	}
	best := 0
	for i, e := range res.Curve {
		if e.ValLoss < res.Curve[best].ValLoss {
			best = i
		}
	}
	if res.Best != best || len(res.Curve) != best+6 {
		t.Errorf("kept epoch %d of %d; want the lowest validation loss, epoch %d, and 5 more epochs run", res.Best, len(res.Curve), best)
	}
	// The returned weights give the best epoch's validation loss.
	net, err := nn.New(res.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	y := net.Forward(val.X, val.Rows)
	var loss float64
	for r, l := range val.Labels {
		loss -= math.Log(max(float64(y[r*2+l]), 1e-7))
	}
	loss /= float64(val.Rows)
	if math.Abs(loss-res.Curve[best].ValLoss) > 1e-12 {
		t.Errorf("kept weights have validation loss %.9g; the best epoch had %.9g", loss, res.Curve[best].ValLoss)
	}
}

func TestTrainFromWeightsStartsWhereTheModelIs(t *testing.T) {
	arch := mlp(t, 1, []int{6, 16, 2}, snapshot.Meta{})
	train, val := separable(1, 1000, 6), separable(2, 300, 6)
	first, err := nn.Train(context.Background(), arch, train, val, nn.TrainOptions{Epochs: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tuned, err := nn.Train(context.Background(), first.Snapshot, train, val, nn.TrainOptions{Epochs: 1, Seed: 2, FromWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := nn.Train(context.Background(), first.Snapshot, train, val, nn.TrainOptions{Epochs: 1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !(tuned.Curve[0].Loss < fresh.Curve[0].Loss) {
		t.Errorf("one epoch from trained weights has loss %.4f, from fresh ones %.4f: fine-tuning did not start from the weights", tuned.Curve[0].Loss, fresh.Curve[0].Loss)
	}
}

func TestTrainRefusesWhatItCannotTrain(t *testing.T) {
	arch := mlp(t, 1, []int{6, 4, 3}, snapshot.Meta{}) // softmax over 3
	ok := separable(1, 10, 6)
	for name, c := range map[string]struct {
		arch *snapshot.Snapshot
		data nn.Labeled
		opts nn.TrainOptions
	}{
		"no epochs":                       {arch, ok, nn.TrainOptions{}},
		"wrong columns":                   {arch, separable(1, 10, 5), nn.TrainOptions{Epochs: 1}},
		"label too high":                  {arch, nn.Labeled{Rows: 1, X: make([]float32, 6), Labels: []int{3}}, nn.TrainOptions{Epochs: 1}},
		"no rows":                         {arch, nn.Labeled{}, nn.TrainOptions{Epochs: 1}},
		"dropped column outside the rows": {arch, separable(1, 10, 7).DropColumn(7), nn.TrainOptions{Epochs: 1}},
		"dropped column from rows of the network's width": {arch, separable(1, 10, 6).DropColumn(0), nn.TrainOptions{Epochs: 1}},
	} {
		if _, err := nn.Train(context.Background(), c.arch, c.data, nn.Labeled{}, c.opts); err == nil {
			t.Errorf("%s: trained without an error", name)
		}
	}
}
