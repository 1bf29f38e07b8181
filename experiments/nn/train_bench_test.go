package nn_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// Training benchmark: one epoch of the reference network on 50,000 rows in
// batches of 256 with Adam. bench/train.sh compares it with PyTorch doing
// the same on the CPU.
const (
	trainBenchRows  = 50_000
	trainBenchBatch = 256
)

// trainBenchData is 50,000 rows of 82 standard normal features whose class
// depends on a few of them, so the loss has something to learn.
func trainBenchData() nn.Labeled {
	cols := benchWidths[0]
	rng := rand.New(rand.NewPCG(4, 0))
	d := nn.Labeled{Rows: trainBenchRows, X: make([]float32, trainBenchRows*cols), Labels: make([]int, trainBenchRows)}
	for r := range trainBenchRows {
		x := d.X[r*cols : (r+1)*cols]
		for c := range x {
			x[c] = float32(rng.NormFloat64())
		}
		if x[0]+x[1]*x[2]-0.5*x[3] > 0 {
			d.Labels[r] = 1
		}
	}
	return d
}

// BenchmarkTrainEpoch reports one epoch's seconds as s/epoch and the
// training loss after it. With TRACKER_BENCH_DUMP set it writes the
// initial weights, data and its loss for bench/train_torch.py.
func BenchmarkTrainEpoch(b *testing.B) {
	arch := mlpB(b, 1, benchWidths)
	data := trainBenchData()
	opts := nn.TrainOptions{Epochs: 1, Batch: trainBenchBatch, Seed: 1, FromWeights: true}
	var last *nn.Trained
	for b.Loop() {
		res, err := nn.Train(context.Background(), arch, data, nn.Labeled{}, opts)
		if err != nil {
			b.Fatal(err)
		}
		last = res
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
	b.ReportMetric(last.Curve[0].Loss, "loss")
	if dir := os.Getenv(dumpEnv); dir != "" {
		for i, l := range arch.Layers() {
			for _, t := range l.Weights {
				writeNPY(b, filepath.Join(dir, fmt.Sprintf("train_%s_%d.npy", t.Name, i+1)), t.Data, t.Shape...)
			}
		}
		labels := make([]float32, data.Rows)
		for i, l := range data.Labels {
			labels[i] = float32(l)
		}
		writeNPY(b, filepath.Join(dir, "train_x.npy"), data.X, data.Rows, benchWidths[0])
		writeNPY(b, filepath.Join(dir, "train_labels.npy"), labels, data.Rows)
		writeNPY(b, filepath.Join(dir, "train_loss.npy"), []float32{float32(last.Curve[0].Loss)}, 1)
	}
}

func mlpB(b *testing.B, seed uint64, widths []int) *snapshot.Snapshot {
	b.Helper()
	s, err := snapshottest.RandomMLP(seed, widths, snapshot.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}
