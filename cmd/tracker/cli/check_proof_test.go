package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/internal/demo"
)

// The check season (docs/PROOF.md, "Retrain checks"): eight quiet weeks,
// then a feature stops mattering, a quiet week, a feature's data shifts,
// a quiet week, a retrain with a ten times larger learning rate, and a
// quiet week.
const (
	checkWeeks  = 14
	checkFade   = 8
	checkShift  = 10
	checkBroken = 12
)

// checkJSONResult is check's JSON contract.
type checkJSONResult struct {
	Week       string `json:"week"`
	Against    string `json:"against"`
	Pass       bool   `json:"pass"`
	Learned    bool   `json:"learned"`
	Violations []struct {
		What    string   `json:"what"`
		Feature *int     `json:"feature"`
		Value   *float64 `json:"value"`
		Bound   string   `json:"bound"`
		Cause   string   `json:"cause"`
	} `json:"violations"`
}

// TestCheckProof is issue 14's proof of tracker check: two seasons of
// the check season's events, every week measured as a weekly job would
// (ingest, ingest-data of the training rows, evaluate and permutation on
// the held-out rows) and checked in turn, the failing event weeks
// accepted as a team would after reading why.
func TestCheckProof(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short: trains two seasons")
	}
	falseAlarms, unchanged := 0, 0
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("season %d", seed), func(t *testing.T) {
			fa, un := checkSeason(t, seed)
			falseAlarms += fa
			unchanged += un
		})
	}
	t.Logf("observed: %d false alarms in %d unchanged weeks", falseAlarms, unchanged)
	if falseAlarms > 1 || unchanged < 20 {
		t.Errorf("%d false alarms in %d unchanged weeks, want at most 1 in at least 20", falseAlarms, unchanged)
	}
}

// checkSeason checks one season and returns its false alarms and
// unchanged weeks.
func checkSeason(t *testing.T, seed uint64) (falseAlarms, unchanged int) {
	dir := t.TempDir()
	opts := demo.Proof(filepath.Join(dir, "season"), seed)
	opts.Weeks = checkWeeks
	opts.Events = &demo.Events{Fade: checkFade, Shift: checkShift, Broken: checkBroken}
	opts.BrokenLR = 10 * demo.DefaultLR
	s, err := demo.Generate(context.Background(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "tracker.db")
	week := func(i int) string { return s.Weeks[i].Date.Format(time.DateOnly) }
	for i, w := range s.Weeks {
		mustRun(t, db, "ingest", w.Model)
		mustRun(t, db, "ingest-data", w.Train, "--label", s.Label, "--format", "json")
		mustRun(t, db, "run", "evaluate", "--week", week(i), "--data", w.Holdout, "--label", s.Label, "--format", "json")
		mustRun(t, db, "run", "permutation", "--week", week(i), "--data", w.Holdout, "--label", s.Label, "--repeats", proofRepeats, "--format", "json")
	}
	var line []string
	for i := 1; i < len(s.Weeks); i++ {
		r := tr(t, db, "check", "--week", week(i), "--format", "json")
		var res checkJSONResult
		if err := json.Unmarshal([]byte(r.out), &res); err != nil {
			t.Fatalf("week %s: check JSON: %v\n%s%s", week(i), err, r.out, r.err)
		}
		if want := map[bool]int{true: exitOK, false: exitCheck}[res.Pass]; r.code != want {
			t.Errorf("week %s: pass %v but exit %d", week(i), res.Pass, r.code)
		}
		line = append(line, fmt.Sprintf("%d:%s", i, summary(res)))
		switch i {
		case checkFade:
			if res.Pass || !violates(res, demo.Fading, "") {
				t.Errorf("week %s (a feature stops mattering): %s; want a failure naming feature %d", week(i), summary(res), demo.Fading)
			}
			mustRun(t, db, "check", "accept", "--week", week(i), "--reason", "legacy_score retired upstream")
		case checkShift:
			if res.Pass || !violates(res, demo.Shifted, "data") {
				t.Errorf("week %s (a feature's data shifts): %s; want a failure naming feature %d with cause data", week(i), summary(res), demo.Shifted)
			}
			mustRun(t, db, "check", "accept", "--week", week(i), "--reason", "basket_value is in another currency now")
		case checkBroken:
			if res.Pass || !(violates(res, -1, "model") || violates(res, -1, "quality")) {
				t.Errorf("week %s (learning rate x10): %s; want a failure with cause model or quality", week(i), summary(res))
			}
		default:
			unchanged++
			if !res.Pass {
				falseAlarms++
				t.Logf("false alarm in week %s: %s", week(i), summary(res))
			}
			if i == checkBroken+1 && res.Against != week(checkBroken-1) {
				t.Errorf("week %s after the broken week is compared with %s, want %s", week(i), res.Against, week(checkBroken-1))
			}
		}
	}
	t.Logf("observed: season %d: %s", seed, strings.Join(line, " "))
	listed := mustRun(t, db, "query", "checks", "--weeks", "0", "--format", "csv")
	for _, want := range []string{"accepted", "failed", "passed", "legacy_score retired upstream"} {
		if !strings.Contains(listed, want) {
			t.Errorf("query checks lacks %q:\n%s", want, listed)
		}
	}
	out := filepath.Join(dir, "report")
	mustRun(t, db, "report", "--weeks", "0", "--out", out)
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tracker check of week " + week(checkWeeks-1), "<td>accepted</td>", `<td class="down">failed</td>`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	return falseAlarms, unchanged
}

// violates reports whether res breaks a bound of feature f (any when f
// < 0) with cause (any when "").
func violates(res checkJSONResult, f int, cause string) bool {
	return slices.ContainsFunc(res.Violations, func(v struct {
		What    string   `json:"what"`
		Feature *int     `json:"feature"`
		Value   *float64 `json:"value"`
		Bound   string   `json:"bound"`
		Cause   string   `json:"cause"`
	}) bool {
		return (f < 0 || (v.Feature != nil && *v.Feature == f)) && (cause == "" || v.Cause == cause)
	})
}

func summary(res checkJSONResult) string {
	if res.Pass {
		return "pass"
	}
	var parts []string
	for _, v := range res.Violations {
		parts = append(parts, v.What+"["+v.Cause+"]")
	}
	return "FAIL(" + strings.Join(parts, "; ") + ")"
}
