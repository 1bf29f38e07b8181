package cli

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/tracker"
)

// TestCheckpointSeriesIngestsAsConsecutiveWeeks treats the 21 Keras
// checkpoints of one training run as 21 weekly retrains. The files must be
// ordered by epoch number, not by name (-100- sorts before -12-).
func TestCheckpointSeriesIngestsAsConsecutiveWeeks(t *testing.T) {
	dir := fixtures.Keras(t, "pima-checkpoints-keras224")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	epoch := regexp.MustCompile(`weights-improvement-(\d+)-`)
	type ckpt struct {
		epoch int
		path  string
	}
	var series []ckpt
	for _, e := range entries {
		m := epoch.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		series = append(series, ckpt{n, filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(series, func(a, b ckpt) int { return a.epoch - b.epoch })
	if len(series) != 21 {
		t.Fatalf("%d checkpoints, want 21", len(series))
	}
	db := filepath.Join(t.TempDir(), "tracker.db")
	start := time.Date(2019, 1, 7, 0, 0, 0, 0, time.UTC)
	for i, c := range series {
		week := start.AddDate(0, 0, 7*i).Format("2006-01-02")
		mustRun(t, db, "ingest", "--model", "pima", "--week", week, c.path)
	}
	lines := strings.Split(strings.TrimSpace(mustRun(t, db, "list", "--model", "pima")), "\n")[1:]
	if len(lines) != 21 {
		t.Fatalf("list shows %d versions, want 21", len(lines))
	}
	for i, line := range lines {
		want := start.AddDate(0, 0, 7*i).Format("2006-01-02") + "," + strconv.Itoa(i+1) + ","
		if !strings.Contains(line, want) {
			t.Errorf("row %d is %q, want week and version %q", i, line, want)
		}
	}

	// The stored weight-sum, summed over features, is sum|W1|, which
	// PROVENANCE.md gives as 2.28 for epoch 1 and 9.94 for epoch 145.
	store, err := tracker.Open(db, tracker.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	total := func(version uint64) float64 {
		exps, err := store.Experiments("pima", version)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range exps {
			if e.Kind == experiments.KindWeightSum {
				var s float64
				for _, v := range e.Value {
					s += v
				}
				return s
			}
		}
		t.Fatalf("version %d has no weight-sum", version)
		return 0
	}
	if got := total(1); math.Abs(got-2.28) > 0.005 {
		t.Errorf("epoch 1: sum|W1| = %.4f, want 2.28", got)
	}
	if got := total(21); math.Abs(got-9.94) > 0.005 {
		t.Errorf("epoch 145: sum|W1| = %.4f, want 9.94", got)
	}
}
