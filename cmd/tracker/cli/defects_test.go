package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/internal/demo"
)

// The tests of issue 12's first list, one per defect, on the proof
// season's models and data: each records runs in a store of its own.

// permArgs is a quick permutation run of week on data.
func permArgs(p *proofFixture, week, data string, extra ...string) []string {
	return append([]string{"run", "permutation", "--week", week, "--data", data, "--label", p.season.Label,
		"--repeats", "3", "--format", "json"}, extra...)
}

// sameByName reports the features whose values differ between two
// results keyed by name; want must name every feature.
func sameByName(t *testing.T, names []string, got, want map[string]float64) {
	t.Helper()
	var diff []string
	for _, n := range names {
		// Query prints float32 values, a run float64 ones.
		g, ok := got[n]
		if !ok || math.Abs(g-want[n]) > 1e-6*max(math.Abs(g), math.Abs(want[n]))+1e-12 {
			diff = append(diff, fmt.Sprintf("%s %.4g (want %.4g)", n, g, want[n]))
		}
	}
	if len(diff) > 0 {
		t.Errorf("%d of %d features measure other values: %s", len(diff), len(names), strings.Join(diff[:min(len(diff), 6)], ", "))
	}
}

// queryValues are week's values under kind by feature name, from query week.
func queryValues(t testing.TB, db, week, kind string) map[string]float64 {
	t.Helper()
	var rows []struct {
		Name  string  `json:"name"`
		Value float64 `json:"value"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, db, "query", "week", week, "--experiment", kind, "--format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	m := map[string]float64{}
	for _, r := range rows {
		m[r.Name] = r.Value
	}
	return m
}

// testColumnsByName: defect 1. The same rows with the columns in another
// order must measure the same value for every feature name; a header
// that lacks a stored name is refused, naming what is missing and what is
// unexpected; a file without a header is read by position, and the run
// says so once.
func testColumnsByName(t *testing.T, p *proofFixture) {
	s, last, prev := p.season, p.last(), p.last()-1
	rows := readCSV(t, s.Weeks[last].Holdout)
	dir := t.TempDir()
	// Every column reversed, the label's too.
	reversed := make([][]string, len(rows))
	for i, r := range rows {
		reversed[i] = slices.Clone(r)
		slices.Reverse(reversed[i])
	}
	reordered := writeCSVFile(t, dir, "reordered.csv", reversed)
	want := runValues(t, mustRun(t, p.freshStore(t, last), permArgs(p, p.week(last), s.Weeks[last].Holdout)...))

	t.Run("a reordered header measures the same values per feature name", func(t *testing.T) {
		// The series learns its names from the previous week's file, in
		// the right order, as a user's store does.
		db := p.freshStore(t, prev, last)
		mustRun(t, db, permArgs(p, p.week(prev), s.Weeks[prev].Holdout)...)
		r := tr(t, db, permArgs(p, p.week(last), reordered)...)
		if r.code != 0 {
			t.Fatalf("a run on the reordered file: exit %d: %s", r.code, r.err)
		}
		t.Run("as the run prints them", func(t *testing.T) { sameByName(t, s.Names, runValues(t, r.out), want) })
		t.Run("as query week shows them", func(t *testing.T) {
			sameByName(t, s.Names, queryValues(t, db, p.week(last), "permutation"), want)
		})
	})

	t.Run("a header without a stored name is refused, naming the missing and unexpected columns", func(t *testing.T) {
		db := p.freshStore(t, prev, last)
		mustRun(t, db, permArgs(p, p.week(prev), s.Weeks[prev].Holdout)...)
		renamed := slices.Clone(rows)
		renamed[0] = slices.Clone(rows[0])
		missing, unexpected := renamed[0][40], "churn_score"
		renamed[0][40] = unexpected
		path := writeCSVFile(t, dir, "renamed.csv", renamed)
		before := fileSum(t, db)
		r := tr(t, db, permArgs(p, p.week(last), path)...)
		if r.code == 0 || !strings.Contains(r.err, missing) || !strings.Contains(r.err, unexpected) {
			t.Errorf("a header with %s in place of %s: exit %d, %q; want a refusal naming both", unexpected, missing, r.code, r.err)
		}
		if fileSum(t, db) != before {
			t.Error("the refused run changed the store")
		}
	})

	t.Run("a file without a header is read by position and the run says so once", func(t *testing.T) {
		db := p.freshStore(t, prev, last)
		var names strings.Builder
		for _, n := range s.Names {
			names.WriteString(n + "\n")
		}
		namesFile := filepath.Join(dir, "names.txt")
		if err := os.WriteFile(namesFile, []byte(names.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, db, "features", "set", namesFile)
		headerless := writeCSVFile(t, dir, "headerless.csv", rows[1:])
		r := tr(t, db, "run", "permutation", "--weeks", "2", "--data", headerless, "--label", fmt.Sprint(demo.Features),
			"--repeats", "3", "--format", "json")
		if r.code != 0 {
			t.Fatalf("a run on the file without a header: exit %d: %s", r.code, r.err)
		}
		said := 0
		for _, line := range strings.Split(r.err, "\n") {
			if strings.Contains(strings.ToLower(line), "position") {
				said++
			}
		}
		if said != 1 {
			t.Errorf("a run of 2 weeks on a file without a header says %d times that its columns are read by position, want once; stderr:\n%s", said, r.err)
		}
		sameByName(t, s.Names, queryValues(t, db, p.week(last), "permutation"), want)
	})
}

// experimentsOf is list's count of records per week.
func experimentsOf(t testing.TB, db string) map[string]int {
	t.Helper()
	var rows []struct {
		Week        string `json:"week"`
		Experiments int    `json:"experiments"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, db, "list", "--format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, r := range rows {
		m[r.Week] = r.Experiments
	}
	return m
}

// testNoSilentReplace: defect 2's refusal. A second run of the same
// method and parameters for a week on other data is refused with both
// data hashes unless --replace, which keeps the old record and lets the
// new one speak for the week.
func testNoSilentReplace(t *testing.T, p *proofFixture) {
	s, last := p.season, p.last()
	week, holdout, train := p.week(last), s.Weeks[last].Holdout, s.Weeks[last].Train

	t.Run("a second run on other data is refused, naming both data hashes", func(t *testing.T) {
		db := p.freshStore(t, last)
		mustRun(t, db, permArgs(p, week, holdout)...)
		shown := mustRun(t, db, "query", "week", week, "--experiment", "permutation", "--format", "json")
		before := fileSum(t, db)
		r := tr(t, db, permArgs(p, week, train)...)
		if r.code == 0 {
			t.Fatalf("a second permutation run of week %s on other data was accepted:\n%.400s", week, r.err)
		}
		for _, f := range []string{holdout, train} {
			if sum := fileSum(t, f)[:12]; !strings.Contains(r.err, sum) {
				t.Errorf("the refusal does not name the data hash %s of %s: %s", sum, f, r.err)
			}
		}
		if !strings.Contains(r.err, "--replace") {
			t.Errorf("the refusal does not say that --replace records the run anyway: %s", r.err)
		}
		if fileSum(t, db) != before {
			t.Error("the refused run changed the store")
		}
		if again := mustRun(t, db, "query", "week", week, "--experiment", "permutation", "--format", "json"); again != shown {
			t.Error("query week shows something else after the refused run")
		}
		// The same run on the same data is not a replacement: it shows
		// the stored result, as before.
		if r := tr(t, db, permArgs(p, week, holdout)...); r.code != 0 {
			t.Errorf("running the first run again: exit %d: %s", r.code, r.err)
		}
	})

	t.Run("--replace records the new run, keeps the old one, and the new one speaks for the week", func(t *testing.T) {
		db := p.freshStore(t, last)
		mustRun(t, db, permArgs(p, week, holdout)...)
		old, records := queryValues(t, db, week, "permutation"), experimentsOf(t, db)[week]
		r := tr(t, db, permArgs(p, week, train, "--replace")...)
		skipUnbuilt(t, r, "--replace")
		if r.code != 0 {
			t.Fatalf("run --replace: exit %d: %s", r.code, r.err)
		}
		shown := queryValues(t, db, week, "permutation")
		sameByName(t, s.Names, shown, runValues(t, r.out))
		if shown[s.Names[0]] == old[s.Names[0]] && shown[s.Names[1]] == old[s.Names[1]] {
			t.Error("query week still shows the replaced record")
		}
		if n := experimentsOf(t, db)[week]; n != records+1 {
			t.Errorf("week %s has %d records after --replace, want %d: the old one is kept", week, n, records+1)
		}
	})
}

// testDataRoles: defect 2's roles. A run on one fixed reference set with
// --data-role reference is a series of its own: it is accepted beside
// the week's own data, does not change what query week shows for the
// week, and query feature and export show it apart.
func testDataRoles(t *testing.T, p *proofFixture) {
	s, last := p.season, p.last()
	week := p.week(last)
	db := p.freshStore(t, last)
	mustRun(t, db, permArgs(p, week, s.Weeks[last].Holdout)...)
	shown := mustRun(t, db, "query", "week", week, "--experiment", "permutation", "--format", "json")
	// The fixed set is week 0's rows, in a file whose path does not say
	// "reference", so the role must come from the flag.
	dir := t.TempDir()
	fixed, other := filepath.Join(dir, "fixed.csv"), filepath.Join(dir, "other.csv")
	copyFile(t, s.Weeks[0].Holdout, fixed)
	copyFile(t, s.Weeks[1].Holdout, other)
	r := tr(t, db, permArgs(p, week, fixed, "--data-role", "reference")...)
	skipUnbuilt(t, r, "--data-role")
	if r.code != 0 {
		t.Fatalf("a reference run beside the week's own: exit %d: %s", r.code, r.err)
	}
	if again := mustRun(t, db, "query", "week", week, "--experiment", "permutation", "--format", "json"); again != shown {
		t.Error("query week for the week's own data shows something else after a reference run")
	}
	var weeks []struct {
		Week        string                     `json:"week"`
		Experiments map[string]json.RawMessage `json:"experiments"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, db, "query", "feature", s.Names[0], "--format", "json")), &weeks); err != nil {
		t.Fatal(err)
	}
	var series []string
	for k := range weeks[len(weeks)-1].Experiments {
		if strings.Contains(k, "permutation") {
			series = append(series, k)
		}
	}
	slices.Sort(series)
	if len(series) != 2 || !slices.ContainsFunc(series, func(k string) bool { return strings.Contains(k, "reference") }) {
		t.Errorf("query feature shows the permutation series %q; want the week's own and the reference one apart", series)
	}
	if out := mustRun(t, db, "export", "--format", "csv"); !strings.Contains(out, "reference") {
		t.Errorf("export does not show the reference role:\n%.300s", out)
	}
	if r := tr(t, db, permArgs(p, week, other, "--data-role", "reference")...); r.code == 0 {
		t.Error("a second reference run on other data was accepted; within a role it must be refused")
	}
}

// pickedKind is the experiment query week ranks by without --experiment.
func pickedKind(t testing.TB, db string) string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(mustRun(t, db, "query", "week", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	c := slices.Index(rows[0], "experiment")
	if c < 0 || len(rows) < 2 {
		t.Fatalf("query week --format csv printed %q", rows[0])
	}
	return rows[1][c]
}

// testMethodOrder: defect 3. The documented order, drop-retrain,
// permutation, perturb, gradient, then the weight-based ones, is the one
// query week and the plots use.
func testMethodOrder(t *testing.T, p *proofFixture) {
	s, last := p.season, p.last()
	week, data := p.week(last), s.Weeks[last].Holdout
	db := p.freshStore(t, last)
	mustRun(t, db, "run", "gradient", "--week", week, "--data", data, "--label", s.Label, "--rows", "300", "--steps", "20", "--format", "json")
	if got := pickedKind(t, db); got != "gradient" {
		t.Errorf("with gradient and the weight-based records, query week ranks by %s, want gradient", got)
	}
	mustRun(t, db, "run", "perturb", "--week", week, "--data", data, "--label", s.Label, "--pivots", "50", "--samples", "20", "--format", "json")
	if got := pickedKind(t, db); got != "perturb" {
		t.Errorf("with perturb and gradient, query week ranks by %s, want perturb", got)
	}
	mustRun(t, db, permArgs(p, week, data)...)
	if got := pickedKind(t, db); got != "permutation" {
		t.Errorf("with permutation, perturb and gradient, query week ranks by %s, want permutation", got)
	}
	svg := filepath.Join(t.TempDir(), "heatmap.svg")
	mustRun(t, db, "plot", "heatmap", "--out", svg)
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Rank by permutation") {
		t.Error("plot heatmap without --experiment does not rank by permutation")
	}
	help := mustRun(t, db, "query", "week", "--help")
	if !strings.Contains(strings.Join(strings.Fields(help), " "), "drop-retrain, permutation, perturb, gradient, then the weight-based ones") {
		t.Errorf("query week --help does not document the order:\n%s", help)
	}
}

// warnings are the lines of out starting "warning:".
func warnings(out string) []string {
	var w []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "warning:") || strings.Contains(line, ": warning: ") {
			w = append(w, line)
		}
	}
	return w
}

// testDropSomeFeatures: defect 4. A drop-retrain of three strong features
// judges them among all 82: none of them is a "weak effect", and no
// claim is made about a feature it did not measure. Feature 0 is not
// among them: a fine-tuned model leans on its copy instead.
func testDropSomeFeatures(t *testing.T, p *proofFixture) {
	s, last := p.season, p.last()
	db := p.freshStore(t, last)
	measured := []string{s.Names[1], s.Names[2], s.Names[3]}
	r := tr(t, db, "run", "drop-retrain", "--week", p.week(last), "--data", s.Weeks[last].Train, "--label", s.Label,
		"--features", strings.Join(measured, ","), "--init", "snapshot", "--epochs", "2", "--seeds", "2", "--format", "json")
	if r.code != 0 {
		t.Fatalf("drop-retrain: exit %d: %s", r.code, r.err)
	}
	// The premise: each of the three costs accuracy when dropped, half a
	// point or more (8 validation rows of 1600; the spread over 2 seeds
	// is about 0.002).
	values := runValues(t, r.out)
	for _, n := range measured {
		if values[n] < 0.005 {
			t.Fatalf("premise: dropping %s costs %.4f of accuracy; the test needs features that clearly matter", n, values[n])
		}
	}
	t.Logf("drop-retrain values: %v", values)
	for _, w := range warnings(r.out + r.err) {
		if strings.Contains(w, "weak effect") {
			t.Errorf("a feature that costs accuracy is called weak: %s", w)
		}
		if !slices.ContainsFunc(measured, func(n string) bool { return strings.Contains(w, "("+n+")") }) {
			t.Errorf("a claim about a feature the drop-retrain did not measure: %s", w)
		}
	}
	rows, err := decodeVerdicts(mustRun(t, db, "query", "week", "--experiment", "drop-retrain", "--format", "json"))
	if err != nil {
		t.Fatalf("query week --experiment drop-retrain: %v", err)
	}
	for _, v := range rows {
		if !slices.Contains(measured, v.Name) && (v.Negligible != nil || v.Significant) {
			t.Errorf("query week --experiment drop-retrain judges %s, which it did not measure: negligible %v, significant %v", v.Name, derefBool(v.Negligible), v.Significant)
		}
	}
}

// testUnknownUncertainty: defect 5. With one seed (or one repeat) a
// value's uncertainty is unknown: the output says so, and no strong or
// weak effect, no negligible and no significant verdict comes of it.
func testUnknownUncertainty(t *testing.T, p *proofFixture) {
	s, last := p.season, p.last()
	week := p.week(last)

	t.Run("drop-retrain --seeds 1 makes no strong or weak claim and says why", func(t *testing.T) {
		db := p.freshStore(t, last)
		// One strong feature and eleven noise ones: a noise feature that
		// ranks second by chance is what drew "strong effect" warnings.
		var measured []string
		for _, i := range append([]int{1}, proofNoise[:11]...) {
			measured = append(measured, s.Names[i])
		}
		r := tr(t, db, "run", "drop-retrain", "--week", week, "--data", s.Weeks[last].Train, "--label", s.Label,
			"--features", strings.Join(measured, ","), "--init", "snapshot", "--epochs", "1", "--seeds", "1", "--format", "json")
		if r.code != 0 {
			t.Fatalf("drop-retrain --seeds 1: exit %d: %s", r.code, r.err)
		}
		said := strings.ToLower(r.out + r.err)
		for _, claim := range []string{"strong effect", "weak effect"} {
			if strings.Contains(said, claim) {
				t.Errorf("one seed, yet the output claims a %s:\n%s", claim, strings.Join(warnings(r.out+r.err), "\n"))
			}
		}
		if !strings.Contains(said, "uncertain") && !strings.Contains(said, "unknown") {
			t.Errorf("the output of one seed does not say that the uncertainty is unknown; stderr:\n%s", r.err)
		}
		assertNoVerdict(t, db, week, "drop-retrain", measured)
	})

	// One shuffle of AUC has no standard error: AUC is no mean over rows,
	// so only the shuffles' spread could say, and one shows none.
	t.Run("permutation --metric auc --repeats 1 has no standard error and no verdict", func(t *testing.T) {
		db := p.freshStore(t, last)
		mustRun(t, db, "run", "permutation", "--week", week, "--data", s.Weeks[last].Holdout, "--label", s.Label, "--repeats", "1", "--metric", "auc", "--format", "json")
		assertNoVerdict(t, db, week, "permutation", s.Names)
	})
	// One shuffle of accuracy has one: the rows'. Each row's drop holds
	// its shuffle's noise, so their spread over the rows bounds the value's.
	t.Run("permutation --repeats 1 of accuracy has the rows' standard error", func(t *testing.T) {
		db := p.freshStore(t, last)
		mustRun(t, db, "run", "permutation", "--week", week, "--data", s.Weeks[last].Holdout, "--label", s.Label, "--repeats", "1", "--format", "json")
		rows, err := decodeVerdicts(mustRun(t, db, "query", "week", week, "--experiment", "permutation", "--format", "json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range rows {
			if v.SE == nil {
				t.Errorf("%s: no standard error from one shuffle of accuracy over %d rows", v.Name, p.opts.HoldoutRows)
			}
		}
	})
}

// assertNoVerdict checks that query week shows the named features of a
// kind's record with no standard error and no verdict.
func assertNoVerdict(t *testing.T, db, week, kind string, names []string) {
	t.Helper()
	rows, err := decodeVerdicts(mustRun(t, db, "query", "week", week, "--experiment", kind, "--format", "json"))
	if err != nil {
		t.Fatalf("query week --experiment %s: %v", kind, err)
	}
	var judged []string
	for _, v := range rows {
		if slices.Contains(names, v.Name) && (v.SE != nil || v.Negligible != nil || v.Significant) {
			judged = append(judged, fmt.Sprintf("%s (se %v, negligible %v, significant %v)", v.Name, deref(v.SE), derefBool(v.Negligible), v.Significant))
		}
	}
	if len(judged) > 0 {
		t.Errorf("%s of unknown uncertainty, yet %d features have a standard error or a verdict: %s", kind, len(judged), strings.Join(judged[:min(len(judged), 5)], "; "))
	}
}
