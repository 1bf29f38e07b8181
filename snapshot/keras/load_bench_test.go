package keras_test

import (
	"testing"

	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// BenchmarkLoadH5 reads one NAME_structure.json + NAME_weights.h5 pair, as
// `tracker ingest` does for each PATH before it opens the store: with
// BenchmarkIngest in package tracker it splits the end-to-end ingest time
// between reading HDF5 and writing the store. The files are written once
// with keras.Export and stay in the page cache, as they are just after
// training. SetBytes is the raw float32 bytes, so MB/s is weights read.
func BenchmarkLoadH5(b *testing.B) {
	for _, size := range []struct {
		name   string
		widths []int
	}{
		{"8x12x8x1", []int{8, 12, 8, 1}},
		{"82x500x3x2", []int{82, 500, 500, 500, 2}}, // 543,502 weights
	} {
		b.Run(size.name, func(b *testing.B) {
			orig, err := snapshottest.RandomMLP(1, size.widths, snapshot.Meta{Format: "keras2-json+weights-h5", KerasVersion: "2.2.4", Backend: "tensorflow"})
			if err != nil {
				b.Fatal(err)
			}
			structure, weights, err := keras.Export(orig, b.TempDir(), "0_10.1")
			if err != nil {
				b.Fatal(err)
			}
			files := keras.Files{Structure: structure, Weights: weights}
			b.SetBytes(4 * int64(orig.Params()))
			b.ReportAllocs()
			for b.Loop() {
				snap, err := keras.Load(files)
				if err != nil {
					b.Fatal(err)
				}
				if snap.Hash() != orig.Hash() {
					b.Fatalf("loaded hash %s, exported %s", snap.ShortHash(), orig.ShortHash())
				}
			}
		})
	}
}
