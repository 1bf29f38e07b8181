package cli

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/internal/runs"
)

// referenceFile writes the planted data's first rows as another file, a
// fixed reference set.
func referenceFile(t *testing.T, data string, rows int) string {
	t.Helper()
	lines := strings.SplitAfter(mustRead(t, data), "\n")
	return writeFile(t, filepath.Join(filepath.Dir(data), "reference.csv"), strings.Join(lines[:rows+1], ""))
}

func TestADataRoleIsASeriesOfItsOwn(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	mustRun(t, db, "ingest", "--week", "2019-01-21", prefix)
	ref := referenceFile(t, data, 120)
	perturb := []string{"run", "perturb", "--all", "--drop", "id", "--label", "label", "--pivots", "20", "--samples", "5"}
	mustRun(t, db, append(perturb, "--data", data)...)
	out := mustRun(t, db, append(perturb, "--data", ref, "--data-role", "reference")...)
	if !strings.HasPrefix(out, "week,index,name,value,spread,se,rank,flip_rate\n") || strings.Count(out, "\n") != 13 {
		t.Errorf("the reference run printed:\n%s", out)
	}
	rows, err := csv.NewReader(strings.NewReader(mustRun(t, db, "query", "feature", "b", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"perturb value", "perturb(data_role=reference) value"} {
		if !slices.Contains(rows[0], col) {
			t.Fatalf("query feature has no column %q: %q", col, rows[0])
		}
	}
	if len(rows) != 3 {
		t.Fatalf("query feature: %d rows, want a header and two weeks", len(rows))
	}
	own, other := slices.Index(rows[0], "perturb value"), slices.Index(rows[0], "perturb(data_role=reference) value")
	for _, r := range rows[1:] {
		if r[own] == "" || r[other] == "" || r[own] == r[other] {
			t.Errorf("week %s: perturb %q, reference %q; want both, from their own data", r[0], r[own], r[other])
		}
	}
	// The week's own series is untouched by the reference runs: running it
	// again finds the stored records.
	if r := tr(t, db, append(perturb, "--data", data)...); r.code != 0 || strings.Count(r.err, "already recorded") != 2 {
		t.Errorf("the week's own run again: exit %d, stderr %q", r.code, r.err)
	}
}

func TestReplaceAndRoleOnEveryCommandThatRecords(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	ref := referenceFile(t, data, 150)
	h := func(path string) string { return fileSum(t, path)[:12] }
	retrains := writeFile(t, filepath.Join(tmp, "retrains.csv"), "feature,metric\nbaseline,0.9\n0,0.8\n1,0.95\n")
	other := writeFile(t, filepath.Join(tmp, "retrains2.csv"), "feature,metric\nbaseline,0.9\n0,0.7\n1,0.95\n")
	drop := []string{"run", "drop-retrain", "--drop", "id", "--label", "label", "--epochs", "1", "--seeds", "1", "--features", "a"}
	hint := ": pass --replace to record it and let it speak for the week, or --data-role NAME to keep it as its own series\n"
	refused := func(kind, stored, run string) string {
		return fmt.Sprintf("tracker: week 2019-01-14 already has a %s record of data role week with these parameters, on data %s with seed %s (recorded 2026-11-24), and this run's data is %s with seed %s%s", kind, stored[:12], stored[13:], run[:12], run[13:], hint)
	}
	for _, c := range []struct {
		name string
		args []string
		err  string // all of stderr when refused
	}{
		{"gradient records", []string{"run", "gradient", "--data", data, "--drop", "id", "--label", "label", "--steps", "4", "--rows", "20"}, ""},
		{"gradient on other data is refused", []string{"run", "gradient", "--data", ref, "--drop", "id", "--label", "label", "--steps", "4", "--rows", "20"},
			refused("gradient", h(data)+" 1", h(ref)+" 1")},
		{"gradient on other data with --replace records", []string{"run", "gradient", "--data", ref, "--drop", "id", "--label", "label", "--steps", "4", "--rows", "20", "--replace"}, ""},
		{"permutation records", []string{"run", "permutation", "--data", data, "--drop", "id", "--label", "label", "--repeats", "1"}, ""},
		{"permutation with another seed is refused", []string{"run", "permutation", "--data", data, "--drop", "id", "--label", "label", "--repeats", "1", "--seed", "7"},
			refused("permutation", h(data)+" 1", h(data)+" 7")},
		{"permutation with another seed in a role of its own records", []string{"run", "permutation", "--data", data, "--drop", "id", "--label", "label", "--repeats", "1", "--seed", "7", "--data-role", "seed-7"}, ""},
		{"drop-retrain records", append(drop, "--data", data), ""},
		{"drop-retrain on other data is refused", append(drop, "--data", ref), refused("drop-retrain", h(data)+" 1", h(ref)+" 1")},
		{"drop-retrain on other data with --replace records", append(drop, "--data", ref, "--replace"), ""},
		{"a CSV import records", []string{"import", "drop-retrain", retrains}, ""},
		{"another CSV is refused", []string{"import", "drop-retrain", other}, refused("drop-retrain", h(retrains)+" 0", h(other)+" 0")},
		{"another CSV in the reference role records", []string{"import", "drop-retrain", other, "--data-role", "reference"}, ""},
		{"another CSV with --replace records", []string{"import", "drop-retrain", other, "--replace"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := fileSum(t, db)
			r := tr(t, db, c.args...)
			if c.err == "" {
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.err)
				}
				if fileSum(t, db) == before {
					t.Error("nothing was recorded")
				}
				return
			}
			if r.code != exitError || r.err != c.err {
				t.Errorf("exit %d, stderr\n%s\nwant exit 1 and\n%s", r.code, r.err, c.err)
			}
			if fileSum(t, db) != before {
				t.Error("a refused run changed the store")
			}
		})
	}
	// The replacement speaks for the week; the old record is kept. The
	// runs again find their stored records, as the same identity is no
	// rival, and print their values.
	value := func(out string, col int) float64 {
		t.Helper()
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Split(line, ","); len(f) > col && f[1] == "1" {
				v, err := strconv.ParseFloat(f[col], 64)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
		t.Fatalf("no feature 1 in\n%s", out)
		return 0
	}
	gradient := []string{"run", "gradient", "--drop", "id", "--label", "label", "--steps", "4", "--rows", "20"}
	onData := value(mustRun(t, db, append(gradient, "--data", data)...), 3)
	onRef := value(mustRun(t, db, append(gradient, "--data", ref)...), 3)
	wide := value(mustRun(t, db, "export", "--wide", "--experiment", "gradient"), 3)
	if math.Abs(wide-onRef) > 1e-6*math.Abs(onRef) || math.Abs(wide-onData) < 1e-6*math.Abs(onData) {
		t.Errorf("feature 1 speaks for the week with %v; the replacement has %v, the old record %v", wide, onRef, onData)
	}
	if n := strings.Count(mustRun(t, db, "export"), ",gradient,"); n != 12 {
		t.Errorf("export (long) has %d gradient rows, want both records of 6 features: the old one is kept", n)
	}
}

func TestDataRoleMustBeAName(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	before := fileSum(t, db)
	for _, args := range [][]string{
		{"run", "perturb", "--data", data, "--drop", "id", "--label", "label"},
		{"run", "permutation", "--data", data, "--drop", "id", "--label", "label"},
		{"run", "gradient", "--data", data, "--drop", "id", "--label", "label"},
		{"run", "drop-retrain", "--data", data, "--drop", "id", "--label", "label"},
		{"import", "drop-retrain", writeFile(t, filepath.Join(tmp, "r.csv"), "feature,metric\nbaseline,0.9\n0,0.8\n")},
	} {
		for _, role := range []string{"", "Reference", "a b", strings.Repeat("r", 33)} {
			t.Run(fmt.Sprintf("%s %s with role %q", args[0], args[1], role), func(t *testing.T) {
				r := tr(t, db, append(args, "--data-role", role)...)
				want := fmt.Sprintf("tracker: --data-role: data role %q is not a name of 1 to 32 lowercase letters, digits, _ and -, such as week or reference\nRun 'tracker --help' for usage.\n", role)
				if r.code != exitUsage || r.err != want {
					t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.err, want)
				}
				if fileSum(t, db) != before {
					t.Error("the store changed")
				}
			})
		}
	}
	if runs.DefaultRole != "week" {
		t.Errorf("the default role is %q, which the flags' help calls week", runs.DefaultRole)
	}
}

func TestDataColumnsAreMatchedByName(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	mustRun(t, db, "features", "set", writeFile(t, filepath.Join(tmp, "names.txt"), "a\nb\nc\nd\ne\nf\n"))
	// The same rows, columns shuffled; and with a column renamed.
	shuffle := func(name string, header []string, rename map[string]string) string {
		var b strings.Builder
		lines := strings.Split(strings.TrimSpace(mustRead(t, data)), "\n")
		from := strings.Split(lines[0], ",")
		for _, line := range lines {
			cells := strings.Split(line, ",")
			out := make([]string, len(header))
			for j, h := range header {
				out[j] = cells[slices.Index(from, h)]
				if n, ok := rename[out[j]]; ok && line == lines[0] {
					out[j] = n
				}
			}
			b.WriteString(strings.Join(out, ",") + "\n")
		}
		return writeFile(t, filepath.Join(tmp, name), b.String())
	}
	order := []string{"f", "label", "c", "id", "a", "e", "b", "d"}
	shuffled := shuffle("shuffled.csv", order, nil)
	renamed := shuffle("renamed.csv", order, map[string]string{"e": "E", "b": "income"})
	values := func(csvOut string) map[string]string {
		rows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, r := range rows[1:] {
			m[r[2]] = strings.Join(r[3:], ",")
		}
		return m
	}
	gradient := []string{"--drop", "id", "--label", "label", "--steps", "8", "--rows", "40"}
	want := values(mustRun(t, db, append([]string{"run", "gradient", "--data", data}, gradient...)...))
	// Another file is other data: a role of its own keeps the first record.
	got := values(mustRun(t, db, append([]string{"run", "gradient", "--data", shuffled, "--data-role", "shuffled"}, gradient...)...))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the shuffled file measured\n%v\nwant the original order's\n%v", got, want)
	}
	predict := mustRun(t, db, "predict", "--data", data, "--drop", "id", "--label", "label")
	if p := mustRun(t, db, "predict", "--data", shuffled, "--drop", "id", "--label", "label"); p != predict {
		t.Errorf("predict on the shuffled file differs from the original order")
	}
	before := fileSum(t, db)
	want2 := `tracker: ` + renamed + `: the header does not match the 6 feature names of model "default": missing "b", "e"; unexpected "E", "income": pass the label column with --label and extra columns such as ids with --drop, or replace the series' names with tracker features set FILE` + "\n"
	for _, args := range [][]string{
		append([]string{"run", "gradient", "--data", renamed, "--data-role", "renamed"}, gradient...),
		{"run", "drop-retrain", "--data", renamed, "--drop", "id", "--label", "label", "--epochs", "1", "--seeds", "1"},
		{"run", "drop-retrain", "--data", data, "--val", renamed, "--drop", "id", "--label", "label", "--epochs", "1", "--seeds", "1"},
		{"predict", "--data", renamed, "--drop", "id", "--label", "label"},
	} {
		r := tr(t, db, args...)
		if r.code != exitError || r.err != want2 {
			t.Errorf("%s %s: exit %d, stderr\n%s\nwant\n%s", args[0], args[1], r.code, r.err, want2)
		}
	}
	if fileSum(t, db) != before {
		t.Error("a refused run changed the store")
	}
	// Without a header the columns are taken by position, said once.
	lines := strings.SplitAfter(mustRead(t, data), "\n")
	bare := writeFile(t, filepath.Join(tmp, "bare.csv"), strings.Join(lines[1:], ""))
	r := tr(t, db, "run", "gradient", "--data", bare, "--drop", "0", "--label", "7", "--steps", "8", "--rows", "40", "--data-role", "bare")
	note := bare + ` has no header: its columns are taken by position as the features of model "default"` + "\n"
	if r.code != 0 || strings.Count(r.err, note) != 1 {
		t.Errorf("exit %d, stderr %q; want the note once", r.code, r.err)
	}
	if _, err := os.Stat(bare); err != nil {
		t.Fatal(err)
	}
}
