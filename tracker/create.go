package tracker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/tracker-ml/tracker/migrations"
)

// errRetry: a stray-file cleanup removed the temporary file create was
// building before it could link it; building it again succeeds.
var errRetry = errors.New("temporary store removed before it was linked")

// createStep runs after each step of create. Tests kill the process there
// to check that a crash at any step leaves no store or a whole one.
var createStep = func(step string) {}

// strayPrefix starts the name of the temporary file a new store is built
// in, beside the store, hidden.
func strayPrefix(path string) string {
	return "." + filepath.Base(path) + ".creating-"
}

// create makes a new store at path, whole or not at all. bbolt creates a
// file in place and writes its pages over several calls, and the schema
// steps each commit on their own, so a crash could leave a store at schema
// 1 that the next ingest refuses. Instead the store is built in a
// temporary file in path's directory (mode 0600: weights may be
// confidential), at the latest schema in one transaction, synced, and then
// hard-linked to path (or, without hard links, renamed with
// RENAME_NOREPLACE: linkNew). Both, unlike rename(2), fail when path
// exists, so a store another process created meanwhile is kept and opened
// instead. Another process's removeStrays may delete the temporary file
// before it is linked; create then returns errRetry.
func create(path string, timeout time.Duration) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, strayPrefix(path)+"*")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("create store %s: no directory %s: %w", path, dir, fs.ErrNotExist)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("create store %s: no permission to write in %s: %w", path, dir, fs.ErrPermission)
	}
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	name := tmp.Name()
	tmp.Close()
	// After the link this removes the second name; before it, the
	// half-built file.
	defer os.Remove(name)
	createStep("temporary file created")

	db, err := bolt.Open(name, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	createStep("bbolt pages written")
	err = db.Update(migrations.Init)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	createStep("schema written")
	// bbolt's commit synced the pages; this syncs the file's size and mode.
	if err := syncPath(name); errors.Is(err, fs.ErrNotExist) {
		return errRetry
	} else if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	createStep("synced")

	switch err := linkNew(name, path); {
	case errors.Is(err, fs.ErrExist):
		return nil // another process created it first: open theirs
	case errors.Is(err, fs.ErrNotExist):
		return errRetry
	case err != nil:
		return fmt.Errorf("create store %s: %w", path, err)
	}
	createStep("linked")
	if err := syncPath(dir); err != nil {
		return fmt.Errorf("create store %s: sync directory: %w", path, err)
	}
	return nil
}

// link and renameNoReplace are the system calls linkNew makes; tests
// replace them to act as file systems without hard links or without
// RENAME_NOREPLACE.
var (
	link            = os.Link
	renameNoReplace = func(oldpath, newpath string) error {
		return unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
	}
)

// linkNew gives the file at tmp the new name dst, failing with an error
// matching fs.ErrExist when dst exists, so a file another process put there
// meanwhile is never replaced. It hard-links tmp (the caller removes the
// old name); on a file system without hard links (FAT, exFAT, some network
// mounts) it renames tmp with RENAME_NOREPLACE, which fails on an existing
// dst just as link does. Where neither works it fails rather than use a
// plain rename, which would replace a file made since any check.
func linkNew(tmp, dst string) error {
	err := link(tmp, dst)
	if !linksUnsupported(err) {
		return err
	}
	switch rerr := renameNoReplace(tmp, dst); {
	case rerr == nil:
		return nil
	case errors.Is(rerr, unix.EINVAL), errors.Is(rerr, unix.ENOSYS), errors.Is(rerr, unix.ENOTSUP), errors.Is(rerr, unix.EOPNOTSUPP):
		return fmt.Errorf("the file system of %s supports neither hard links (%v) nor renaming without replacing (%v): a plain rename could replace a file another process just made there", filepath.Dir(dst), err, rerr)
	default:
		return &os.LinkError{Op: "rename", Old: tmp, New: dst, Err: rerr}
	}
}

// linksUnsupported says whether a failed link(2) means the file system
// has no hard links, rather than that the name is taken or the file gone.
func linksUnsupported(err error) bool {
	for _, e := range []error{unix.EPERM, unix.ENOTSUP, unix.EOPNOTSUPP, unix.EXDEV, unix.EMLINK, unix.ENOSYS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// removeStrays deletes temporary files that a crashed create left beside
// path. A file that bbolt still holds locked is being built by a live
// process and stays; one that is a second name of the store itself (a
// crash between link and remove) goes. Removing a file some creator has
// just closed but not yet linked makes its link fail, and it builds again
// (errRetry). Failures are ignored: strays waste space but harm nothing.
func removeStrays(path string) {
	dir, prefix := filepath.Dir(path), strayPrefix(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	store, _ := os.Stat(path)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		stray := filepath.Join(dir, e.Name())
		if info, err := os.Stat(stray); err == nil && store != nil && os.SameFile(info, store) {
			os.Remove(stray)
			continue
		}
		f, err := os.Open(stray)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.Remove(stray)
		}
		f.Close()
	}
}

// syncPath fsyncs a file or a directory (so a new name in it survives a
// crash). File systems that cannot sync a directory say EINVAL; that is
// as good as it gets there.
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) {
		return nil
	}
	return err
}
