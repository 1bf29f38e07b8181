package dropretrain

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

var csvNames = []string{"age", "income", "zip"}

func TestParseCSVRefusesBadRows(t *testing.T) {
	for _, c := range []struct {
		name, body, err string
	}{
		{"a header alone", "feature,metric\n", "f.csv: want a header row (feature,metric[,seed]) and at least one row"},
		{"a header without metric", "feature,value\n0,0.5\n", `f.csv: the header is "feature", "value"; it needs the columns feature and metric (and optionally seed)`},
		{"a short row", "feature,metric,seed\nbaseline,0.9\n", "f.csv line 2: 2 fields, the header has 3"},
		{"a feature past the model's", "feature,metric\nbaseline,0.9\n3,0.5\n", "f.csv line 3: feature 3: the model has features 0 to 2"},
		{"a name the series lacks", "feature,metric\nbaseline,0.9\nnope,0.5\n", `f.csv line 3: feature "nope": no feature has that name (tracker features lists them)`},
		{"a word for a metric", "feature,metric\nbaseline,0.9\n0,high\n", `f.csv line 3: metric "high" is not a number`},
		{"a NaN metric", "feature,metric\nbaseline,0.9\n0,-NaN\n", `f.csv line 3: metric "-NaN" is not a finite number within ±1.7e38: fix the row or remove it`},
		{"a metric beyond float32's half", "feature,metric\nbaseline,2e38\n", `f.csv line 2: metric "2e38" is not a finite number`},
		{"a quote left open", "feature,metric\n\"0,0.5\n", "f.csv: parse error on line 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCSV("f.csv", []byte(c.body), csvNames, len(csvNames))
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			// A bad line is the file's fault, not the command line's.
			if errors.Is(err, experiments.ErrFeature) {
				t.Errorf("error %v matches experiments.ErrFeature", err)
			}
		})
	}
}

func TestParseCSVReadsFeaturesByIndexOrName(t *testing.T) {
	rows, err := ParseCSV("f.csv", []byte("\ufeffSeed, Feature ,METRIC\n1,baseline,0.9\n1,\"zip\",0.5\n2,1,-0\n"), csvNames, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []CSVRow{{row: 2, feature: experiments.Baseline, seed: "1", metric: 0.9}, {row: 3, feature: 2, seed: "1", metric: 0.5}, {row: 4, feature: 1, seed: "2"}}
	if !slices.Equal(rows, want) {
		t.Errorf("rows %+v, want %+v", rows, want)
	}
}

func TestCSVRetrains(t *testing.T) {
	rows := func(body string) []CSVRow {
		r, err := ParseCSV("f.csv", []byte(body), csvNames, 3)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	half := 0.5
	for _, c := range []struct {
		name     string
		body     string
		baseline *float64
		err      string
		kind     error
	}{
		{"a feature and seed twice", "feature,metric,seed\nbaseline,0.9,1\n0,0.5,1\n0,0.6,1\n", nil, "f.csv lines 3 and 4 are both feature 0 with seed 1: give each feature and seed once", nil},
		{"the baseline twice", "feature,metric\nbaseline,0.9\nbaseline,0.8\n0,0.5\n", nil, "f.csv lines 2 and 3 are both the baseline: give each feature and seed once", nil},
		{"only baseline rows", "feature,metric\nbaseline,0.9\n", nil, "f.csv has only baseline rows: add one row per dropped feature", nil},
		{"no baseline", "feature,metric\n0,0.5\n", nil, "f.csv has no baseline row", ErrNoBaseline},
		{"a baseline row and one apart", "feature,metric\nbaseline,0.9\n0,0.5\n", &half, "f.csv line 2 is a baseline row", ErrTwoBaselines},
		{"a seed missing", "feature,metric,seed\nbaseline,0.9,1\nbaseline,0.9,2\n0,0.5,1\n", nil, "f.csv has no row for feature 0 with seed 2: every feature needs a row per seed", nil},
		{"a long seed is quoted in the message", "feature,metric,seed\nbaseline,0.9,1\n0,0.5,1\n1,0.5,123456789012345678901\n", nil, `f.csv has no row for feature 0 with seed "123456789012345678901"`, nil},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			_, _, err := CSVRetrains("f.csv", rows(c.body), "accuracy", c.baseline)
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			if c.kind != nil && (!errors.Is(err, c.kind) || err.Error() != c.err) {
				t.Errorf("error %q does not match %v, or says more than the facts", err, c.kind)
			}
		})
	}

	t.Run("a baseline without a seed serves every seed", func(t *testing.T) {
		got, opts, err := CSVRetrains("f.csv", rows("feature,metric,seed\nbaseline,0.9,\nzip,0.5,a\nzip,0.6,b\n0,0.7,b\n0,0.8,a\n"), "logloss", nil)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Metric != "logloss" || opts.Seeds != 2 || !slices.Equal(opts.Features, []int{0, 2}) {
			t.Errorf("options %+v", opts)
		}
		want := []experiments.Retrain{
			{Task: experiments.Task{Feature: 2, Seed: 0}, Metric: 0.5}, {Task: experiments.Task{Feature: 2, Seed: 1}, Metric: 0.6},
			{Task: experiments.Task{Feature: 0, Seed: 1}, Metric: 0.7}, {Task: experiments.Task{Feature: 0, Seed: 0}, Metric: 0.8},
			{Task: experiments.Task{Feature: experiments.Baseline, Seed: 0}, Metric: 0.9}, {Task: experiments.Task{Feature: experiments.Baseline, Seed: 1}, Metric: 0.9},
		}
		if !slices.EqualFunc(got, want, func(a, b experiments.Retrain) bool { return a.Task == b.Task && a.Metric == b.Metric }) {
			t.Errorf("retrains %+v, want %+v", got, want)
		}
	})
	t.Run("a baseline apart from the file serves every seed", func(t *testing.T) {
		got, opts, err := CSVRetrains("f.csv", rows("feature,metric\n1,0.25\n"), "accuracy", &half)
		if err != nil || opts.Seeds != 1 || len(got) != 2 || got[1].Task != (experiments.Task{Feature: experiments.Baseline}) || got[1].Metric != 0.5 {
			t.Errorf("retrains %+v, options %+v, error %v", got, opts, err)
		}
	})
}

func TestSeedText(t *testing.T) {
	for in, want := range map[string]string{
		"1": "1", "-2.5": "-2.5", "1e3": "1e3", "12345678901234567890": "12345678901234567890",
		"123456789012345678901": `"123456789012345678901"`, "Inf": `"Inf"`, "0x1p3": `"0x1p3"`, "1e": `"1e"`, "a": `"a"`, ".": `"."`,
	} {
		if got := seedText(in); got != want {
			t.Errorf("seedText(%q) = %s, want %s", in, got, want)
		}
	}
}
