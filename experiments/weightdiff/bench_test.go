package weightdiff_test

import (
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
