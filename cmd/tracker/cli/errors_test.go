package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

// errorsOf are real errors of the packages below, each from the call a
// command makes, so the table checks the hints against the facts those
// packages state today.
type errorsOf struct {
	t   *testing.T
	tmp string
}

// open is tracker.Open's refusal of path.
func (e errorsOf) open(path string, opts tracker.Options) error {
	e.t.Helper()
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	s, err := tracker.Open(path, opts)
	if err == nil {
		s.Close()
		e.t.Fatalf("open %s succeeded", path)
	}
	return err
}

// file writes content to name in the temporary directory.
func (e errorsOf) file(name, content string) string {
	e.t.Helper()
	path := filepath.Join(e.tmp, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// store is a new store, closed at cleanup.
func (e errorsOf) store(name string) (*tracker.Store, string) {
	e.t.Helper()
	path := filepath.Join(e.tmp, name)
	s, err := tracker.Open(path, tracker.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s, path
}

func (e errorsOf) locked() error {
	_, path := e.store("locked.db")
	return e.open(path, tracker.Options{LockTimeout: 50 * time.Millisecond})
}

// conflict ingests one model for a week, then another for the same week.
func (e errorsOf) conflict() (old, other string, err error) {
	e.t.Helper()
	s, _ := e.store("conflict.db")
	snaps := make([]*snapshot.Snapshot, 2)
	for i := range snaps {
		snap, err := snapshottest.RandomMLP(uint64(i+1), []int{3, 4, 2}, snapshot.Meta{})
		if err != nil {
			e.t.Fatal(err)
		}
		snaps[i] = snap
	}
	if _, err := s.Ingest([]tracker.IngestRequest{{Model: "m", Week: "2019-01-14", Snapshot: snaps[0]}}); err != nil {
		e.t.Fatal(err)
	}
	_, err = s.Ingest([]tracker.IngestRequest{{Model: "m", Week: "2019-01-14", Snapshot: snaps[1]}})
	return snaps[0].ShortHash(), snaps[1].ShortHash(), err
}

func (e errorsOf) noVersions() error {
	s, _ := e.store("empty.db")
	_, err := s.Latest("")
	return err
}

func (e errorsOf) parse(csv string, opts dataset.Options) error {
	_, err := dataset.Parse([]byte(csv), opts)
	return err
}

// dropRetrain is NewDropRetrainData's refusal of rows with these labels,
// for a two-class model; nil labels means none.
func (e errorsOf) dropRetrain(labels []int, classes []string) error {
	d := &dataset.Dataset{Rows: len(labels), Cols: 1, X: make([]float32, len(labels)), Labels: labels, Classes: classes}
	if labels == nil {
		d.Rows, d.X = 2, make([]float32, 2)
	}
	_, err := experiments.NewDropRetrainData(d, nil, 0.5, 2)
	return err
}

func (e errorsOf) noStructure() (weights string, err error) {
	e.file("m_weights.h5", "")
	_, err = keras.Resolve(filepath.Join(e.tmp, "m"), "")
	return filepath.Join(e.tmp, "m_weights.h5"), err
}

// TestExplainMapsEachKindToItsHintAndCode checks all of stderr and the exit
// code for each kind in the hint table, and for usage mistakes, a damaged
// store and an error of no kind.
func TestExplainMapsEachKindToItsHintAndCode(t *testing.T) {
	tmp := t.TempDir()
	e := errorsOf{t, tmp}
	missing := filepath.Join(tmp, "missing.db")
	text := e.file("notes.db", "week,feature,importance\n")
	empty := e.file("empty-file.db", "")
	oldHash, newHash, conflict := e.conflict()
	weights, noStructure := e.noStructure()
	noLabels := e.dropRetrain(nil, nil)
	_, featureErr := experiments.FeatureIndex("nope", nil, 3)
	_, weekErr := tracker.ParseWeek("x")
	const usageLine = "Run 'tracker --help' for usage.\n"

	for _, tc := range []struct {
		name string
		err  error
		want string // all of stderr
		code int
	}{
		{"a missing store says to ingest or point --db or TRACKER_DB at it",
			e.open(missing, tracker.Options{ReadOnly: true}),
			"tracker: no tracker store at " + missing + ": ingest a model first (tracker ingest), or point --db or TRACKER_DB at your store\n", exitError},
		{"a directory for a store says to pass the store file with --db",
			e.open(tmp, tracker.Options{}),
			"tracker: not a tracker store: " + tmp + " is a directory: pass the store file with --db\n", exitError},
		{"another program's file says to pass the right file with --db",
			e.open(text, tracker.Options{ReadOnly: true}),
			"tracker: not a tracker store: " + text + " is not a tracker store (not a bbolt database): pass the right file with --db\n", exitError},
		{"an empty file keeps its own next step and gets no flag",
			e.open(empty, tracker.Options{}),
			"tracker: not a tracker store: " + empty + " is an empty file (0 bytes), not a tracker store: remove it to start a new store there\n", exitError},
		{"a locked store says how long it waited, then to raise --lock-timeout",
			e.locked(),
			"tracker: store is locked: another tracker process holds " + filepath.Join(tmp, "locked.db") + " (waited 50ms); wait for it to finish, or raise --lock-timeout\n", exitError},
		{"a week with other content says to pass --replace or --week",
			conflict,
			`tracker: week already has a different version: model "m" week 2019-01-14 is version 1 (hash ` + oldHash + "), and this model differs (hash " + newHash + "): pass --replace to add it as a new version of that week, or --week for another week\n", exitError},
		{"a series with no versions says to ingest one",
			e.noVersions(),
			"tracker: model \"\" has no versions: ingest one first\n", exitError},
		{"a week that is not a date is a usage error",
			weekErr,
			"tracker: week \"x\" is not a date: write it as YYYY-MM-DD or YYYYMMDD, for example 2019-01-14\n" + usageLine, exitUsage},
		{"a feature the model does not have is a usage error",
			featureErr,
			"tracker: " + featureErr.Error() + "\n" + usageLine, exitUsage},
		{"data without labels says to name the label column with --label",
			fmt.Errorf("%s: %w", "train.csv", noLabels),
			"tracker: train.csv: the training data has no labels: name the label column with --label\n", exitError},
		{"a label class beyond the model's says to check --label or give --classes",
			e.dropRetrain([]int{0, 2}, []string{"a", "b", "c"}),
			`tracker: the training data: data row 2 has label class 2 ("c"), but the model has classes 0 to 1: check --label, or list the class values in order with --classes` + "\n", exitError},
		{"a text cell says to --drop an id column or make it the --label",
			e.parse("a,b\n1,x\n", dataset.Options{}),
			`tracker: bad data file: row 1 (line 2), column "b" (index 1) is "x", not a number: fix the cell, or drop the column or make it the label (--drop NAME ignores an id column, --label NAME reads the label)` + "\n", exitError},
		{"an unknown column says how --label and --drop name one",
			e.parse("a,b\n1,2\n", dataset.Options{Label: "nope"}),
			`tracker: bad data file: the label column "nope" is neither a header name nor an index 0 to 1 (the file has 2 columns: "a", "b") (--label and --drop take a header name, exactly, or a 0-based index)` + "\n", exitError},
		{"a label outside --classes says how --classes lists them",
			e.parse("a,label\n1,yes\n", dataset.Options{Label: "label", Classes: []string{"no", "maybe"}}),
			`tracker: bad data file: row 1 (line 2) has label "yes", which is not among the classes "no", "maybe" (--classes lists the label values in class order, class 0 first)` + "\n", exitError},
		{"weights without a structure say to pass --structure",
			noStructure,
			"tracker: no structure: found " + weights + ` but no structure beside it (looked for "m_structure.json", "m.json", "m_architecture.json" (or .yaml, .yml)): give its structure too: pass it with --structure FILE` + "\n", exitError},
		{"several models at one path say how to name one with --structure",
			fmt.Errorf("%w: directory %s holds 2 models (%q, %q): name the one to ingest", keras.ErrAmbiguous, "Model/20190114", "a.json with a.h5", "b.h5"),
			`tracker: ambiguous model files: directory Model/20190114 holds 2 models ("a.json with a.h5", "b.h5"): name the one to ingest (pass the weights file as PATH and its structure with --structure FILE)` + "\n", exitError},
		{"a usage error points to the help",
			usagef("--data FILE is required"),
			"tracker: --data FILE is required\n" + usageLine, exitUsage},
		{"cobra's unknown command points to the help",
			errors.New(`unknown command "nope" for "tracker"`),
			"tracker: unknown command \"nope\" for \"tracker\"\n" + usageLine, exitUsage},
		{"a damaged store gives the restore steps for its file",
			fmt.Errorf("read week: %w", &tracker.DamagedError{Path: "/data/my store.db", Found: "page 9 is cut short"}),
			"tracker: read week: store /data/my store.db is damaged: page 9 is cut short\n" +
				"tracker query stopped: the store's file is damaged. Restore your latest 'tracker backup' copy over it, then check it:\n" +
				"  cp BACKUP '/data/my store.db'\n  tracker --db '/data/my store.db' verify\n", exitError},
		{"damage without a file named restores the store in use",
			fmt.Errorf("%w: freelist", tracker.ErrDamaged),
			"tracker: store is damaged: freelist\n" +
				"tracker query stopped: the store's file is damaged. Restore your latest 'tracker backup' copy over it, then check it:\n" +
				"  cp BACKUP tracker.db\n  tracker --db tracker.db verify\n", exitError},
		{"any other error fails with its message alone",
			errors.New("boom"),
			"tracker: boom\n", exitError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error to explain")
			}
			got, code := explain(tc.err, "tracker query", "tracker.db")
			if got != tc.want || code != tc.code {
				t.Errorf("explain = exit %d\n%s\nwant exit %d\n%s", code, got, tc.code, tc.want)
			}
		})
	}
}

// TestExplainAddsEachHintOnce checks the hint lands after the facts it
// completes, whatever a caller wrapped around them, and never twice.
func TestExplainAddsEachHintOnce(t *testing.T) {
	e := errorsOf{t, t.TempDir()}
	noVersions := e.noVersions()
	const facts, hint = `model "" has no versions`, ": ingest one first"
	for _, tc := range []struct {
		name string
		err  error
		want string
		code int
	}{
		{"a context wrapped after the facts stays after the hint",
			fmt.Errorf("week 2019-01-14: %w (3 of 9 trainings of this run are stored)", noVersions),
			"tracker: week 2019-01-14: " + facts + hint + " (3 of 9 trainings of this run are stored)\n", exitError},
		{"a caller that added the hint already is left alone",
			fmt.Errorf("%w: ingest one first", noVersions),
			"tracker: " + facts + hint + "\n", exitError},
		{"the same facts joined twice get the hint after the last",
			errors.Join(noVersions, fmt.Errorf("plot: %w", noVersions)),
			"tracker: " + facts + "\nplot: " + facts + hint + "\n", exitError},
		{"a usage error of a hinted kind exits 2 with its hint",
			usageError{fmt.Errorf("--week latest: %w", noVersions)},
			"tracker: --week latest: " + facts + hint + "\nRun 'tracker --help' for usage.\n", exitUsage},
		{"a bare sentinel gets the hint at the end",
			tracker.ErrNoVersions,
			"tracker: no versions" + hint + "\n", exitError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, code := explain(tc.err, "tracker run", "tracker.db")
			if got != tc.want || code != tc.code {
				t.Errorf("explain = exit %d\n%s\nwant exit %d\n%s", code, got, tc.code, tc.want)
			}
		})
	}
}

// TestHintsListEachKindOnce keeps the table honest: each kind once, with
// a hint or a usage exit.
func TestHintsListEachKindOnce(t *testing.T) {
	seen := map[error]bool{}
	for _, h := range hints {
		if seen[h.kind] {
			t.Errorf("%v is in the hint table twice", h.kind)
		}
		seen[h.kind] = true
		if h.code != exitError && h.code != exitUsage {
			t.Errorf("%v exits %d, want %d or %d", h.kind, h.code, exitError, exitUsage)
		}
		if h.text == "" && h.code != exitUsage {
			t.Errorf("%v has neither a hint nor a usage exit: it needs no entry", h.kind)
		}
	}
}

// TestStoreRefusalsCarryTheirHintEndToEnd runs the command tree on paths
// that are not stores: the hint comes from errors.go, once, at the end.
func TestStoreRefusalsCarryTheirHintEndToEnd(t *testing.T) {
	tmp := t.TempDir()
	e := errorsOf{t, tmp}
	for _, tc := range []struct {
		name, db, hint string
	}{
		{"no file", filepath.Join(tmp, "missing.db"), ": ingest a model first (tracker ingest), or point --db or TRACKER_DB at your store\n"},
		{"a directory", tmp, " is a directory: pass the store file with --db\n"},
		{"a text file", e.file("notes.db", "week,feature,importance\n"), " (not a bbolt database): pass the right file with --db\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tr(t, tc.db, "list")
			if r.code != exitError || !strings.HasPrefix(r.err, "tracker: ") || !strings.HasSuffix(r.err, tc.hint) || strings.Count(r.err, "--db") != strings.Count(tc.hint, "--db") {
				t.Errorf("exit %d, stderr %q; want exit 1 and a message ending %q", r.code, r.err, tc.hint)
			}
		})
	}
}
