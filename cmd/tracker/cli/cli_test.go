package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/internal/fixtures"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// fixedNow is the clock every command sees in tests.
var fixedNow = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

// result is what one tracker run printed and returned.
type result struct {
	out, err string
	code     int
}

// runTracker runs the command tree on buffers with a fixed clock and an
// environment holding only env.
func runTracker(t testing.TB, env map[string]string, tty bool, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, Env{
		In: strings.NewReader(""), Out: &out, ErrOut: &errOut, OutTTY: tty,
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return fixedNow },
	})
	return result{out.String(), errOut.String(), code}
}

// tr runs tracker against the store db, as if piped.
func tr(t testing.TB, db string, args ...string) result {
	t.Helper()
	return runTracker(t, nil, false, append([]string{"--db", db}, args...)...)
}

func mustRun(t testing.TB, db string, args ...string) string {
	t.Helper()
	r := tr(t, db, args...)
	if r.code != 0 {
		t.Fatalf("tracker %s: exit %d\n%s", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// golden compares got with testdata/name.golden after replacing the
// temporary directory with $TMP; -update rewrites the file.
func golden(t *testing.T, name, got, tmp string) {
	t.Helper()
	if tmp != "" {
		got = strings.ReplaceAll(got, tmp, "$TMP")
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func fileSum(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "absent"
	}
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedLayout lays out two weeks of the Pima model the way the users' seed
// project does: Model/YYYYMMDD/0_10.1_structure.json + _weights.h5.
func seedLayout(t testing.TB, dir string) (week1, week2 string) {
	t.Helper()
	a := fixtures.Keras(t, "pima-json-h5-keras224")
	b := fixtures.Keras(t, "pima-yaml-h5-keras224")
	week1 = filepath.Join(dir, "Model", "20190114", "0_10.1")
	week2 = filepath.Join(dir, "Model", "20190121", "0_10.1")
	copyFile(t, filepath.Join(a, "022.json"), week1+"_structure.json")
	copyFile(t, filepath.Join(a, "022.h5"), week1+"_weights.h5")
	copyFile(t, filepath.Join(b, "023.yaml"), week2+"_structure.yaml")
	copyFile(t, filepath.Join(b, "023.h5"), week2+"_weights.h5")
	return week1, week2
}

func TestIngestListShowGolden(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	w1, w2 := seedLayout(t, tmp)
	golden(t, "ingest", mustRun(t, db, "ingest", w1, w2), tmp)
	golden(t, "ingest_again", mustRun(t, db, "ingest", w1), tmp)
	golden(t, "list_csv", mustRun(t, db, "list"), tmp)
	golden(t, "list_json", mustRun(t, db, "list", "--format", "json"), tmp)
	golden(t, "list_table", runTracker(t, nil, true, "--db", db, "list").out, tmp)
	golden(t, "show", mustRun(t, db, "show", "2019-01-21"), tmp)
	golden(t, "show_json", mustRun(t, db, "show", "20190114", "--format", "json"), tmp)
	golden(t, "verify", mustRun(t, db, "verify"), tmp)
}

func TestReadOnlyCommandsLeaveTheStoreByteIdentical(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	w1, w2 := seedLayout(t, tmp)
	mustRun(t, db, "ingest", w1, w2)
	before := fileSum(t, db)
	for _, args := range [][]string{
		{"list"}, {"list", "--format", "json"}, {"show", "latest"}, {"verify"},
		{"export-model", "2019-01-14", "--out", filepath.Join(tmp, "out")}, {"migrate", "--dry-run"},
	} {
		mustRun(t, db, args...)
		if after := fileSum(t, db); after != before {
			t.Fatalf("tracker %s changed the store", strings.Join(args, " "))
		}
	}
}

func TestExportModelRoundTripsToTheSameHash(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	w1, _ := seedLayout(t, tmp)
	first := mustRun(t, db, "ingest", w1)
	out := filepath.Join(tmp, "exported")
	mustRun(t, db, "export-model", "2019-01-14", "--out", out)
	again := mustRun(t, db, "ingest", "--week", "2019-03-04", filepath.Join(out, "default"))
	hash := func(line string) string { return strings.Fields(line)[3] }
	if hash(first) != hash(again) {
		t.Fatalf("hash before export %s, after %s", hash(first), hash(again))
	}
}

func TestDBPathPrecedence(t *testing.T) {
	tmp := t.TempDir()
	w1, _ := seedLayout(t, tmp)
	envDB := filepath.Join(tmp, "env.db")
	flagDB := filepath.Join(tmp, "flag.db")
	env := map[string]string{"TRACKER_DB": envDB}
	if r := runTracker(t, env, false, "ingest", w1); r.code != 0 {
		t.Fatal(r.err)
	}
	if _, err := os.Stat(envDB); err != nil {
		t.Fatalf("TRACKER_DB was not used: %v", err)
	}
	if r := runTracker(t, env, false, "--db", flagDB, "ingest", w1); r.code != 0 {
		t.Fatal(r.err)
	}
	if _, err := os.Stat(flagDB); err != nil {
		t.Fatalf("--db did not override TRACKER_DB: %v", err)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tracker.db")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown command", []string{"frobnicate"}, "unknown command"},
		{"an unknown flag", []string{"list", "--colour"}, "unknown flag"},
		{"ingest without a path", []string{"ingest"}, "at least one model PATH"},
		{"a week that is not a date", []string{"ingest", "--week", "2019-13-45", "x"}, "not a date"},
		{"a bad model name", []string{"ingest", "--model", "a b", "x"}, "model name"},
		{"an unknown format", []string{"list", "--format", "xml"}, "choose one of"},
		{"show without a week", []string{"show"}, "one WEEK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tr(t, db, tc.args...)
			if r.code != exitUsage || !strings.Contains(r.err, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 mentioning %q", r.code, r.err, tc.want)
			}
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Fatal("a usage error created the store")
			}
		})
	}
}

func TestReadOnlyCommandOnAMissingStoreSaysWhatToDo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	r := tr(t, db, "list")
	if r.code != exitError || !strings.Contains(r.err, "tracker ingest") || !strings.Contains(r.err, db) {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatal("list created a store")
	}
}
