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
// hard-linked to path. link(2), unlike rename(2), fails when path exists,
// so a store another process created meanwhile is kept and opened instead.
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
	if err := syncPath(name); err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	createStep("synced")

	switch err := os.Link(name, path); {
	case errors.Is(err, fs.ErrExist):
		return nil // another process created it first: open theirs
	case errors.Is(err, fs.ErrNotExist):
		return errRetry
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EMLINK):
		// A file system without hard links (FAT, some network mounts):
		// rename instead, which replaces a store made in the moment
		// since the stat; only another creator racing this one could.
		if _, err := os.Lstat(path); err == nil {
			return nil
		}
		if err := os.Rename(name, path); err != nil {
			return fmt.Errorf("create store %s: %w", path, err)
		}
	case err != nil:
		return fmt.Errorf("create store %s: %w", path, err)
	}
	createStep("linked")
	if err := syncPath(dir); err != nil {
		return fmt.Errorf("create store %s: sync directory: %w", path, err)
	}
	return nil
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
