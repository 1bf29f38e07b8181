package runs

import (
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

// fixedNow is the clock of every test store and run.
var fixedNow = time.Date(2019, 2, 4, 12, 0, 0, 0, time.UTC)

// inputs is the feature count of every test model: 4 -> 5 -> 1 sigmoid.
const inputs = 4

// testStore is a store file in a temporary directory and the opener a run
// gets for it.
type testStore struct {
	path string
	open Opener
}

// newStore creates an empty store.
func newStore(t testing.TB) *testStore {
	t.Helper()
	ts := &testStore{path: filepath.Join(t.TempDir(), "tracker.db")}
	ts.open = func(readOnly bool) (*tracker.Store, error) {
		return tracker.Open(ts.path, tracker.Options{ReadOnly: readOnly, LockTimeout: 200 * time.Millisecond, Now: func() time.Time { return fixedNow }})
	}
	s := ts.store(t, false)
	s.Close()
	return ts
}

// store opens the test store; the caller closes it.
func (ts *testStore) store(t testing.TB, readOnly bool) *tracker.Store {
	t.Helper()
	s, err := ts.open(readOnly)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// model is version seed of the test series: a RandomMLP.
func model(t testing.TB, seed uint64) *snapshot.Snapshot {
	t.Helper()
	snap, err := snapshottest.RandomMLP(seed, []int{inputs, 5, 1}, snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// ingest stores the model of seed as a version of week (replacing its
// current version if there is one), with its weight-sum record when
// weightSum is set.
func (ts *testStore) ingest(t testing.TB, week string, seed uint64, weightSum *experiments.Result) {
	t.Helper()
	req := tracker.IngestRequest{Model: tracker.DefaultModel, Week: week, Snapshot: model(t, seed), Replace: true}
	if weightSum != nil {
		req.Experiments = []tracker.Experiment{{Kind: experiments.KindWeightSum, Value: weightSum.Value, Spread: make([]float64, inputs), Rank: weightSum.Rank, CreatedAt: fixedNow}}
	}
	s := ts.store(t, false)
	defer s.Close()
	if _, err := s.Ingest([]tracker.IngestRequest{req}); err != nil {
		t.Fatal(err)
	}
}

// sum is the store file's SHA-256, to tell that a run wrote nothing.
func (ts *testStore) sum(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(ts.path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// records is every record of the version of week, by kind.
func (ts *testStore) records(t testing.TB, version uint64) map[string]int {
	t.Helper()
	s := ts.store(t, true)
	defer s.Close()
	exps, err := s.Experiments(tracker.DefaultModel, version)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range exps {
		n[e.Kind]++
	}
	return n
}

// dataFile writes rows of data for the test models, with a header a, b,
// c, d, label unless noHeader, and reads it with the label column.
func dataFile(t testing.TB, rows int, noHeader bool) Data {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	if !noHeader {
		b.WriteString("a,b,c,d,label\n")
	}
	for range rows {
		x := [inputs]float64{}
		for j := range x {
			x[j] = float64(float32(rng.NormFloat64()))
			fmt.Fprintf(&b, "%g,", x[j])
		}
		label := "no"
		if x[0]+x[1] > 0 {
			label = "yes"
		}
		b.WriteString(label + "\n")
	}
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d := Data{Path: path, Label: "label"}
	if noHeader {
		d.Label = "4"
	}
	var err error
	if d.Rows, err = ReadData(path, dataset.Options{Label: d.Label}); err != nil {
		t.Fatal(err)
	}
	return d
}

// env is a run's environment on ts with notes into notes.
func (ts *testStore) env(notes io.Writer) Env {
	return Env{Open: ts.open, Now: func() time.Time { return fixedNow }, ToolVersion: "test", Notes: notes}
}
