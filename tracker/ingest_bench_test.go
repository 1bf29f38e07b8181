package tracker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

// minVersions is how many versions the store holds when its size is
// measured, however few iterations the benchmark ran: the size ratio of a
// store with two or three versions says little about a year of weeks.
const minVersions = 32

// BenchmarkIngest stores one new, distinct model version per iteration (fresh
// weights, next week) into one store on a real file with default options, so
// bbolt fsyncs every commit. Building the snapshots is not timed. Besides
// ns/op (the mean) it reports ms/version, the median over the iterations, and
// store-bytes/raw-bytes, the final file size over the float32 bytes of every
// version ingested (at least minVersions of them).
func BenchmarkIngest(b *testing.B) {
	for _, size := range []struct {
		name   string
		widths []int
	}{
		{"8x12x8x1", []int{8, 12, 8, 1}},
		{"82x500x3x2", []int{82, 500, 500, 500, 2}}, // 543,502 weights
	} {
		b.Run(size.name, func(b *testing.B) { benchIngest(b, size.widths) })
	}
}

func benchIngest(b *testing.B, widths []int) {
	path := filepath.Join(b.TempDir(), "tracker.db")
	store, err := tracker.Open(path, tracker.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()

	var (
		pool []tracker.IngestRequest // pool[i] is version i, built before it is timed
		took []time.Duration
		raw  int64
	)
	grow := func(n int) {
		for i := len(pool); i < n; i++ {
			pool = append(pool, ingestRequest(b, uint64(i), widths))
		}
	}
	ingest := func() time.Duration {
		i := len(took)
		req := pool[i]
		start := time.Now()
		res, err := store.Ingest([]tracker.IngestRequest{req})
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res[0].Unchanged || res[0].Version != uint64(i+1) {
			b.Fatalf("version %d: got %+v, want a new version", i+1, res[0])
		}
		raw += 4 * int64(req.Snapshot.Params())
		pool[i] = tracker.IngestRequest{} // let the weights go
		return d
	}

	grow(minVersions)
	b.ReportAllocs()
	for b.Loop() {
		if len(took) == len(pool) {
			b.StopTimer()
			grow(len(pool) + 16)
			b.StartTimer()
		}
		took = append(took, ingest())
	}
	// The timer is off now: top the store up so the size is measured over
	// enough versions.
	grow(minVersions)
	for n := len(took); n < minVersions; n++ {
		ingest()
		took = append(took, 0)
	}
	measured := took[:b.N]

	if err := store.Close(); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(measured)
	b.ReportMetric(float64(measured[len(measured)/2])/float64(time.Millisecond), "ms/version")
	b.ReportMetric(float64(info.Size())/float64(raw), "store-bytes/raw-bytes")
}

// ingestRequest is what `tracker ingest` hands the store for one version:
// the snapshot of version i, its week, and the weight-sum experiment.
func ingestRequest(tb testing.TB, i uint64, widths []int) tracker.IngestRequest {
	tb.Helper()
	snap, err := snapshottest.RandomMLP(i, widths, snapshot.Meta{
		Format: "keras2-json+weights-h5", KerasVersion: "2.2.4", Backend: "tensorflow",
		Sources: []snapshot.Source{
			{Role: "structure", Path: "/models/Model/20190114/0_10.1_structure.json", SHA256: fmt.Sprintf("%064x", i), Size: 2048},
			{Role: "weights", Path: "/models/Model/20190114/0_10.1_weights.h5", SHA256: fmt.Sprintf("%064x", i+1), Size: 2_200_000},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	week := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*int(i)).Format("2006-01-02")
	ws := experiments.WeightSum(snap)
	return tracker.IngestRequest{
		Model: "bench", Week: week, Snapshot: snap,
		Experiments: []tracker.Experiment{{
			Kind: ws.Kind, Params: ws.Params, ToolVersion: "bench", CreatedAt: time.Unix(1547424000, 0).UTC(),
			Value: ws.Value, Spread: ws.Spread, Rank: ws.Rank,
		}},
	}
}
