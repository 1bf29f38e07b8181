package profile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tracker-ml/tracker/experiments/dataset"
)

// BenchmarkAdd is the hot path of a profile: one row of 82 features
// added, under ExactCap (values kept) and past it (sketched).
func BenchmarkAdd(b *testing.B) {
	const cols = 82
	r := rand.New(rand.NewPCG(1, 1))
	rows := make([][]float32, 4096)
	for i := range rows {
		rows[i] = make([]float32, cols)
		for j := range rows[i] {
			rows[i][j] = float32(r.NormFloat64())
		}
	}
	for _, tc := range []struct {
		name   string
		warm   int
		binned bool
	}{{"exact", 0, false}, {"sketched", ExactCap, false}, {"sketched,binned", ExactCap, true}} {
		b.Run(tc.name, func(b *testing.B) {
			var bins [][]float32
			if tc.binned {
				bins = make([][]float32, cols)
				for j := range bins {
					bins[j] = []float32{-1.28, -0.84, -0.52, -0.25, 0, 0.25, 0.52, 0.84, 1.28}
				}
			}
			bl, _ := New(Config{Cols: cols, Bins: bins, Label: true})
			for i := range tc.warm {
				bl.Add(rows[i%len(rows)], "1")
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				bl.Add(rows[i%len(rows)], "1")
				i++
				if tc.warm == 0 && i == ExactCap {
					b.StopTimer()
					bl, _ = New(Config{Cols: cols, Bins: bins, Label: true})
					i = 0
					b.StartTimer()
				}
			}
		})
	}
}

// BenchmarkFromFile is the whole streaming profile of a CSV by size.
func BenchmarkFromFile(b *testing.B) {
	for _, rows := range []int{5000, 50000} {
		path := writeCSV(b, rows, 82, 3)
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := FromFile(path, dataset.Options{Label: "y", Drop: []string{"id"}}, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
