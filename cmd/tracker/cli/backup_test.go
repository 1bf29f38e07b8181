package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/tracker"
)

func TestBackupCommand(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	w1, w2 := seedLayout(t, tmp)
	mustRun(t, db, "ingest", w1, w2)
	list := mustRun(t, db, "list")
	backup := filepath.Join(tmp, "backups", "tracker-2019-01-21.db")
	if err := os.Mkdir(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}

	// Another reader holds the store open throughout.
	reader, err := tracker.Open(db, tracker.Options{ReadOnly: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	out := mustRun(t, db, "backup", backup)
	if !strings.HasPrefix(out, "backed up "+db+" to "+backup+" (") {
		t.Errorf("backup printed %q", out)
	}
	info, err := os.Stat(backup)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup: %v, %v; want mode 0600", info, err)
	}
	if vs, err := reader.Versions(tracker.DefaultModel); err != nil || len(vs) != 2 {
		t.Errorf("the other reader: %d versions, %v", len(vs), err)
	}
	saved := fileSum(t, backup)

	for _, tc := range []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"backing up over an existing file without --force is refused", []string{"backup", backup}, 1, []string{backup, "already exists", "--force"}},
		{"backup without a file is a usage error", []string{"backup"}, 2, []string{"the backup file"}},
		{"backup into a missing directory names it", []string{"backup", filepath.Join(tmp, "none", "b.db")}, 1, []string{filepath.Join(tmp, "none")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tr(t, db, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tc.code, r.err)
			}
			for _, s := range tc.says {
				if !strings.Contains(r.err, s) {
					t.Errorf("stderr %q does not say %q", r.err, s)
				}
			}
			if fileSum(t, backup) != saved {
				t.Error("the existing backup changed")
			}
		})
	}

	t.Run("--force replaces the backup", func(t *testing.T) {
		mustRun(t, db, "backup", "--force", backup)
		if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("replaced backup: %v, %v", info, err)
		}
	})

	t.Run("a store restored from its backup with cp passes verify", func(t *testing.T) {
		reader.Close()
		b, err := os.ReadFile(backup)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(db, b, 0o600); err != nil { // cp BACKUP tracker.db
			t.Fatal(err)
		}
		if got := mustRun(t, db, "verify"); !strings.HasSuffix(got, ": ok\n") {
			t.Errorf("verify of the restored store: %q", got)
		}
		if got := mustRun(t, db, "list"); got != list {
			t.Errorf("list of the restored store:\n%s\nwant\n%s", got, list)
		}
	})
}

func TestUsageErrorsAndPanicsKeepTheirExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"an unknown command exits 2", []string{"nope"}, exitUsage, []string{"unknown command", "tracker --help"}},
		{"an unknown flag exits 2", []string{"list", "--nope"}, exitUsage, []string{"--nope", "tracker --help"}},
		{"a panic in a command is an internal error and exits 1", []string{"boom"}, exitError, []string{
			"tracker: internal error: runtime error: index out of range [0] with length 0", "a bug in tracker", "please report it",
			"cli.TestUsageErrorsAndPanicsKeepTheirExitCodes", "backup_test.go:",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := Env{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }, Now: func() time.Time { return fixedNow }}
			root, g := newRoot(env)
			root.AddCommand(&cobra.Command{Use: "boom", RunE: func(_ *cobra.Command, args []string) error {
				var seen []int
				return fmt.Errorf("%d", seen[len(args)]) // index out of range
			}})
			if code := execute(context.Background(), root, g, tc.args, env); code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, errOut.String())
			}
			for _, s := range tc.says {
				if !strings.Contains(errOut.String(), s) {
					t.Errorf("stderr does not say %q:\n%s", s, errOut.String())
				}
			}
		})
	}
}

func TestRootHelpDocumentsExitCodesAndBackup(t *testing.T) {
	out := mustRun(t, filepath.Join(t.TempDir(), "tracker.db"), "--help")
	for _, s := range []string{"Exit codes: 0 ok; 1 the command failed", "2 the command line was wrong", "3 tracker check ran and the week did not pass", "backup       Write a consistent copy"} {
		if !strings.Contains(out, s) {
			t.Errorf("tracker --help does not say %q:\n%s", s, out)
		}
	}
}

func TestAnEmptyStoreFileSaysSo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tracker.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w1, _ := seedLayout(t, t.TempDir())
	for _, args := range [][]string{{"list"}, {"verify"}, {"ingest", w1}} {
		r := tr(t, db, args...)
		if r.code != 1 || !strings.Contains(r.err, db+" is an empty file (0 bytes), not a tracker store") || strings.Contains(r.err, "bad file descriptor") {
			t.Errorf("tracker %s on a 0-byte store: exit %d\n%s", args[0], r.code, r.err)
		}
	}
}
