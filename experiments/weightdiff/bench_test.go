package weightdiff_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tracker-ml/tracker/experiments/weightdiff"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// benchWidths is the reference network, as experiments/nn benchmarks it.
var benchWidths = []int{82, 500, 500, 500, 2}

// BenchmarkCompare compares two versions of the reference network: a
// shuffled copy with a tenth of noise, which matching settles at once, and
// two independent random networks, where every assignment is a near-tie
// and the assignment solver does the most work.
func BenchmarkCompare(b *testing.B) {
	a, err := snapshottest.RandomMLP(1, benchWidths, snapshot.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	other, err := snapshottest.RandomMLP(2, benchWidths, snapshot.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    *snapshot.Snapshot
	}{
		{"shuffled copy with noise", withNoise(b, permute(b, a, shuffle(a, 3)), 0.1, 4)},
		{"independent", other},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			sweeps := 0
			for b.Loop() {
				d, err := weightdiff.Compare(a, c.b)
				if err != nil {
					b.Fatal(err)
				}
				sweeps = d.Sweeps
			}
			b.ReportMetric(float64(sweeps), "sweeps")
		})
	}
}

// BenchmarkLayerCKA compares the three hidden layers of two versions of
// the reference network on 4,000 rows of uniform [-1, 1) features.
func BenchmarkLayerCKA(b *testing.B) {
	const rows = 4000
	a, err := snapshottest.RandomMLP(1, benchWidths, snapshot.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	other, err := snapshottest.RandomMLP(2, benchWidths, snapshot.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 0))
	x := make([]float32, rows*benchWidths[0])
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := weightdiff.LayerCKA(a, other, x, rows); err != nil {
			b.Fatal(err)
		}
	}
}
