package nn_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/npy"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// benchWidths is the reference network: 82 inputs, three relu layers of
// 500, a two-way softmax (543,502 weights).
var benchWidths = []int{82, 500, 500, 500, 2}

// benchRows is the batch BenchmarkForward runs per op.
const benchRows = 10_000

// dumpEnv names a directory to which the benchmarks write their model,
// inputs and outputs as .npy files, so bench/nn_numpy.py runs numpy on
// exactly the same weights and checks its answers against tracker's.
const dumpEnv = "TRACKER_BENCH_DUMP"

// BenchmarkForward runs 10,000 rows of 82 uniform [-1, 1) features through
// the reference network, one Forward call per op, and reports rows/s.
// bench/nn.sh compares it with numpy doing the same in float32.
func BenchmarkForward(b *testing.B) {
	snap, err := snapshottest.RandomMLP(1, benchWidths, snapshot.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	net, err := nn.New(snap)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 0))
	x := make([]float32, benchRows*net.Inputs())
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	if dir := os.Getenv(dumpEnv); dir != "" {
		dumpForward(b, dir, snap, net, x)
	}
	b.ReportAllocs()
	for b.Loop() {
		net.Forward(x, benchRows)
	}
	b.ReportMetric(float64(b.N)*benchRows/b.Elapsed().Seconds(), "rows/s")
}

// dumpForward writes kernel_I.npy and bias_I.npy for each Dense layer
// (I from 1), forward_x.npy and tracker's output forward_y.npy.
func dumpForward(b *testing.B, dir string, snap *snapshot.Snapshot, net *nn.Net, x []float32) {
	b.Helper()
	for i, l := range snap.Layers() {
		for _, t := range l.Weights {
			writeNPY(b, filepath.Join(dir, fmt.Sprintf("%s_%d.npy", t.Name, i+1)), t.Data, t.Shape...)
		}
	}
	writeNPY(b, filepath.Join(dir, "forward_x.npy"), x, benchRows, net.Inputs())
	writeNPY(b, filepath.Join(dir, "forward_y.npy"), net.Forward(x, benchRows), benchRows, net.Outputs())
}

// writeNPY writes an .npy file for bench/nn_numpy.py.
func writeNPY(b *testing.B, path string, data []float32, shape ...int) {
	b.Helper()
	if err := npy.Write(path, data, shape...); err != nil {
		b.Fatal(err)
	}
}
