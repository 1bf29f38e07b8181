package tracker_test

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/tracker"
)

// bigWidths make a model of about 4,000 weights: 16 versions fill a store
// of about 512 KiB whose versions bucket has branch pages.
var bigWidths = []int{20, 64, 32, 2}

// layout is where bbolt put things in a closed store.
type layout struct {
	pageSize  int64
	pages     int64 // in use, from the newest meta page
	txid      int64 // the newest meta page's transaction
	branch    int64 // the root page of models/big/versions, a branch page
	leaf      int64 // its first child, a leaf page
	versions  int   // of series "big"
	fileBytes int64
}

// bigStore writes 16 versions of series "big" in 16 transactions and
// returns the closed store's path and layout.
func bigStore(tb testing.TB) (string, layout) {
	tb.Helper()
	s, path := newStore(tb)
	for i := range 16 {
		mustIngest(tb, s, request("big", week(i), model(tb, uint64(i+1), bigWidths)))
	}
	closed(tb, s, path)
	l := layout{versions: 16}
	rawView(tb, path, func(tx *bolt.Tx) error {
		l.pageSize = int64(tx.DB().Info().PageSize)
		l.pages, l.txid = tx.Size()/l.pageSize, int64(tx.ID())
		b := tx.Bucket([]byte("models")).Bucket([]byte("big")).Bucket([]byte("versions"))
		if b.Stats().BranchPageN == 0 {
			tb.Fatal("models/big/versions has no branch page: make the test store bigger")
		}
		l.branch = int64(b.Root())
		return nil
	})
	page := fileBytes(tb, path)[l.branch*l.pageSize:]
	l.leaf = int64(binary.NativeEndian.Uint64(page[16+8:])) // element 0's child
	l.fileBytes = int64(len(fileBytes(tb, path)))
	return path, l
}

func xorByte(tb testing.TB, path string, off int64, x byte) {
	tb.Helper()
	b := fileBytes(tb, path)
	b[off] ^= x
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func truncate(tb testing.TB, path string, size int64) {
	tb.Helper()
	if err := os.Truncate(path, size); err != nil {
		tb.Fatal(err)
	}
}

func TestOpenRefusesStoresTooDamagedToMap(t *testing.T) {
	t.Parallel()
	good, l := bigStore(t)
	if l.fileBytes < 400<<10 || l.fileBytes > 1<<20 {
		t.Fatalf("test store is %d bytes, want about 512 KiB", l.fileBytes)
	}
	pages := strconv.FormatInt(l.pages, 10)
	for _, tc := range []struct {
		name   string
		damage func(tb testing.TB, path string)
		want   error
		msg    []string
	}{
		{
			name:   "a store cut to 300000 bytes is damaged",
			damage: func(tb testing.TB, path string) { truncate(tb, path, 300000) },
			want:   tracker.ErrDamaged,
			msg:    []string{"is damaged: the file is 300000 bytes, but its meta page says it holds " + pages + " pages of 4096 bytes", "cut short"},
		},
		{
			name:   "a store cut to 8 KiB is damaged",
			damage: func(tb testing.TB, path string) { truncate(tb, path, 8<<10) },
			want:   tracker.ErrDamaged,
			msg:    []string{"the file is 8192 bytes", "cut short"},
		},
		{
			name:   "a store missing only its last page in use is damaged",
			damage: func(tb testing.TB, path string) { truncate(tb, path, (l.pages-1)*l.pageSize) },
			want:   tracker.ErrDamaged,
			msg:    []string{"the file is " + strconv.FormatInt((l.pages-1)*l.pageSize, 10) + " bytes", "cut short"},
		},
		{
			name: "a store with both meta pages damaged is damaged, not foreign",
			damage: func(tb testing.TB, path string) {
				xorByte(tb, path, 16+60, 1)
				xorByte(tb, path, l.pageSize+16+60, 1)
			},
			want: tracker.ErrDamaged,
			msg:  []string{"both meta pages", "checksum does not match"},
		},
		{
			name:   "a 0-byte file is empty, not a store",
			damage: func(tb testing.TB, path string) { truncate(tb, path, 0) },
			want:   tracker.ErrForeign,
			msg:    []string{"is an empty file (0 bytes), not a tracker store", "remove it"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := damagedCopy(t, good, tc.damage)
			before := fileBytes(t, path)
			for _, readOnly := range []bool{true, false} {
				s, err := tracker.Open(path, tracker.Options{ReadOnly: readOnly, LockTimeout: time.Second})
				if err == nil {
					s.Close()
					t.Fatalf("open (read-only %v) succeeded, want %v", readOnly, tc.want)
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("open (read-only %v): %v, want %v", readOnly, err, tc.want)
				}
				for _, m := range append(tc.msg, path) {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("open (read-only %v): %q does not say %q", readOnly, err, m)
					}
				}
				if strings.Contains(err.Error(), "bad file descriptor") {
					t.Errorf("open (read-only %v): %q", readOnly, err)
				}
				var de *tracker.DamagedError
				if errors.As(err, &de) && de.Path != path {
					t.Errorf("DamagedError.Path = %q, want %q", de.Path, path)
				}
				requireBytes(t, path, before)
			}
		})
	}
}

func TestDamagedPagesAreErrorsAndVerifyFindsThem(t *testing.T) {
	t.Parallel()
	good, l := bigStore(t)
	for _, tc := range []struct {
		name   string
		damage func(tb testing.TB, path string)
		// problem is what Verify reports; damaged whether it is Damaged.
		problem string
		damaged bool
		// versions is how many versions a read finds, or 0 when reading
		// them must fail as damaged.
		versions int
		// ingestFails: an ingest reads the damaged page and must fail,
		// changing nothing. (Other damage lies off the path an ingest
		// takes, and it succeeds: only verify and backup read every page.)
		ingestFails bool
	}{
		{
			name:        "a flipped type byte in a branch page",
			damage:      func(tb testing.TB, path string) { xorByte(tb, path, l.branch*l.pageSize+8, 0xff) },
			problem:     "page " + strconv.FormatInt(l.branch, 10) + ` of bucket "models/big/versions" has type flags 0xfe`,
			damaged:     true,
			ingestFails: true,
		},
		{
			name: "a leaf element pointing far outside its page",
			damage: func(tb testing.TB, path string) {
				xorByte(tb, path, l.leaf*l.pageSize+16+4+3, 0xf0) // element 0's pos, high byte
			},
			problem: "leaf page " + strconv.FormatInt(l.leaf, 10) + ` of bucket "models/big/versions": element 0 lies outside the page`,
			damaged: true,
		},
		{
			name: "a branch page pointing past the file's pages",
			damage: func(tb testing.TB, path string) {
				xorByte(tb, path, l.branch*l.pageSize+16+8+4, 0x01) // element 0's child, bit 32
			},
			problem: "points at page",
			damaged: true,
		},
		{
			name:     "a damaged newest meta page falls back to the previous commit",
			damage:   func(tb testing.TB, path string) { xorByte(tb, path, l.txid%2*l.pageSize+16+60, 1) },
			problem:  "meta page " + strconv.FormatInt(l.txid%2, 10) + " is damaged (its checksum does not match; it claims transaction " + strconv.FormatInt(l.txid, 10) + "), so the store opened at meta page " + strconv.FormatInt(1-l.txid%2, 10) + ", transaction " + strconv.FormatInt(l.txid-1, 10),
			versions: l.versions - 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := damagedCopy(t, good, tc.damage)
			before := fileBytes(t, path)

			r := openStore(t, path, tracker.Options{ReadOnly: true})
			rep, err := r.Verify()
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if len(rep.Problems) == 0 || !strings.Contains(rep.Problems[0], tc.problem) || rep.Damaged != tc.damaged {
				t.Errorf("verify: damaged %v, problems %q; want damaged %v and %q", rep.Damaged, rep.Problems, tc.damaged, tc.problem)
			}
			if _, err := r.Backup(path+".bak", false); tc.damaged != errors.Is(err, tracker.ErrDamaged) {
				t.Errorf("backup: %v; want ErrDamaged %v", err, tc.damaged)
			}
			vs, err := r.Versions("big")
			switch {
			case tc.versions == 0 && !errors.Is(err, tracker.ErrDamaged):
				t.Errorf("versions: %d, %v; want ErrDamaged", len(vs), err)
			case tc.versions == 0 && !strings.Contains(err.Error(), path):
				t.Errorf("versions: %q does not name the store", err)
			case tc.versions > 0 && (err != nil || len(vs) != tc.versions):
				t.Errorf("versions: %d, %v; want %d", len(vs), err, tc.versions)
			}
			r.Close()
			requireBytes(t, path, before)

			if tc.ingestFails {
				w := openStore(t, path, tracker.Options{})
				_, err := w.Ingest([]tracker.IngestRequest{request("big", week(20), model(t, 99, bigWidths))})
				if !errors.Is(err, tracker.ErrDamaged) {
					t.Errorf("ingest: %v, want ErrDamaged", err)
				}
				w.Close()
				requireBytes(t, path, before)
			}
		})
	}
}

func TestAFileCutShortWhileOpenIsAnErrorNotACrash(t *testing.T) {
	t.Parallel()
	path, l := bigStore(t)
	s := openStore(t, path, tracker.Options{ReadOnly: true})
	// bbolt has mapped the whole file; cutting it makes reading the
	// pages past the cut fault with SIGBUS.
	truncate(t, path, 3*l.pageSize)
	_, err := s.Snapshot("big", 16)
	if !errors.Is(err, tracker.ErrDamaged) || !strings.Contains(err.Error(), "faulted") {
		t.Fatalf("snapshot of a file cut short while open: %v, want ErrDamaged saying it faulted", err)
	}
	if rep, err := s.Verify(); err != nil || !rep.Damaged {
		t.Errorf("verify of a file cut short while open: %+v, %v; want damage", rep, err)
	}
}

// damagedCopy writes a copy of the store at good to a new path and damages
// it.
func damagedCopy(t *testing.T, good string, damage func(testing.TB, string)) string {
	t.Helper()
	path := storePath(t)
	if err := os.WriteFile(path, fileBytes(t, good), 0o600); err != nil {
		t.Fatal(err)
	}
	damage(t, path)
	return path
}

// openChildEnv names the store a child test process opens (see
// TestOpenRefusesAFreelistCountPastItsPages).
const openChildEnv = "TRACKER_TEST_OPEN_DAMAGED"

// A freelist page whose count (0xFFFF: the real count is the first id)
// claims 2^33 pages would make bbolt allocate 64 GiB while opening, and
// the process die out of memory. The open runs in a child process limited
// to 2 GiB of address space, so a regression fails the test, not the
// machine.
func TestOpenRefusesAFreelistCountPastItsPages(t *testing.T) {
	if path := os.Getenv(openChildEnv); path != "" {
		for _, readOnly := range []bool{true, false} {
			s, err := tracker.Open(path, tracker.Options{ReadOnly: readOnly, LockTimeout: time.Second})
			if err == nil {
				s.Close()
				t.Fatalf("open (read-only %v) succeeded, want ErrDamaged", readOnly)
			}
			if !errors.Is(err, tracker.ErrDamaged) || !strings.Contains(err.Error(), "lists 8589934592 pages, more than it can hold") {
				t.Errorf("open (read-only %v): %v, want ErrDamaged saying the freelist lists too many pages", readOnly, err)
			}
		}
		return
	}
	t.Parallel()
	s, path := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)))
	closed(t, s, path)
	var pageSize, txid int64
	rawView(t, path, func(tx *bolt.Tx) error {
		pageSize, txid = int64(tx.DB().Info().PageSize), int64(tx.ID())
		return nil
	})
	b := fileBytes(t, path)
	freelist := int64(binary.NativeEndian.Uint64(b[txid%2*pageSize+16+32:]))
	p := b[freelist*pageSize:]
	binary.NativeEndian.PutUint16(p[10:], 0xFFFF)
	binary.NativeEndian.PutUint64(p[16:], 1<<33)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	args := []string{os.Args[0], "-test.run=^TestOpenRefusesAFreelistCountPastItsPages$", "-test.v"}
	if prlimit, err := exec.LookPath("prlimit"); err == nil {
		args = append([]string{prlimit, "--as=" + strconv.Itoa(2<<30)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), openChildEnv+"="+path, "GOMEMLIMIT=1GiB")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child opening the damaged store: %v\n%s", err, out)
	}
}

// bbolt panics on a page of the wrong type; guard confirms the damage with
// a walk of the pages before calling it damage, and says what it found.
func TestAPanicOnADamagedPageIsConfirmedDamage(t *testing.T) {
	t.Parallel()
	good, l := bigStore(t)
	path := damagedCopy(t, good, func(tb testing.TB, path string) { xorByte(tb, path, l.branch*l.pageSize+8, 0xff) })
	r := openStore(t, path, tracker.Options{ReadOnly: true})
	_, err := r.Versions("big")
	want := "a check of its pages found: page " + strconv.FormatInt(l.branch, 10) + ` of bucket "models/big/versions" has type flags 0xfe`
	if !errors.Is(err, tracker.ErrDamaged) || !strings.Contains(err.Error(), want) {
		t.Errorf("versions: %v, want ErrDamaged saying %q", err, want)
	}
}
