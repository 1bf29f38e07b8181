package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/internal/demo"
)

// TestDemoFindsThePlantedTruth runs the demo for 9 weeks and checks its
// files, and that tracker's measurements find what the data planted:
// legacy_score matters until the eighth week and not after, the
// interaction pair matters although neither has a main effect, and the
// noise features do not.
func TestDemoFindsThePlantedTruth(t *testing.T) {
	dir := t.TempDir()
	r := runTracker(t, nil, false, "demo", "--dir", dir, "--weeks", "9")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"feature 17 (legacy_score), 9 weeks 2019-01-14 to 2019-03-11", "wrote " + filepath.Join(dir, "report", "index.html"), "Next:"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.out)
		}
	}
	for _, f := range []string{"Model/20190114/0_10.1_structure.json", "Model/20190311/0_10.9_weights.h5", "Data/20190311_holdout.csv", "report/index.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the demo did not write %s: %v", f, err)
		}
	}
	db := filepath.Join(dir, "tracker.db")
	if out := mustRun(t, db, "verify"); !strings.Contains(out, ": ok") {
		t.Errorf("verify after the demo: %s", out)
	}
	if out := mustRun(t, db, "ingest", filepath.Join(dir, "Model", "20190114", "0_10.1")); !strings.Contains(out, "unchanged") {
		t.Errorf("re-ingesting a demo file: %q, want unchanged", out)
	}
	rows, err := csv.NewReader(strings.NewReader(mustRun(t, db, "query", "feature", "legacy_score", "--weeks", "0", "--experiment", "permutation", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Fatalf("legacy_score has %d rows of permutation, want 9 weeks", len(rows)-1)
	}
	for i, row := range rows[1:] {
		rank, err := strconv.Atoi(row[3])
		if err != nil {
			t.Fatalf("week %s has no permutation rank for legacy_score: %q", row[0], row)
		}
		if i < demo.FadeWeek && rank > 3 {
			t.Errorf("week %s: legacy_score ranks %d by permutation while it drives the label; want top 3", row[0], rank)
		}
		if i >= demo.FadeWeek && rank <= 10 {
			t.Errorf("week %s: legacy_score ranks %d by permutation after it stopped mattering", row[0], rank)
		}
	}
	var week []weekRow
	if err := json.Unmarshal([]byte(mustRun(t, db, "query", "week", "--experiment", "permutation", "--format", "json")), &week); err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{}
	for _, w := range week {
		rank[w.Name] = w.Rank
	}
	for _, planted := range []string{"promo_a", "promo_b", "tenure_months", "support_tickets", "noise_40"} {
		if rank[planted] == 0 {
			t.Fatalf("query week has no rank for %s", planted)
		}
	}
	for _, planted := range []string{"promo_a", "promo_b", "tenure_months", "support_tickets"} {
		if rank[planted] > 15 {
			t.Errorf("%s ranks %d by permutation in the newest week; the label depends on it", planted, rank[planted])
		}
	}
	if rank["noise_40"] <= 15 {
		t.Errorf("noise_40 ranks %d by permutation; it is pure noise", rank["noise_40"])
	}
	if r := runTracker(t, nil, false, "demo", "--dir", dir); r.code != exitError || !strings.Contains(r.err, "already exists") {
		t.Errorf("a second demo into the same store: exit %d, %q", r.code, r.err)
	}
}
