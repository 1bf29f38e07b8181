package experiments_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/npy"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// Perturb's benchmark settings: the pivot method's defaults on the
// reference network, so one op is 100*100*82 = 820,000 forward rows.
const (
	benchPivots  = 100
	benchSamples = 100
)

// BenchmarkPerturb runs the pivot method with 100 pivots, 100 samples and
// the default noise on the reference 82 -> 500x3 -> 2 network. The data has
// exactly benchPivots rows, so every row is a pivot and numpy, given the
// same rows, does the same work up to the noise draws. It reports ms/run
// and forward rows/s; bench/nn.sh compares them with numpy.
//
// With TRACKER_BENCH_DUMP=dir it first writes the weights (kernel_I.npy,
// bias_I.npy), the data (perturb_x.npy) and tracker's answer
// (perturb_value.npy, perturb_spread.npy, perturb_flip_rate.npy) there.
func BenchmarkPerturb(b *testing.B) {
	snap, err := snapshottest.RandomMLP(1, []int{82, 500, 500, 500, 2}, snapshot.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	net, err := nn.New(snap)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 0))
	d := &dataset.Dataset{Rows: benchPivots, Cols: net.Inputs(), X: make([]float32, benchPivots*net.Inputs()), SHA256: "x"}
	for i := range d.X {
		d.X[i] = 2*rng.Float32() - 1
	}
	run := &experiments.Run{Net: net, Data: d, Output: 1, Seed: 1}
	opts := experiments.PerturbOptions{Pivots: benchPivots, Samples: benchSamples, Noise: experiments.DefaultNoise}
	ctx := context.Background()
	if dir := os.Getenv("TRACKER_BENCH_DUMP"); dir != "" {
		res, err := experiments.Perturb(ctx, run, opts)
		if err != nil {
			b.Fatal(err)
		}
		for i, l := range snap.Layers() {
			for _, t := range l.Weights {
				writeNPY(b, filepath.Join(dir, fmt.Sprintf("%s_%d.npy", t.Name, i+1)), t.Data, t.Shape...)
			}
		}
		writeNPY(b, filepath.Join(dir, "perturb_x.npy"), d.X, d.Rows, d.Cols)
		for name, v := range map[string][]float64{"value": res.Value, "spread": res.Spread, "flip_rate": res.Extra["flip_rate"]} {
			f := make([]float32, len(v))
			for i := range v {
				f[i] = float32(v[i])
			}
			writeNPY(b, filepath.Join(dir, "perturb_"+name+".npy"), f, len(f))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := experiments.Perturb(ctx, run, opts); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(1000*sec/float64(b.N), "ms/run")
	b.ReportMetric(float64(b.N)*benchPivots*benchSamples*float64(net.Inputs())/sec, "rows/s")
}

// writeNPY writes an .npy file for bench/nn_numpy.py.
func writeNPY(b *testing.B, path string, data []float32, shape ...int) {
	b.Helper()
	if err := npy.Write(path, data, shape...); err != nil {
		b.Fatal(err)
	}
}
