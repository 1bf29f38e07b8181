package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

// Weeks of the verdict season.
const (
	verdictWeeks = 10
	legacyDies   = 7 // feature 3's effect ends in the eighth week
	newcomerWeek = 8 // feature 5's effect starts in the ninth
)

// verdictNames name the verdict season's 12 features.
var verdictNames = []string{"promo", "tenure", "visits", "legacy", "noise_4", "newcomer", "noise_6", "noise_7", "noise_8", "noise_9", "noise_10", "noise_11"}

// verdictEffect is feature f's true permutation effect in week w.
func verdictEffect(f, w int) float64 {
	switch {
	case f < 3:
		return []float64{0.2, 0.12, 0.08}[f]
	case f == 3 && w < legacyDies:
		return 0.1
	case f == 5 && w >= newcomerWeek:
		return 0.09
	}
	return 0
}

// verdictStore writes a season whose verdicts are known: weeks (at most
// verdictWeeks) weekly versions of a 12-input model, each with its weight-based records and a
// permutation record over 5 repeats drawn from a seeded RNG with the two
// noises of a real season (the retrain's, 5% of an effect, and the
// repeats' own). Features 0 to 2 matter throughout, feature 3 stops
// mattering in week legacyDies, feature 5 starts in week newcomerWeek,
// the rest are noise. The newest week also has a drop-retrain of features
// 3, 6 and 7 on three seeds, which finds nothing.
func verdictStore(t *testing.T, weeks int) string {
	t.Helper()
	return verdictSeason(t, weeks, -1)
}

// verdictSeason is verdictStore's season with week broken (none when
// negative) a broken retrain: no feature matters, and every value is a
// tenth of a point of accuracy of noise or less.
func verdictSeason(t *testing.T, weeks, broken int) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "tracker.db")
	s, err := tracker.Open(db, tracker.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(12, 1))
	start := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC)
	for w := range weeks {
		snap, err := snapshottest.RandomMLP(uint64(w+1), []int{12, 8, 2}, snapshot.Meta{KerasVersion: "2.2.4"})
		if err != nil {
			t.Fatal(err)
		}
		var exps []tracker.Experiment
		for _, r := range experiments.DataFree(snap) {
			exps = append(exps, tracker.Experiment{Kind: r.Kind, Params: r.Params, ToolVersion: "test", CreatedAt: fixedNow, Value: r.Value, Spread: r.Spread, Rank: r.Rank})
		}
		value, spread := make([]float64, 12), make([]float64, 12)
		repeatNoise := 0.004
		if w == broken {
			repeatNoise = 0.0005
		}
		for f := range value {
			mu := verdictEffect(f, w)
			if w == broken {
				mu = 0
			}
			base := mu + 0.05*mu*rng.NormFloat64()
			var sum, sq float64
			draws := make([]float64, 5)
			for i := range draws {
				draws[i] = base + repeatNoise*rng.NormFloat64()
				sum += draws[i]
			}
			value[f] = sum / 5
			for _, d := range draws {
				sq += (d - value[f]) * (d - value[f])
			}
			spread[f] = math.Sqrt(sq / 4)
		}
		exps = append(exps, tracker.Experiment{Kind: experiments.KindPermutation, Params: map[string]string{"repeats": "5", "metric": "accuracy", "output": "1"},
			DataSHA256: fmt.Sprintf("%064d", w), DataRows: 1000, Seed: 1, ToolVersion: "test", CreatedAt: fixedNow,
			Value: value, Spread: spread, Rank: experiments.RankSigned(value)})
		if w == weeks-1 {
			nan := math.NaN()
			dv := []float64{nan, nan, nan, 0.0003, nan, nan, -0.0002, 0.0001, nan, nan, nan, nan}
			ds := []float64{nan, nan, nan, 0.0004, nan, nan, 0.0005, 0.0003, nan, nan, nan, nan}
			dr := make([]int, 12)
			dr[3], dr[6], dr[7] = 1, 3, 2
			exps = append(exps, tracker.Experiment{Kind: experiments.KindDropRetrain, Params: map[string]string{"seeds": "3", "metric": "accuracy", "features": "3,6,7"},
				DataSHA256: fmt.Sprintf("%064d", w), DataRows: 1000, Seed: 1, ToolVersion: "test", CreatedAt: fixedNow, Value: dv, Spread: ds, Rank: dr})
		}
		week := start.AddDate(0, 0, 7*w).Format(time.DateOnly)
		if _, err := s.Ingest([]tracker.IngestRequest{{Model: tracker.DefaultModel, Week: week, Snapshot: snap, Experiments: exps}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetFeatures(tracker.DefaultModel, verdictNames); err != nil {
		t.Fatal(err)
	}
	return db
}

// verdictWeek is the date of week w of the verdict season.
func verdictWeek(w int) string {
	return time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w).Format(time.DateOnly)
}

// TestQueryWeekJSONContract: query week --format json has, per feature,
// exactly the fields scripts and the proof tests read, with null where a
// value is unknown, and the verdicts the season planted.
func TestQueryWeekJSONContract(t *testing.T) {
	db := verdictStore(t, verdictWeeks)
	read := func(args ...string) []map[string]any {
		t.Helper()
		var rows []map[string]any
		if err := json.Unmarshal([]byte(mustRun(t, db, append([]string{"query", "week", "--format", "json"}, args...)...)), &rows); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	byName := func(rows []map[string]any) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, r := range rows {
			out[r["name"].(string)] = r
		}
		return out
	}
	// The week legacy stops mattering, by permutation.
	dies := byName(read(verdictWeek(legacyDies), "--experiment", "permutation"))
	for _, field := range []string{"index", "name", "value", "se", "rank", "was", "change", "significant", "negligible"} {
		if _, ok := dies["legacy"][field]; !ok {
			t.Errorf("query week has no %q: %v", field, dies["legacy"])
		}
	}
	if r := dies["legacy"]; r["significant"] != true || r["negligible"] != true || r["index"] != 3.0 {
		t.Errorf("legacy in the week it stops mattering: %v; want a significant change, negligible now", r)
	}
	if r := dies["promo"]; r["significant"] != false || r["negligible"] != false {
		t.Errorf("promo, unchanged and strong: %v; want no significant change, clearly there", r)
	}
	for name, r := range dies {
		if r["significant"] == true && name != "legacy" {
			t.Errorf("%s is significant in week %d: %v; only legacy changed", name, legacyDies, r)
		}
	}
	newest := byName(read("--experiment", "permutation"))
	if r := newest["newcomer"]; r["negligible"] != false {
		t.Errorf("newcomer, which started mattering: %v; want clearly there", r)
	}
	noise := 0
	for name, r := range newest {
		if strings.HasPrefix(name, "noise_") && r["negligible"] == true {
			noise++
		}
	}
	if noise < 6 {
		t.Errorf("%d of 7 noise features negligible in the newest week, want most", noise)
	}
	// Nulls: the first week has no rank before it and no change; the
	// weight-sum has no standard error and no negligible verdict.
	for _, r := range read(verdictWeek(0), "--experiment", "weight-sum") {
		if r["was"] != nil || r["change"] != nil || r["se"] != nil || r["negligible"] != nil || r["significant"] != false {
			t.Fatalf("the first week's weight-sum row %v: want was, change, se and negligible null, significant false", r)
		}
	}
	// A drop-retrain of three features ranks and judges only those.
	drop := read("--experiment", "drop-retrain")
	if len(drop) != 3 {
		t.Errorf("drop-retrain of 3 features shows %d rows", len(drop))
	}
	for _, r := range drop {
		if r["negligible"] != true {
			t.Errorf("drop-retrain row %v: want negligible", r)
		}
	}
}

// TestQueryFeatureMarksSignificantChanges: the table marks the week
// legacy dropped with *, explains the mark, and JSON says significant per
// cell.
func TestQueryFeatureMarksSignificantChanges(t *testing.T) {
	db := verdictStore(t, verdictWeeks)
	out := mustRun(t, db, "query", "feature", "legacy", "--experiment", "permutation", "--weeks", "0", "--format", "table")
	lines := strings.Split(out, "\n")
	var marked []string
	for _, l := range lines {
		if strings.Contains(l, "*") && strings.HasPrefix(l, "2019") {
			marked = append(marked, l[:10])
		}
	}
	if len(marked) != 1 || marked[0] != verdictWeek(legacyDies) {
		t.Errorf("weeks marked significant: %v, want only %s:\n%s", marked, verdictWeek(legacyDies), out)
	}
	for _, want := range []string{"* significant: beyond both the standard error and the week-to-week noise", "permutation: noise not learned yet in 4 weeks", "largest significant move: permutation -0.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("query feature lacks %q:\n%s", want, out)
		}
	}
	var rows []featureJSON
	if err := json.Unmarshal([]byte(mustRun(t, db, "query", "feature", "legacy", "--experiment", "permutation", "--weeks", "0", "--format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	for w, r := range rows {
		c := r.Experiments["permutation"]
		if c == nil {
			t.Fatalf("week %d has no permutation cell", w)
		}
		if c.Significant != (w == legacyDies) {
			t.Errorf("week %d: significant %v", w, c.Significant)
		}
		if learned := c.Noise != nil; learned != (w > 4) {
			t.Errorf("week %d: noise %v, want learned from week 5 on (4 past changes)", w, c.Noise)
		}
		if c.Negligible == nil || *c.Negligible != (w >= legacyDies) {
			t.Errorf("week %d: negligible %v, want %v", w, c.Negligible, w >= legacyDies)
		}
	}
}

func TestQueryNegligible(t *testing.T) {
	db := verdictStore(t, verdictWeeks)
	golden(t, "query_negligible_table", mustRun(t, db, "query", "negligible", "--format", "table"), "")
	golden(t, "query_negligible_csv", mustRun(t, db, "query", "negligible", "--weeks", "2", "--format", "csv"), "")
	var rows []negligibleRow
	if err := json.Unmarshal([]byte(mustRun(t, db, "query", "negligible", "--format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	found := map[string]negligibleRow{}
	for _, r := range rows {
		found[r.Name] = r
		if len(r.Support) != 4 {
			t.Errorf("%s is supported in %d weeks, want all 4", r.Name, len(r.Support))
		}
	}
	for _, live := range []string{"promo", "tenure", "visits", "newcomer"} {
		if _, ok := found[live]; ok {
			t.Errorf("%s is listed as negligible; it matters", live)
		}
	}
	if _, ok := found["legacy"]; ok {
		t.Errorf("legacy is listed over the newest 4 weeks; it mattered in week %d", legacyDies-1)
	}
	if r, ok := found["noise_6"]; !ok || r.DropRetrain == nil || r.DropRetrain.Negligible == nil || !*r.DropRetrain.Negligible {
		t.Errorf("noise_6: %+v; want listed, with its negligible drop-retrain result", r)
	}
	// Over the 3 weeks since legacy stopped, it is a candidate.
	three := mustRun(t, db, "query", "negligible", "--weeks", "3", "--format", "csv")
	if !strings.Contains(three, "legacy") {
		t.Errorf("legacy is not a candidate over the 3 weeks since it stopped mattering:\n%s", three)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "negligible", "--weeks", "0"}, "--weeks 0: give a positive number of weeks"},
		{[]string{"query", "negligible", "--experiment", "olden"}, "no negligible verdict is possible from weights alone"},
		{[]string{"query", "negligible", "--experiment", "gradient"}, "no gradient experiment is recorded in these weeks"},
	} {
		if r := tr(t, db, bad.args...); r.code != exitUsage || !strings.Contains(r.err, bad.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", bad.args, r.code, r.err, exitUsage, bad.want)
		}
	}
	// Perturb alone cannot judge, and says so.
	r := tr(t, queryStore(t, 6), "query", "negligible", "--format", "json")
	if r.code != 0 || strings.TrimSpace(r.out) != "[]" || !strings.Contains(r.err, "not judged: perturb in 3 of 4 weeks (2019-02-04, 2019-02-11, 2019-02-18): an output sensitivity cannot tell a small effect from none without a null") {
		t.Errorf("query negligible with perturb only: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
}

// TestQueryNegligiblePassesOverABrokenWeek: a broken retrain, where no
// feature is clearly there, judges nothing; query negligible counts that
// week neither for nor against a feature and names it, so the dead
// feature is still a candidate over the weeks around it and the live ones
// are not.
func TestQueryNegligiblePassesOverABrokenWeek(t *testing.T) {
	const broken = newcomerWeek // the newcomer is negligible before it and clearly there after
	db := verdictSeason(t, verdictWeeks, broken)
	week := mustRun(t, db, "query", "week", verdictWeek(broken), "--experiment", "permutation", "--format", "table")
	if !strings.Contains(week, "negligible: not judged, no feature's effect is clearly there") {
		t.Errorf("query week of the broken week does not say why it judges nothing:\n%s", week)
	}
	r := tr(t, db, "query", "negligible", "--weeks", "3", "--format", "json")
	var rows []negligibleRow
	if err := json.Unmarshal([]byte(r.out), &rows); r.code != 0 || err != nil {
		t.Fatalf("query negligible --weeks 3: exit %d, %v: %s", r.code, err, r.err)
	}
	found := map[string]negligibleRow{}
	for _, row := range rows {
		found[row.Name] = row
	}
	for _, live := range []string{"promo", "tenure", "visits", "newcomer"} {
		if _, ok := found[live]; ok {
			t.Errorf("%s is listed as negligible; it matters in a week that judged it", live)
		}
	}
	want := []string{verdictWeek(broken)}
	for _, name := range []string{"legacy", "noise_4", "noise_9"} {
		row, ok := found[name]
		if !ok {
			t.Errorf("%s is not listed over weeks %d to %d, negligible in both weeks that judged it", name, broken-1, broken+1)
			continue
		}
		if !slices.Equal(row.NotJudged, want) || len(row.Support) != 2 {
			t.Errorf("%s: not judged %v and support in %d weeks; want %v passed over and 2 weeks of support", name, row.NotJudged, len(row.Support), want)
		}
	}
	for _, note := range []string{
		"not judged: permutation in 1 of 3 weeks (" + verdictWeek(broken) + "): no feature's effect is clearly there",
		"passed over: " + verdictWeek(broken) + ", where nothing could judge a feature, counts neither for nor against it",
	} {
		if !strings.Contains(r.err, note) {
			t.Errorf("query negligible's notes lack %q:\n%s", note, r.err)
		}
	}
}

// TestQueryWeekNotesSayHowVerdictsWereReached: under the table, query week
// says how its verdicts were reached, or why none could be.
func TestQueryWeekNotesSayHowVerdictsWereReached(t *testing.T) {
	db := verdictStore(t, verdictWeeks)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"a judged permutation week counts its significant changes and states the negligible rule",
			[]string{verdictWeek(legacyDies), "--experiment", "permutation"},
			[]string{"significant: 1 of 12 changes, beyond both the standard error and the week-to-week noise", "with an upper bound under 10% of the largest value"}},
		{"an early week says the noise is not learned yet",
			[]string{verdictWeek(3), "--experiment", "permutation"},
			[]string{"significant: not judged, the week-to-week noise is not learned yet (2 of 4 past weeks)"}},
		{"a weight-based week judges no effect",
			[]string{"--experiment", "weight-sum"},
			[]string{"negligible: not judged, no such verdict is possible from weights alone"}},
		{"a drop-retrain of some features bounds in the metric's units",
			[]string{"--experiment", "drop-retrain"},
			[]string{"with an upper bound under 0.005, in the metric's units, as the record measured only some features"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := mustRun(t, db, append([]string{"query", "week", "--format", "table"}, c.args...)...)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("query week %v lacks %q:\n%s", c.args, w, out)
				}
			}
		})
	}
}
