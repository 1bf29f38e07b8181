package tracker_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/tracker"
)

func TestBackup(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)), request("m", week(1), model(t, 2, small)))
	closed(t, s, path)
	before := fileBytes(t, path)

	t.Run("a backup made while another reader holds the store restores to a store that verifies", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		reader := openStore(t, path, tracker.Options{ReadOnly: true})
		b := openStore(t, path, tracker.Options{ReadOnly: true})
		backup := filepath.Join(dir, "backup.db")
		n, err := b.Backup(backup, false)
		if err != nil {
			t.Fatal(err)
		}
		if vs, err := reader.Versions("m"); err != nil || len(vs) != 2 {
			t.Errorf("the other reader during the backup: %d versions, %v", len(vs), err)
		}
		if info, err := os.Stat(backup); err != nil || info.Size() != n || info.Mode().Perm() != 0o600 {
			t.Fatalf("backup file: %v, %v; want %d bytes, mode 0600", info, err, n)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("%d entries in the backup's directory, want the backup only", len(ents))
		}
		restored := filepath.Join(dir, "restored.db")
		if err := os.WriteFile(restored, fileBytes(t, backup), 0o600); err != nil {
			t.Fatal(err)
		}
		r := openStore(t, restored, tracker.Options{ReadOnly: true})
		if rep := requireClean(t, r); rep.Versions != 2 || rep.Damaged {
			t.Errorf("restored store: %+v", rep)
		}
		snap, err := r.Snapshot("m", 2)
		if err != nil {
			t.Fatal(err)
		}
		requireSameSnapshot(t, snap, model(t, 2, small))
	})

	t.Run("an existing file is kept unless replace is set", func(t *testing.T) {
		t.Parallel()
		b := openStore(t, path, tracker.Options{ReadOnly: true})
		backup := filepath.Join(t.TempDir(), "backup.db")
		if err := os.WriteFile(backup, []byte("precious"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := b.Backup(backup, false)
		if !errors.Is(err, tracker.ErrExists) || !strings.Contains(err.Error(), backup) {
			t.Errorf("backup over an existing file: %v, want ErrExists naming it", err)
		}
		if got := string(fileBytes(t, backup)); got != "precious" {
			t.Errorf("the existing file now holds %q", got)
		}
		if _, err := b.Backup(backup, true); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(backup)
		if err != nil || info.Mode().Perm() != 0o600 || info.Size() < 4096 {
			t.Errorf("replaced backup: %v, %v; want a store with mode 0600", info, err)
		}
	})

	t.Run("the store itself is refused", func(t *testing.T) {
		t.Parallel()
		b := openStore(t, path, tracker.Options{ReadOnly: true})
		if _, err := b.Backup(path, true); err == nil || !strings.Contains(err.Error(), "is the store itself") {
			t.Errorf("backup onto the store: %v", err)
		}
	})

	t.Run("a missing directory is an error that names it", func(t *testing.T) {
		t.Parallel()
		b := openStore(t, path, tracker.Options{ReadOnly: true})
		backup := filepath.Join(t.TempDir(), "no", "backup.db")
		if _, err := b.Backup(backup, false); err == nil || !strings.Contains(err.Error(), filepath.Dir(backup)) {
			t.Errorf("backup into a missing directory: %v", err)
		}
	})
	t.Cleanup(func() { requireBytes(t, path, before) })
}
