package cli

import (
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

// queryStore writes a store of `weeks` weekly versions of a 5-input model
// with named features (one name starting "=", as spreadsheets fear) and
// its weight-based records; perturb is recorded every week but the third,
// and feature 2's perturb value fades from week 4. Weeks are ingested out
// of order, so anything sorting by insertion would show.
func queryStore(t *testing.T, weeks int) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "tracker.db")
	s, err := tracker.Open(db, tracker.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC)
	order := make([]int, weeks)
	for i := range order {
		order[i] = (i*7 + 3) % weeks // a permutation when gcd(7, weeks) = 1
	}
	for _, i := range order {
		snap, err := snapshottest.RandomMLP(uint64(i+1), []int{5, 4, 2}, snapshot.Meta{KerasVersion: "2.2.4"})
		if err != nil {
			t.Fatal(err)
		}
		var exps []tracker.Experiment
		for _, r := range experiments.DataFree(snap) {
			exps = append(exps, tracker.Experiment{Kind: r.Kind, Params: r.Params, ToolVersion: "test", CreatedAt: fixedNow, Value: r.Value, Spread: r.Spread, Rank: r.Rank})
		}
		if i != 2 {
			v := []float64{0.3, 0.2, 0.25 / math.Pow(16, float64(max(0, i-3))), 0.01 * float64(i), 0.05}
			exps = append(exps, tracker.Experiment{Kind: experiments.KindPerturb, Params: map[string]string{"pivots": "100"},
				DataSHA256: fmt.Sprintf("%064d", i), DataRows: 100, Seed: 1, ToolVersion: "test", CreatedAt: fixedNow,
				Value: v, Spread: []float64{0.01, 0.01, 0.01, 0.01, 0.01}, Rank: experiments.Rank(v)})
		}
		week := start.AddDate(0, 0, 7*i).Format(time.DateOnly)
		if _, err := s.Ingest([]tracker.IngestRequest{{Model: tracker.DefaultModel, Week: week, Snapshot: snap, Experiments: exps}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetFeatures(tracker.DefaultModel, []string{"age", "income", "=HYPERLINK(\"x\")", "tenure", "visits, weekly"}); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestQueryFeatureGolden(t *testing.T) {
	db := queryStore(t, 6)
	for _, c := range []struct{ name, format string }{{"table", "table"}, {"csv", "csv"}, {"json", "json"}} {
		golden(t, "query_feature_"+c.name, mustRun(t, db, "query", "feature", "2", "--weeks", "5", "--format", c.format), "")
	}
	// By name, the same as by index.
	if byName := mustRun(t, db, "query", "feature", "=HYPERLINK(\"x\")", "--weeks", "5", "--format", "csv"); byName != mustRun(t, db, "query", "feature", "2", "--weeks", "5", "--format", "csv") {
		t.Errorf("query by name differs from query by index")
	}
	golden(t, "query_week_table", mustRun(t, db, "query", "week", "--format", "table"), "")
	golden(t, "query_week_csv", mustRun(t, db, "query", "week", "2019-02-11", "--experiment", "weight-sum", "--top", "3", "--format", "csv"), "")
}

func TestQueryFeatureShowsGapsAndOrder(t *testing.T) {
	db := queryStore(t, 6)
	out := mustRun(t, db, "query", "feature", "2", "--weeks", "0", "--experiment", "perturb", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || rows[0][2] != "perturb value" {
		t.Fatalf("got %q", rows)
	}
	for i, r := range rows[1:] {
		if want := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i).Format(time.DateOnly); r[0] != want {
			t.Errorf("row %d is week %s, want %s (oldest first, by date)", i+1, r[0], want)
		}
	}
	// Week 3 has no perturb: empty cells, and no change on either side.
	if gap := rows[3]; gap[2] != "" || gap[3] != "" || gap[4] != "" || rows[4][4] != "" {
		t.Errorf("the week without a record reads %q, the next %q; want empty cells", gap, rows[4])
	}
	if rows[2][4] != "+0" && rows[2][4] != "0" {
		t.Errorf("change in week 2 = %q, want 0", rows[2][4])
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "feature", "nope"}, `feature "nope": no feature has that name`},
		{[]string{"query", "feature", "9"}, "feature 9: model \"default\"'s newest version has features 0 to 4"},
		{[]string{"query", "feature", "--", "-1"}, "features count from 0"},
		{[]string{"query", "feature", "1", "--experiment", "drop-retrain"}, "no drop-retrain experiment is recorded in these weeks; recorded: garson, olden, perturb, weight-sum"},
		{[]string{"query", "feature", "1", "--weeks", "-2"}, "--weeks -2"},
		{[]string{"query", "week", "--experiment", "gradient"}, "has no gradient experiment"},
		{[]string{"query", "week", "2018-01-01"}, "2018-01-01"},
	} {
		if r := tr(t, db, bad.args...); r.code == 0 || !strings.Contains(r.err, bad.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", bad.args, r.code, r.err, bad.want)
		}
	}
}
