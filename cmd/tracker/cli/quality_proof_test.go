package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/internal/demo"
)

// TestQualityProof is issue 13's proof on the same season as TestProof
// (docs/PROOF.md, "Model quality and data drift"): every week's model
// evaluated on its own held-out rows and its training rows profiled,
// through the real CLI, and what query model and drift say judged against
// what the season planted.
func TestQualityProof(t *testing.T) {
	p := newProofFixture(t, t.TempDir())
	db := p.freshStore(t, allWeeks(p)...)
	for i, w := range p.season.Weeks {
		mustRun(t, db, "run", "evaluate", "--week", p.week(i), "--data", w.Holdout, "--label", p.season.Label, "--format", "json")
	}
	t.Run("query model prints the contract's fields", func(t *testing.T) { testModelContract(t, db) })
	t.Run("the broken retrain's drop is significant and quiet weeks have none", func(t *testing.T) { testQualityVerdicts(t, p, db) })
	t.Run("the cross-evaluation blames the broken week's model, not its data", func(t *testing.T) { testCrossEvaluation(t, p, db) })
	t.Run("evaluating again on the same rows stores nothing, on other rows is refused", func(t *testing.T) { testEvaluateIdentity(t, p, db) })
	t.Run("query feature splits the broken week's importance change into model and data", func(t *testing.T) { testFeatureCross(t, p, db) })

	for _, w := range p.season.Weeks {
		mustRun(t, db, "ingest-data", w.Train, "--label", p.season.Label, "--format", "json")
	}
	t.Run("drift flags the shifted feature in its week and little else", func(t *testing.T) { testDriftVerdicts(t, p, db) })
	t.Run("drift prints the contract's fields", func(t *testing.T) { testDriftContract(t, p, db) })
	t.Run("runs profile the data they read, once", func(t *testing.T) { testRunProfiles(t, p, db) })
	t.Run("the report shows the models' quality and the shift week's drift", func(t *testing.T) { testReportSections(t, p) })
}

func allWeeks(p *proofFixture) []int {
	var out []int
	for i := range p.season.Weeks {
		out = append(out, i)
	}
	return out
}

// modelRow is one week of query model's JSON.
type modelRow struct {
	Week        string              `json:"week"`
	Version     uint64              `json:"version"`
	Rows        *float64            `json:"rows"`
	Accuracy    *float64            `json:"accuracy"`
	LogLoss     *float64            `json:"logloss"`
	AUC         *float64            `json:"auc"`
	Brier       *float64            `json:"brier"`
	ECE         *float64            `json:"ece"`
	Significant []string            `json:"significant"`
	Change      map[string]*float64 `json:"change"`
	ModelEffect map[string]*float64 `json:"model_effect"`
	DataEffect  map[string]*float64 `json:"data_effect"`
}

func queryModel(t *testing.T, db string, args ...string) []modelRow {
	t.Helper()
	var rows []modelRow
	out := mustRun(t, db, append([]string{"query", "model", "--weeks", "0", "--format", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("query model JSON: %v\n%.400s", err, out)
	}
	return rows
}

func testModelContract(t *testing.T, db string) {
	var raw []map[string]json.RawMessage
	out := mustRun(t, db, "query", "model", "--weeks", "3", "--format", "json")
	if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw) != 3 {
		t.Fatalf("query model --weeks 3: %d rows, %v\n%.300s", len(raw), err, out)
	}
	for _, field := range []string{"week", "version", "rows", "accuracy", "logloss", "auc", "brier", "ece", "significant"} {
		for i, r := range raw {
			if v, ok := r[field]; !ok || string(v) == "null" {
				t.Errorf("row %d: %s is missing or null: %s", i, field, r[field])
			}
		}
	}
	if s := string(raw[2]["significant"]); !strings.HasPrefix(s, "[") {
		t.Errorf("significant is %s, want a list of metric names", s)
	}
	table := mustRun(t, db, "query", "model", "--weeks", "3", "--format", "table")
	if !strings.Contains(strings.ToLower(table), "accuracy") || !strings.Contains(table, "* significant") {
		t.Errorf("query model's table lacks its columns or legend:\n%s", table)
	}
}

func testQualityVerdicts(t *testing.T, p *proofFixture, db string) {
	rows := queryModel(t, db)
	if len(rows) != len(p.season.Weeks) {
		t.Fatalf("%d weeks, want %d", len(rows), len(p.season.Weeks))
	}
	ev := p.season.Events
	var quiet, alarms []string
	for i, r := range rows {
		line := fmt.Sprintf("%d:%.3f%v", i, *r.Accuracy, r.Significant)
		switch {
		case i == ev.Broken:
			t.Logf("observed: broken week %s: accuracy %.3f, change %+.3f, significant %v", r.Week, *r.Accuracy, *r.Change["accuracy"], r.Significant)
			if !slices.Contains(r.Significant, "accuracy") && !slices.Contains(r.Significant, "logloss") {
				t.Errorf("the broken retrain (week %s, accuracy %.3f) has no significant change in accuracy or log loss: %v", r.Week, *r.Accuracy, r.Significant)
			}
			if d := r.Change["accuracy"]; d == nil || *d >= 0 {
				t.Errorf("the broken retrain's accuracy did not drop: %v", d)
			}
		case ev.Quiet(i):
			quiet = append(quiet, line)
			if len(r.Significant) > 0 {
				alarms = append(alarms, line)
			}
		}
	}
	t.Logf("observed: quiet weeks %s; false alarms %d", strings.Join(quiet, " "), len(alarms))
	if len(alarms) > 0 {
		t.Errorf("quiet weeks with a significant metric change: %v", alarms)
	}
}

func testCrossEvaluation(t *testing.T, p *proofFixture, db string) {
	b := p.season.Events.Broken
	this, last := p.season.Weeks[b], p.season.Weeks[b-1]
	mustRun(t, db, "run", "evaluate", "--week", p.week(b), "--data", this.Holdout, "--previous-data", last.Holdout, "--label", p.season.Label, "--format", "json")
	rows := queryModel(t, db)
	r := rows[b]
	if r.ModelEffect == nil || r.DataEffect == nil {
		t.Fatalf("week %s has no model or data effect after run evaluate --previous-data: %+v", r.Week, r)
	}
	m, d, c := *r.ModelEffect["accuracy"], *r.DataEffect["accuracy"], *r.Change["accuracy"]
	t.Logf("observed: broken week accuracy change %+.4f, model effect %+.4f, data effect %+.4f", c, m, d)
	if m > c/2 || abs(d) > abs(m)/3 {
		t.Errorf("model effect %+.4f and data effect %+.4f of a change of %+.4f: a broken retrain is the model's doing", m, d, c)
	}
	if rows[b-1].ModelEffect != nil || rows[b+1].DataEffect != nil {
		t.Error("weeks without cross-evaluations show effects")
	}
}

func testEvaluateIdentity(t *testing.T, p *proofFixture, db string) {
	w := p.season.Weeks[0]
	r := tr(t, db, "run", "evaluate", "--week", p.week(0), "--data", w.Holdout, "--label", p.season.Label, "--format", "json")
	if r.code != 0 || !strings.Contains(r.err, "already recorded") {
		t.Errorf("again on the same rows: exit %d, stderr %q; want 0 and a note that it is stored", r.code, r.err)
	}
	r = tr(t, db, "run", "evaluate", "--week", p.week(0), "--data", w.Train, "--label", p.season.Label)
	if r.code == 0 || !strings.Contains(r.err, "--replace") {
		t.Errorf("on other rows: exit %d, stderr %q; want a refusal naming --replace", r.code, r.err)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// driftRowJSON is one feature of drift's JSON.
type driftRowJSON struct {
	Index       *int     `json:"index"`
	Name        string   `json:"name"`
	PSI         *float64 `json:"psi"`
	KS          *float64 `json:"ks"`
	Wasserstein *float64 `json:"wasserstein"`
	MeanChange  *float64 `json:"mean_change"`
	SDRatio     *float64 `json:"sd_ratio"`
	Drifted     bool     `json:"drifted"`
	Label       bool     `json:"label"`
}

func driftOf(t *testing.T, db, week string, args ...string) []driftRowJSON {
	t.Helper()
	var rows []driftRowJSON
	out := mustRun(t, db, append([]string{"drift", "--week", week, "--format", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("drift JSON: %v\n%.300s", err, out)
	}
	return rows
}

func testDriftVerdicts(t *testing.T, p *proofFixture, db string) {
	shift := p.season.Events.Shift
	var quietWeeks, falseDrifts int
	var line []string
	var labels []int // weeks whose base rate drifted
	for i := 1; i < len(p.season.Weeks); i++ {
		var drifted []int
		for _, r := range driftOf(t, db, p.week(i)) {
			if r.Drifted && !r.Label {
				drifted = append(drifted, *r.Index)
			}
			if r.Drifted && r.Label {
				labels = append(labels, i)
			}
		}
		line = append(line, fmt.Sprintf("%d:%v", i, drifted))
		if i == shift {
			if !slices.Contains(drifted, demo.Shifted) {
				t.Errorf("week %s: the shifted feature %d did not drift; drifted: %v", p.week(i), demo.Shifted, drifted)
			}
			if others := len(drifted) - 1; others > 2 {
				t.Errorf("week %s: %d features drifted besides the shifted one: %v", p.week(i), others, drifted)
			}
			continue
		}
		quietWeeks++
		falseDrifts += len(drifted)
	}
	mean := float64(falseDrifts) / float64(quietWeeks)
	t.Logf("observed: drifted features by week %s; %d false drifts over %d unchanged weeks (%.2f a week); base rate drifted in weeks %v", strings.Join(line, " "), falseDrifts, quietWeeks, mean, labels)
	if mean > 0.5 {
		t.Errorf("%.2f falsely drifted features per unchanged week, want at most 0.5", mean)
	}
}

func testDriftContract(t *testing.T, p *proofFixture, db string) {
	var raw []map[string]json.RawMessage
	out := mustRun(t, db, "drift", "--week", p.week(p.season.Events.Shift), "--format", "json")
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"index", "name", "psi", "ks", "wasserstein", "mean_change", "sd_ratio", "drifted"} {
		if v, ok := raw[0][field]; !ok || string(v) == "null" {
			t.Errorf("the first row's %s is missing or null: %s", field, raw[0])
		}
	}
	table := mustRun(t, db, "drift", "--week", p.week(p.season.Events.Shift), "--format", "table")
	first := strings.Split(table, "\n")[3]
	if !strings.Contains(first, "DRIFTED") || !strings.Contains(first, p.season.Names[demo.Shifted]) {
		t.Errorf("drift's table does not list the drifted feature first:\n%s", table)
	}
}

func testRunProfiles(t *testing.T, p *proofFixture, db string) {
	// run evaluate read each week's held-out rows: their profiles are the
	// week role's, and drift on that role sees the shift too.
	rows := driftOf(t, db, p.week(p.season.Events.Shift), "--data-role", "week")
	if len(rows) == 0 || !rows[0].Drifted || *rows[0].Index != demo.Shifted {
		t.Errorf("drift on the held-out rows' profiles does not lead with the shifted feature: %+v", rows[:min(3, len(rows))])
	}
	r := tr(t, db, "ingest-data", p.season.Weeks[0].Train, "--label", p.season.Label)
	if r.code != 0 || !strings.Contains(r.err, "stored already") {
		t.Errorf("ingest-data of the same file again: exit %d, stderr %q", r.code, r.err)
	}
	r = tr(t, db, "ingest-data", p.season.Weeks[1].Train, "--week", p.week(0), "--label", p.season.Label)
	if r.code == 0 || !strings.Contains(r.err, "--replace") {
		t.Errorf("ingest-data of another file for a profiled week: exit %d, stderr %q; want a refusal naming --replace", r.code, r.err)
	}
}

func testReportSections(t *testing.T, p *proofFixture) {
	shift := p.season.Events.Shift
	weeks := allWeeks(p)[:shift+1]
	db := p.freshStore(t, weeks...)
	for _, i := range weeks {
		w := p.season.Weeks[i]
		mustRun(t, db, "ingest-data", w.Train, "--label", p.season.Label, "--format", "json")
		mustRun(t, db, "run", "evaluate", "--week", p.week(i), "--data", w.Holdout, "--label", p.season.Label, "--format", "json")
	}
	dir := t.TempDir()
	mustRun(t, db, "report", "--weeks", "0", "--out", dir)
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{"<h2>Model quality</h2>", "Accuracy and AUC", "<h2>Data drift (" + p.week(shift) + " against " + p.week(shift-1) + ")</h2>", "1 of 82 features drifted", "<td>" + p.season.Names[demo.Shifted] + "</td>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func testFeatureCross(t *testing.T, p *proofFixture, db string) {
	b := p.season.Events.Broken
	this, last := p.season.Weeks[b], p.season.Weeks[b-1]
	perm := func(week int, data string, extra ...string) {
		mustRun(t, db, append([]string{"run", "permutation", "--week", p.week(week), "--data", data, "--label", p.season.Label, "--repeats", proofRepeats, "--format", "json"}, extra...)...)
	}
	perm(b-1, last.Holdout)
	perm(b, this.Holdout, "--previous-data", last.Holdout)
	// Summed over the ten features with planted main effects, so one
	// feature's sampling noise does not decide: the broken model uses none
	// of them, on any rows.
	var change, model, data float64
	for _, f := range proofLive[:10] {
		var rows []struct {
			Week        string `json:"week"`
			Experiments map[string]*struct {
				Change      *float64 `json:"change"`
				ModelEffect *float64 `json:"model_effect"`
				DataEffect  *float64 `json:"data_effect"`
			} `json:"experiments"`
		}
		out := mustRun(t, db, "query", "feature", fmt.Sprint(f), "--weeks", "0", "--experiment", "permutation", "--format", "json")
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatal(err)
		}
		c := rows[b].Experiments["permutation"]
		if c == nil || c.Change == nil || c.ModelEffect == nil || c.DataEffect == nil {
			t.Fatalf("week %s: permutation of feature %d lacks its change or effects: %+v", rows[b].Week, f, c)
		}
		change, model, data = change+*c.Change, model+*c.ModelEffect, data+*c.DataEffect
		if f == 0 && rows[b].Experiments["permutation(data_role=previous)"] == nil {
			t.Errorf("the cross-records are not their own series: %v", keys(rows[b].Experiments))
		}
	}
	t.Logf("observed: ten planted features' permutation change %+.4f, model effect %+.4f, data effect %+.4f", change, model, data)
	// The rows' sampling moves every feature's permutation value together
	// (rows that are easier to classify lift them all), so the data effect
	// of the sum is as noisy as one feature's, not a tenth as: half the
	// model effect is the bound, and the model effect must carry most of
	// the change.
	if abs(model-change) > abs(change)/5 || abs(data) > abs(model)/2 {
		t.Errorf("the broken retrain's importance change %+.4f splits into model %+.4f and data %+.4f: it is the model's", change, model, data)
	}
	text := mustRun(t, db, "query", "feature", "0", "--weeks", "3", "--experiment", "permutation", "--format", "table")
	if !strings.Contains(text, "model effect") {
		t.Errorf("query feature's table does not say the effects:\n%s", text)
	}

	// The report of a season that ends with the broken week splits its
	// significant movers' changes the same way.
	rdb := p.freshStore(t, allWeeks(p)[:b+1]...)
	for i := range b + 1 {
		extra := []string{}
		if i == b {
			extra = []string{"--previous-data", last.Holdout}
		}
		mustRun(t, rdb, append([]string{"run", "permutation", "--week", p.week(i), "--data", p.season.Weeks[i].Holdout, "--label", p.season.Label, "--repeats", proofRepeats, "--format", "json"}, extra...)...)
	}
	dir := t.TempDir()
	mustRun(t, rdb, "report", "--out", dir)
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "model effect (the new model on last week&#39;s rows)") {
		t.Error("the report of the broken week does not split its movers' changes into model and data")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
