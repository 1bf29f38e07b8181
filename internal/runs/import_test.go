package runs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/tracker"
)

func TestImportCSVRecordsOnce(t *testing.T) {
	ts := newStore(t)
	ts.ingest(t, "2019-01-14", 1, nil)
	dir := t.TempDir()
	file := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := file("good.csv", "feature,metric,seed\nbaseline,0.9,1\nbaseline,0.8,2\n0,0.85,1\n0,0.8,2\n")
	other := file("other.csv", "feature,metric,seed\nbaseline,0.9,1\nbaseline,0.8,2\n0,0.85,1\n0,0.7,2\n")
	sum := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:6])
	}
	refused := "week 2019-01-14 already has a drop-retrain record of data role week with these parameters, on data " + sum(good) + " with seed 0 (recorded 2019-02-04), and this run's data is " + sum(other) + " with seed 0"
	for _, c := range []struct {
		name    string
		spec    CSVSpec
		kind    error  // of the error; nil: recorded or found
		note    string // the notes, exactly
		changed bool   // the store changed
		err     string // the error, exactly, when not ""
	}{
		{"a good file is recorded", CSVSpec{Path: good}, nil, "", true, ""},
		{"the same file again is found and shown", CSVSpec{Path: good}, nil, "week 2019-01-14: " + good + " was already imported (on 2019-02-04); nothing stored\n", false, ""},
		{"another file for the same series is refused", CSVSpec{Path: other}, ErrReplace, "", false, refused},
		{"another file in another role is its own series", CSVSpec{Path: other, Role: "reference"}, nil, "", true, ""},
		{"another file with replace is recorded and speaks for the week", CSVSpec{Path: other, Replace: true}, nil,
			"week 2019-01-14: this drop-retrain record now speaks for the week; the one on data " + sum(good) + " with seed 0 (recorded 2019-02-04) is kept\n", true, ""},
		{"a role that is not a name is refused", CSVSpec{Path: good, Role: "Ref"}, ErrRole, "", false, ""},
		{"a file without baseline rows is refused", CSVSpec{Path: file("nobase.csv", "feature,metric\n0,0.5\n")}, dropretrain.ErrNoBaseline, "", false, ""},
		{"a baseline row and a baseline apart are refused", CSVSpec{Path: file("two.csv", "feature,metric\nbaseline,0.9\n0,0.5\n"), Baseline: new(float64)}, dropretrain.ErrTwoBaselines, "", false, ""},
		{"a missing file is refused", CSVSpec{Path: filepath.Join(dir, "none.csv")}, os.ErrNotExist, "", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.spec.Model, c.spec.Week, c.spec.Metric = tracker.DefaultModel, "latest", "accuracy"
			before := ts.sum(t)
			var notes strings.Builder
			out, err := ImportCSV(ts.env(&notes), c.spec)
			if c.kind != nil {
				if !errors.Is(err, c.kind) || (c.err != "" && err.Error() != c.err) {
					t.Errorf("error %v, want %q matching %v", err, c.err, c.kind)
				}
			} else if err != nil || len(out.Weeks) != 1 || out.Weeks[0].Record.Value[0] < 0.02 {
				t.Errorf("error %v; want the week with feature 0 recorded", err)
			}
			if notes.String() != c.note || (ts.sum(t) != before) != c.changed {
				t.Errorf("notes %q (want %q), store changed %v (want %v)", notes.String(), c.note, ts.sum(t) != before, c.changed)
			}
		})
	}
	if n := ts.records(t, 1)[experiments.KindDropRetrain]; n != 3 {
		t.Errorf("%d drop-retrain records, want 3", n)
	}
}
