package tracker

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/tracker-ml/tracker/migrations"
)

// createSteps are the steps create reports to createStep, in order.
var createSteps = []string{"temporary file created", "bbolt pages written", "schema written", "synced", "linked"}

// TestACrashWhileCreatingLeavesNoStoreOrAWholeOne starts itself as a child
// process that creates a store and is killed (SIGKILL, nothing runs after
// it) after each step of create; then the store must be absent or whole at
// the latest schema, and the next writer must open or create it and remove
// what the crash left behind.
func TestACrashWhileCreatingLeavesNoStoreOrAWholeOne(t *testing.T) {
	if step := os.Getenv("TRACKER_TEST_KILL_AFTER"); step != "" {
		createStep = func(s string) {
			if s == step {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
		if s, err := Open(os.Getenv("TRACKER_TEST_STORE"), Options{}); err == nil {
			s.Close()
		}
		os.Exit(0)
	}
	for i, step := range createSteps {
		t.Run("killed after "+step, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "tracker.db")
			cmd := exec.Command(os.Args[0], "-test.run=^TestACrashWhileCreatingLeavesNoStoreOrAWholeOne$")
			cmd.Env = append(os.Environ(), "TRACKER_TEST_KILL_AFTER="+step, "TRACKER_TEST_STORE="+path)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
				t.Fatalf("the child was not killed after %q: %v\n%s", step, err, out)
			}

			s, err := Open(path, Options{ReadOnly: true, LockTimeout: time.Second})
			linked := i >= slices.Index(createSteps, "linked")
			switch {
			case errors.Is(err, ErrNoStore) && !linked:
			case err != nil:
				t.Fatalf("open after the crash: %v; want no store (before the link) or a whole one", err)
			case !linked:
				s.Close()
				t.Fatalf("a store exists before it was linked")
			default:
				r, err := s.Verify()
				if err != nil || len(r.Problems) > 0 || s.Schema() != migrations.Latest() {
					t.Errorf("store after the crash: schema %d, problems %q, %v", s.Schema(), r.Problems, err)
				}
				s.Close()
			}

			w, err := Open(path, Options{LockTimeout: time.Second})
			if err != nil {
				t.Fatalf("writer after the crash: %v", err)
			}
			if w.Schema() != migrations.Latest() {
				t.Errorf("writer after the crash: schema %d, want %d", w.Schema(), migrations.Latest())
			}
			w.Close()
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 || ents[0].Name() != "tracker.db" {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Errorf("directory after the next writer: %q, want only tracker.db", names)
			}
			requireMode(t, path, 0o600)
		})
	}
}

func requireMode(tb testing.TB, path string, want os.FileMode) {
	tb.Helper()
	info, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		tb.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

// TestCreateKeepsAStoreMadeMeanwhile has another store appear at the path
// while this one is being built: create must open that one, not replace it.
// It sets createStep, so it must not run in parallel.
func TestCreateKeepsAStoreMadeMeanwhile(t *testing.T) {
	dir := t.TempDir()
	theirs := theirStore(t, dir)
	path := filepath.Join(dir, "tracker.db")
	t.Cleanup(func() { createStep = func(string) {} })
	createStep = func(step string) {
		if step == "synced" {
			if err := os.Link(theirs, path); err != nil {
				t.Error(err)
			}
		}
	}
	w, err := Open(path, Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if models, err := w.Models(); err != nil || !slices.Equal(models, []string{"theirs"}) {
		t.Errorf("models %q, %v: want the store made meanwhile", models, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d entries in the directory, want the two stores only", len(ents))
	}
}

func TestStoresAreCreatedWithMode0600(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tracker.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	requireMode(t, path, 0o600)
}

func TestTwoWritersCreatingOneStoreAtOnceBothOpenIt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tracker.db")
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := Open(path, Options{LockTimeout: 5 * time.Second})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	s, err := Open(path, Options{ReadOnly: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r, err := s.Verify(); err != nil || len(r.Problems) > 0 {
		t.Errorf("verify: %q, %v", r.Problems, err)
	}
}

// noHardLinks makes linkNew act as on a file system without hard links
// (FAT, exFAT, CIFS) until the test ends; rename, when not nil, stands in
// for renameat2. Tests that call it must not run in parallel.
func noHardLinks(t *testing.T, rename func(oldpath, newpath string) error) {
	t.Helper()
	oldLink, oldRename := link, renameNoReplace
	t.Cleanup(func() { link, renameNoReplace = oldLink, oldRename })
	link = func(oldpath, newpath string) error {
		return &os.LinkError{Op: "link", Old: oldpath, New: newpath, Err: syscall.EPERM}
	}
	if rename != nil {
		renameNoReplace = rename
	}
}

func TestStoresAndBackupsWorkWithoutHardLinks(t *testing.T) {
	noHardLinks(t, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "tracker.db")
	s, err := Open(path, Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("create a store without hard links: %v", err)
	}
	defer s.Close()
	requireMode(t, path, 0o600)
	bak := filepath.Join(dir, "tracker.bak")
	if _, err := s.Backup(bak, false); err != nil {
		t.Fatalf("back up without hard links: %v", err)
	}
	requireMode(t, bak, 0o600)
	if _, err := s.Backup(bak, false); !errors.Is(err, ErrExists) {
		t.Errorf("back up over an existing backup without hard links: %v, want ErrExists", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d entries in the directory, want the store and its backup only", len(ents))
	}
}

// Without hard links, create renames with RENAME_NOREPLACE: a store
// another creator put at path just before keeps its place.
func TestCreateWithoutHardLinksKeepsAStoreMadeMeanwhile(t *testing.T) {
	dir := t.TempDir()
	theirs := theirStore(t, dir)
	path := filepath.Join(dir, "tracker.db")
	noHardLinks(t, func(oldpath, newpath string) error {
		// The other creator wins between the failed link and the rename.
		if err := os.Rename(theirs, newpath); err != nil {
			t.Error(err)
		}
		return unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
	})
	w, err := Open(path, Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if models, err := w.Models(); err != nil || !slices.Equal(models, []string{"theirs"}) {
		t.Errorf("models %q, %v: want the store made meanwhile", models, err)
	}
}

// A file system with neither hard links nor RENAME_NOREPLACE gets no
// store: a plain rename could replace one another process just made.
func TestCreateWithNeitherHardLinksNorNoReplaceRenameFails(t *testing.T) {
	noHardLinks(t, func(oldpath, newpath string) error {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EINVAL}
	})
	dir := t.TempDir()
	path := filepath.Join(dir, "tracker.db")
	s, err := Open(path, Options{LockTimeout: time.Second})
	if err == nil {
		s.Close()
		t.Fatal("open succeeded, want an error")
	}
	if want := "supports neither hard links"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
		t.Errorf("open: %q, want it to name %s and say %q", err, path, want)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d entries in the directory, want none", len(ents))
	}
}

// Another process's removeStrays may delete the temporary store once bbolt
// has closed it and before it is linked; create builds it again.
func TestCreateRetriesWhenItsTemporaryFileIsRemoved(t *testing.T) {
	for _, at := range []string{"schema written", "synced"} {
		t.Run("removed after "+at, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "tracker.db")
			removed := false
			t.Cleanup(func() { createStep = func(string) {} })
			createStep = func(step string) {
				if step != at || removed {
					return
				}
				removed = true
				strays, _ := filepath.Glob(filepath.Join(dir, strayPrefix(path)+"*"))
				if len(strays) != 1 {
					t.Fatalf("temporary files %q, want one", strays)
				}
				if err := os.Remove(strays[0]); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Open(path, Options{LockTimeout: time.Second})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer s.Close()
			if !removed {
				t.Fatal("the temporary file was never removed")
			}
			if r, err := s.Verify(); err != nil || len(r.Problems) > 0 {
				t.Errorf("verify: %q, %v", r.Problems, err)
			}
		})
	}
}

// theirStore makes another creator's store in dir, marked by a model
// series "theirs", and returns its path.
func theirStore(t *testing.T, dir string) string {
	t.Helper()
	theirs := filepath.Join(dir, "theirs.db")
	s, err := Open(theirs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := tx.Bucket(bucketModels).CreateBucket([]byte("theirs"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	return theirs
}
