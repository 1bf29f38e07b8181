package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/tracker"
)

// formulaNames are feature names a spreadsheet would run as formulas.
const formulaNames = "=1+2\n-2+3\n@SUM(1;1)\n+4\nplain, with comma\n"

func TestExportGolden(t *testing.T) {
	db := queryStore(t, 6)
	golden(t, "export_long_csv", mustRun(t, db, "export", "--weeks", "2", "--experiment", "weight-sum,perturb"), "")
	golden(t, "export_wide_csv", mustRun(t, db, "export", "--wide", "--experiment", "perturb"), "")

	var rows []exportRow
	if err := json.Unmarshal([]byte(mustRun(t, db, "export", "--format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	// 6 weeks x 5 features x (weight-sum, garson, 2 olden) + 5 weeks of perturb.
	if len(rows) != 6*5*4+5*5 {
		t.Errorf("%d JSON rows, want %d", len(rows), 6*5*4+5*5)
	}
	if r := tr(t, db, "export", "--wide"); r.code != 2 || !strings.Contains(r.err, "--wide pivots one experiment") {
		t.Errorf("--wide over several experiments: exit %d, %q", r.code, r.err)
	}
	// --out writes the same bytes as standard output.
	out := filepath.Join(t.TempDir(), "all.csv")
	mustRun(t, db, "export", "--out", out)
	if b, err := os.ReadFile(out); err != nil || string(b) != mustRun(t, db, "export") {
		t.Errorf("--out file differs from standard output (%v)", err)
	}
}

// TestExportOpensInLibreOffice converts an export to a spreadsheet and back
// with LibreOffice Calc: every cell must come back, numbers as numbers, and
// names that look like formulas as text, never evaluated.
func TestExportOpensInLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("skipped: LibreOffice (soffice) is not installed; apt-get install libreoffice-calc")
	}
	db := queryStore(t, 3)
	tmp := t.TempDir()
	mustRun(t, db, "features", "set", writeFile(t, filepath.Join(tmp, "names.txt"), formulaNames))
	src := filepath.Join(tmp, "export.csv")
	mustRun(t, db, "export", "--experiment", "weight-sum", "--out", src)

	profile := "-env:UserInstallation=file://" + filepath.Join(tmp, "profile")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(soffice, append([]string{profile, "--headless", "--norestore"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice %v: %v\n%s", args, err, out)
		}
	}
	// UTF-8, comma-separated, quoted with ", as the file is.
	run("--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", filepath.Join(tmp, "xlsx"), src)
	back := filepath.Join(tmp, "back")
	run("--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", back, filepath.Join(tmp, "xlsx", "export.xlsx"))

	want := readCSV(t, src)
	got := readCSV(t, filepath.Join(back, "export.csv"))
	if len(got) != len(want) {
		t.Fatalf("%d rows came back from LibreOffice, want %d", len(got), len(want))
	}
	for i := range want {
		for j := range want[i] {
			w, g := want[i][j], got[i][j]
			if w == g || strings.TrimPrefix(w, "'") == g {
				continue // the apostrophe may be taken as Calc's text marker
			}
			t.Errorf("row %d column %s: wrote %q, LibreOffice has %q", i, want[0][j], w, g)
		}
	}
	for _, row := range got[1:] {
		if name := row[7]; name == "3" || name == "1" || name == "2" || name == "4" {
			t.Errorf("LibreOffice evaluated a feature name as a formula: %q", row)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// TestWideExportShowsTheRecordThatSpeaksForEachWeek records a second,
// newer perturb record of the same settings in the newest week: --wide
// and query feature show it, as query week does, whatever the records'
// key order.
func TestWideExportShowsTheRecordThatSpeaksForEachWeek(t *testing.T) {
	db := queryStore(t, 3)
	s, err := tracker.Open(db, tracker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vi, err := s.Latest(tracker.DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	for seed := int64(2); seed < 60; seed++ {
		v := []float64{0.7, 0.6, 0.5, 0.4, float64(seed) / 1000}
		e := tracker.Experiment{Kind: experiments.KindPerturb, Params: map[string]string{"pivots": "100"},
			DataSHA256: fmt.Sprintf("%064d", 99), DataRows: 100, Seed: seed, ToolVersion: "test",
			CreatedAt: fixedNow.Add(time.Duration(seed) * time.Hour), Value: v, Spread: []float64{0.01, 0.01, 0.01, 0.01, 0.01}, Rank: experiments.Rank(v)}
		if _, err := s.Record(tracker.DefaultModel, vi.Version, []tracker.Experiment{e}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	// The newest record has seed 59: feature 4 is 0.059.
	rows, err := csv.NewReader(strings.NewReader(mustRun(t, db, "export", "--wide", "--experiment", "perturb"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[5][len(rows[5])-1]; got != "0.059" {
		t.Errorf("--wide shows %s for feature 4 in the newest week, want the newest record's 0.059", got)
	}
	if out := mustRun(t, db, "query", "feature", "4", "--experiment", "perturb", "--format", "csv"); !strings.Contains(out, ",0.059,") {
		t.Errorf("query feature does not show the newest record:\n%s", out)
	}
}
