package tracker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the store to path and returns its
// size. The copy is one read transaction's view (bbolt's Tx.WriteTo), so
// readers keep working while it runs and a writer waits for it; it is
// written to a temporary file in path's directory with mode 0600, synced,
// and only then given its name, so path is never a half-written copy. An
// existing path is refused with ErrExists unless replace is set.
//
// The store's pages are checked first (checkStructure) and a damaged
// store is refused with a DamagedError: a backup of damaged pages is no
// backup, and must not replace a good one. A damaged meta page is not
// refused: the copy is made at the commit the store opened at, with both
// of its meta pages whole.
//
// A crash while copying leaves a hidden ".NAME.partial-*" file beside
// path; it is never mistaken for a backup and can be deleted.
func (s *Store) Backup(path string, replace bool) (int64, error) {
	if info, err := os.Stat(path); err == nil {
		if store, err := s.file.Stat(); err == nil && os.SameFile(info, store) {
			return 0, fmt.Errorf("back up %s: %s is the store itself: choose another file", s.path, path)
		}
		if !replace {
			return 0, fmt.Errorf("back up %s: %w: %s", s.path, ErrExists, path)
		}
		if !info.Mode().IsRegular() {
			return 0, fmt.Errorf("back up %s: %s is not a regular file", s.path, path)
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return 0, fmt.Errorf("back up %s: %w", s.path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // after a link, the second name; after a failure, the partial copy
	n, err := s.writeBackup(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if replace {
		err = os.Rename(name, path)
	} else {
		// linkNew fails if path appeared meanwhile, where rename would
		// replace it.
		err = linkNew(name, path)
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("back up %s: %w: %s", s.path, ErrExists, path)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("back up %s: %w", s.path, err)
	}
	if err := syncPath(dir); err != nil {
		return 0, fmt.Errorf("back up %s: sync directory: %w", s.path, err)
	}
	return n, nil
}

func (s *Store) writeBackup(f *os.File) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, problems := checkStructure(tx, s.file); len(problems) > 0 {
			return damagedSummary(s.path, problems)
		}
		var err error
		if n, err = tx.WriteTo(f); err != nil {
			return fmt.Errorf("back up %s: write %s: %w", s.path, f.Name(), err)
		}
		return nil
	})
	return n, err
}
