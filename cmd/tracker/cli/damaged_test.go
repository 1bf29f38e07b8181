package cli

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

// bigWidths make a model of about 4,000 weights, so 16 weekly versions
// fill a store of about 512 KiB, with branch pages in its buckets.
var bigWidths = []int{20, 64, 32, 2}

// buildStore writes a store of 16 weekly versions of a bigWidths model,
// each with the data-free experiments, and returns its path.
func buildStore(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "tracker.db")
	s, err := tracker.Open(db, tracker.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC)
	for i := range 16 {
		snap, err := snapshottest.RandomMLP(uint64(i+1), bigWidths, snapshot.Meta{KerasVersion: "2.2.4"})
		if err != nil {
			t.Fatal(err)
		}
		var exps []tracker.Experiment
		for _, r := range experiments.DataFree(snap) {
			exps = append(exps, tracker.Experiment{Kind: r.Kind, Params: r.Params, ToolVersion: "test", CreatedAt: fixedNow, Value: r.Value, Spread: r.Spread, Rank: r.Rank})
		}
		week := start.AddDate(0, 0, 7*i).Format(time.DateOnly)
		if _, err := s.Ingest([]tracker.IngestRequest{{Model: tracker.DefaultModel, Week: week, Snapshot: snap, Experiments: exps}}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// bigModelFiles writes another bigWidths model as a Keras save, for
// ingest, and a CSV of 20 feature columns, for run; it returns their paths.
func bigModelFiles(t *testing.T, dir string) (prefix, data string) {
	t.Helper()
	snap, err := snapshottest.RandomMLP(99, bigWidths, snapshot.Meta{KerasVersion: "2.2.4"})
	if err != nil {
		t.Fatal(err)
	}
	mdir := filepath.Join(dir, "Model", "20300107")
	if _, _, err := keras.Export(snap, mdir, "big"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for j := range bigWidths[0] {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "x%d", j)
	}
	b.WriteByte('\n')
	for range 40 {
		for j := range bigWidths[0] {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.3f", rng.NormFloat64())
		}
		b.WriteByte('\n')
	}
	data = filepath.Join(dir, "big.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(mdir, "big"), data
}

// exited is how a tracker process ended.
type exited struct {
	code           int
	signal         string // "" unless a signal killed it
	stdout, stderr string
}

// trackerProcess runs tracker as a separate process (TestMain), so that a
// fault on the store's memory map shows as the signal it would be.
func trackerProcess(t *testing.T, args ...string) exited {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TRACKER_TEST_MAIN=1")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("tracker %s: %v", strings.Join(args, " "), err)
	}
	e := exited{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errOut.String()}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.signal = ws.Signal().String()
	}
	return e
}

// crashed says whether stderr shows a Go panic or runtime crash.
func crashed(stderr string) bool {
	for _, s := range []string{"panic:", "fatal error:", "[signal ", "goroutine ", "SIGBUS", "SIGSEGV"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

// rawMeta is what bbolt's newest meta page says: page size, pages in use
// and transaction.
func rawMeta(t *testing.T, db string) (pageSize int, pages int64, txid int) {
	t.Helper()
	b, err := bolt.Open(db, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) error {
		pages, txid = tx.Size()/int64(b.Info().PageSize), int(tx.ID())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Info().PageSize, pages, txid
}

// branchPageOf is the root page of the bucket at path (names from the
// top), which must be a branch page.
func branchPageOf(t *testing.T, db string, path ...string) int64 {
	t.Helper()
	b, err := bolt.Open(db, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var id int64
	err = b.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(path[0]))
		for _, name := range path[1:] {
			bk = bk.Bucket([]byte(name))
		}
		id = int64(bk.Root())
		if bk.Stats().BranchPageN == 0 {
			return fmt.Errorf("bucket %v has no branch page: make the test store bigger", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedStores damages a real store each way issue 10 found, then
// runs every command that opens the store, as a real process: none may
// panic or die on a signal, each fails with exit 1 saying the store is
// damaged and how to restore it (or, where it never reads the damaged
// page, does its work), and verify finds every damage.
func TestDamagedStores(t *testing.T) {
	tmp := t.TempDir()
	good := buildStore(t, filepath.Join(tmp, "good"))
	prefix, data := bigModelFiles(t, tmp)
	if fi, err := os.Stat(good); err != nil || fi.Size() < 400<<10 || fi.Size() > 1<<20 {
		t.Fatalf("test store: %v, %d bytes; want about 512 KiB", err, fi.Size())
	}
	pageSize, pages, txid := rawMeta(t, good)
	versions := branchPageOf(t, good, "models", tracker.DefaultModel, "versions")
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	leaf := int64(binary.NativeEndian.Uint64(raw[versions*int64(pageSize)+16+8:])) // the branch's first child

	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, db string)
		// mayWork: a command that never reads the damaged bytes may
		// succeed; the others must fail.
		mayWork bool
		verify  []string // what verify's report says
		// metaOnly: verify reports a problem but no damage to restore.
		metaOnly bool
	}{
		{
			name:   "a store cut to 300000 bytes is refused by every command",
			damage: func(t *testing.T, db string) { os.Truncate(db, 300000) },
			verify: []string{"is damaged", "the file is 300000 bytes", fmt.Sprintf("%d pages of %d bytes", pages, pageSize), "cut short"},
		},
		{
			name:   "a store cut to 8 KiB is refused by every command",
			damage: func(t *testing.T, db string) { os.Truncate(db, 8<<10) },
			verify: []string{"is damaged", "the file is 8192 bytes", "cut short"},
		},
		{
			name:   "a store missing only its last page is refused by every command",
			damage: func(t *testing.T, db string) { os.Truncate(db, (pages-1)*int64(pageSize)) },
			verify: []string{"is damaged", fmt.Sprintf("the file is %d bytes", (pages-1)*int64(pageSize)), "cut short"},
		},
		{
			name:    "a flipped byte in a branch page fails every command that reads it",
			damage:  func(t *testing.T, db string) { flipByte(t, db, versions*int64(pageSize)+8) },
			mayWork: true,
			verify:  []string{fmt.Sprintf("problem: page %d of bucket \"models/default/versions\" has type flags 0xfe", versions), "1 problems"},
		},
		{
			name: "a leaf element pointing outside its page fails every command that reads it",
			damage: func(t *testing.T, db string) {
				flipByte(t, db, leaf*int64(pageSize)+16+4+3) // element 0's offset, high byte
			},
			mayWork: true,
			verify:  []string{fmt.Sprintf("problem: leaf page %d of bucket \"models/default/versions\": element 0 lies outside the page", leaf)},
		},
		{
			name: "a damaged newest meta page leaves the previous commit, and verify says so",
			damage: func(t *testing.T, db string) {
				flipByte(t, db, int64(txid%2*pageSize)+16+60) // a checksum byte
			},
			mayWork:  true,
			metaOnly: true,
			verify:   []string{fmt.Sprintf("problem: meta page %d is damaged (its checksum does not match; it claims transaction %d), so the store opened at meta page %d, transaction %d", txid%2, txid, 1-txid%2, txid-1), "run it again if it is missing"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "tracker.db")
			copyFile(t, good, db)
			tc.damage(t, db)
			for _, args := range [][]string{
				{"verify"},
				{"ingest", prefix},
				{"list"},
				{"show", "latest"},
				{"query", "feature", "3", "--format", "json"},
				{"export", "--format", "json"},
				{"backup", filepath.Join(dir, "backup.db")},
				{"run", "gradient", "--data", data, "--steps", "5", "--rows", "10"},
			} {
				r := trackerProcess(t, append([]string{"--db", db}, args...)...)
				what := fmt.Sprintf("tracker %s: exit %d, signal %q\n%s", args[0], r.code, r.signal, r.stderr)
				if r.signal != "" || crashed(r.stderr) {
					t.Errorf("%s: crashed", what)
					continue
				}
				if args[0] == "verify" {
					for _, want := range tc.verify {
						if !strings.Contains(r.stdout+r.stderr, want) {
							t.Errorf("%s\nverify does not say %q:\n%s", what, want, r.stdout)
						}
					}
				}
				if r.code == 0 && (tc.mayWork && args[0] != "verify") {
					continue
				}
				if r.code != 1 {
					t.Errorf("%s: want exit 1", what)
				}
				if tc.metaOnly {
					continue
				}
				for _, want := range []string{"damaged", "tracker backup", "cp BACKUP " + db, "tracker --db " + db + " verify"} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("%s: stderr does not say %q", what, want)
					}
				}
			}
		})
	}
}
