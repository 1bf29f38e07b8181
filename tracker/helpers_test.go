package tracker_test

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

// small is the architecture of most test models: 4 inputs, 6 hidden units,
// 3 outputs, so 4 tensors and 51 weights.
var small = []int{4, 6, 3}

// fixedNow is the clock of every test store.
var fixedNow = time.Date(2019, 1, 20, 12, 0, 0, 0, time.UTC)

// week returns the Monday i weeks after 2019-01-14.
func week(i int) string {
	return time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i).Format("2006-01-02")
}

// storePath is a fresh, not yet existing store file in a temporary directory.
func storePath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "tracker.db")
}

// openStore opens (creating if need be) the store at path with a fixed clock
// and a short lock timeout, and closes it at cleanup.
func openStore(tb testing.TB, path string, opts tracker.Options) *tracker.Store {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	s, err := tracker.Open(path, opts)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// newStore creates an empty store and returns it with its path.
func newStore(tb testing.TB) (*tracker.Store, string) {
	tb.Helper()
	path := storePath(tb)
	return openStore(tb, path, tracker.Options{}), path
}

// model builds the reproducible small MLP number seed.
func model(tb testing.TB, seed uint64, widths []int) *snapshot.Snapshot {
	tb.Helper()
	snap, err := snapshottest.RandomMLP(seed, widths, snapshot.Meta{
		Format: "keras2-json+weights-h5", KerasVersion: "2.2.4", Backend: "tensorflow",
		Sources: []snapshot.Source{{Role: "weights", Path: "/models/Model/20190114/0_10.1_weights.h5", SHA256: "ab", Size: 1}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return snap
}

// weightSum is the weight-sum experiment `tracker ingest` records with a version.
func weightSum(snap *snapshot.Snapshot) tracker.Experiment {
	ws := experiments.WeightSum(snap)
	return tracker.Experiment{
		Kind: ws.Kind, Params: ws.Params, ToolVersion: "test", CreatedAt: fixedNow, Took: 1500 * time.Microsecond,
		Value: ws.Value, Spread: ws.Spread, Rank: ws.Rank,
	}
}

// request is an ingest of snap as model's version for week, with its weight-sum.
func request(name, week string, snap *snapshot.Snapshot) tracker.IngestRequest {
	return tracker.IngestRequest{Model: name, Week: week, Snapshot: snap, Experiments: []tracker.Experiment{weightSum(snap)}}
}

// mustIngest ingests reqs as one batch and fails the test on error.
func mustIngest(tb testing.TB, s *tracker.Store, reqs ...tracker.IngestRequest) []tracker.IngestResult {
	tb.Helper()
	res, err := s.Ingest(reqs)
	if err != nil {
		tb.Fatalf("ingest: %v", err)
	}
	if len(res) != len(reqs) {
		tb.Fatalf("ingest of %d requests returned %d results", len(reqs), len(res))
	}
	return res
}

// fileBytes reads the whole file at path.
func fileBytes(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// requireBytes fails unless the file at path still holds exactly want
// (bbolt's requireDBNoChange).
func requireBytes(tb testing.TB, path string, want []byte) {
	tb.Helper()
	got := fileBytes(tb, path)
	if bytes.Equal(got, want) {
		return
	}
	first := 0
	for first < min(len(got), len(want)) && got[first] == want[first] {
		first++
	}
	tb.Errorf("%s changed: %d bytes, was %d; first difference at offset %d (page %d)", path, len(got), len(want), first, first/os.Getpagesize())
}

// rawUpdate runs fn in a write transaction on the bbolt file at path, which
// no store may hold open.
func rawUpdate(tb testing.TB, path string, fn func(tx *bolt.Tx) error) {
	tb.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		tb.Fatal(err)
	}
}

// rawView runs fn in a read transaction on the bbolt file at path.
func rawView(tb testing.TB, path string, fn func(tx *bolt.Tx) error) {
	tb.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := db.View(fn); err != nil {
		tb.Fatal(err)
	}
}

// blobKeys lists the keys of the blob buckets under the top-level blobs
// bucket, and fails if any entry is not a bucket holding exactly one f32le
// value whose SHA-256 is its key.
func blobKeys(tb testing.TB, path string) [][]byte {
	tb.Helper()
	var keys [][]byte
	rawView(tb, path, func(tx *bolt.Tx) error {
		blobs := tx.Bucket([]byte("blobs"))
		if blobs == nil {
			tb.Fatal("no blobs bucket")
		}
		return blobs.ForEach(func(k, v []byte) error {
			if v != nil {
				tb.Errorf("blobs/%x is a plain value, want a bucket", k)
				return nil
			}
			keys = append(keys, bytes.Clone(k))
			n := 0
			_ = blobs.Bucket(k).ForEach(func(kk, vv []byte) error {
				n++
				if string(kk) != "f32le" {
					tb.Errorf("blob %x holds key %q, want only f32le", k[:6], kk)
				}
				if sum := sha256Sum(vv); !bytes.Equal(sum, k) {
					tb.Errorf("blob %x holds bytes hashing to %x", k[:6], sum[:6])
				}
				return nil
			})
			if n != 1 {
				tb.Errorf("blob %x holds %d keys, want 1", k[:6], n)
			}
			return nil
		})
	})
	return keys
}

// requireClean fails unless Verify finds nothing wrong with s.
func requireClean(tb testing.TB, s *tracker.Store) tracker.VerifyReport {
	tb.Helper()
	r, err := s.Verify()
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	for _, p := range r.Problems {
		tb.Errorf("verify: %s", p)
	}
	return r
}

func sha256Sum(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}
