package demo

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// Tour runs on a season the tracker commands a newcomer would, as a user
// would type them, and prints what they find on Out.
type Tour struct {
	Out     io.Writer
	DB, Dir string // the store, and the directory the season is in
	// Run runs one tracker command on the store, its results to out.
	Run func(ctx context.Context, out io.Writer, args ...string) error
}

func (d Tour) quiet(ctx context.Context, args ...string) error {
	return d.Run(ctx, io.Discard, args...)
}

func (d Tour) shown(ctx context.Context, args ...string) error {
	fmt.Fprintf(d.Out, "\n$ tracker --db %s %s\n", d.DB, strings.Join(quoteArgs(args), " "))
	return d.Run(ctx, d.Out, args...)
}

// Measure ingests the season's models, runs perturb and permutation on
// each week's holdout rows and a drop-retrain on the newest week.
func (d Tour) Measure(ctx context.Context, s *Season, progress func(done, total int)) error {
	fmt.Fprintf(d.Out, "\n$ tracker --db %s ingest %s/Model/*/0_10.*\n", d.DB, d.Dir)
	models := make([]string, len(s.Weeks))
	for i, wk := range s.Weeks {
		models[i] = wk.Model
	}
	if err := d.quiet(ctx, append([]string{"ingest"}, models...)...); err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "stored %d versions with their weight-based importances\n", len(models))
	fmt.Fprintf(d.Out, "\n$ for f in %s/Data/*_train.csv; do tracker --db %s ingest-data \"$f\" --label %s; done\n", d.Dir, d.DB, s.Label)
	for _, wk := range s.Weeks {
		if err := d.quiet(ctx, "ingest-data", wk.Train, "--label", s.Label, "--format", "csv"); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.Out, "stored %d weekly profiles of the training rows\n", len(s.Weeks))
	fmt.Fprintf(d.Out, "\nrunning evaluate, perturb and permutation on each week's held-out rows, and a drop-retrain on the newest week...\n")
	for i, wk := range s.Weeks {
		week := wk.Date.Format(time.DateOnly)
		if err := d.quiet(ctx, "run", "evaluate", "--week", week, "--data", wk.Holdout, "--label", s.Label, "--format", "csv"); err != nil {
			return err
		}
		if err := d.quiet(ctx, "run", "perturb", "--week", week, "--data", wk.Holdout, "--label", s.Label, "--pivots", "100", "--samples", "50", "--format", "csv"); err != nil {
			return err
		}
		if err := d.quiet(ctx, "run", "permutation", "--week", week, "--data", wk.Holdout, "--label", s.Label, "--repeats", "3", "--format", "csv"); err != nil {
			return err
		}
		progress(i+1, len(s.Weeks))
	}
	newest := s.Newest()
	return d.quiet(ctx, "run", "drop-retrain", "--week", newest.Date.Format(time.DateOnly), "--data", newest.Train, "--label", s.Label,
		"--features", "tenure_months,promo_a,tenure_copy,legacy_score,noise_40", "--init", "snapshot",
		"--epochs", "3", "--seeds", "2", "--format", "csv")
}

// Show prints legacy_score's history, the newest week's ranking, the
// models' quality and the data drift of the week basket_value shifts,
// and writes the HTML report into dir.
func (d Tour) Show(ctx context.Context, s *Season, dir string) error {
	if err := d.shown(ctx, "query", "feature", "legacy_score", "--weeks", "12", "--experiment", "weight-sum,perturb,permutation", "--format", "table"); err != nil {
		return err
	}
	if err := d.shown(ctx, "query", "week", "--experiment", "permutation", "--top", "8", "--format", "table"); err != nil {
		return err
	}
	if err := d.shown(ctx, "query", "model", "--weeks", "12", "--format", "table"); err != nil {
		return err
	}
	if err := d.shown(ctx, "drift", "--week", s.Shift().Date.Format(time.DateOnly), "--top", "6", "--format", "table"); err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "\n$ tracker --db %s report --out %s\n", d.DB, dir)
	if err := d.quiet(ctx, "report", "--out", dir); err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "wrote %s\n", filepath.Join(dir, "index.html"))
	return nil
}

// Next says what the data planted and what to try next.
func (d Tour) Next(s *Season, report string, took time.Duration) {
	day := func(wk Week) string { return wk.Date.Format(time.DateOnly) }
	fmt.Fprintf(d.Out, `
The planted truth: legacy_score (17) matters in the weeks before %[3]s and not from then on;
promo_a and promo_b (10, 11) matter only together; tenure_copy (12) copies
tenure_months (0); basket_value (5) shifts from %[4]s; noise_* carry nothing.
The demo took %[2]s.

Next:
  open %[5]s
  bin/tracker --db %[1]s query feature promo_a
  bin/tracker --db %[1]s plot heatmap --experiment permutation --out heatmap.png
  bin/tracker --db %[1]s plot compare %[6]s %[7]s --experiment weight-sum --out compare.png
  bin/tracker --db %[1]s check                # the newest retrain against the last good one: exit 3 when out of bounds
  bin/tracker --db %[1]s diff %[9]s %[4]s --data %[10]s --label churned
  bin/tracker --db %[1]s export --out importances.csv
  bin/tracker --db %[1]s run drop-retrain --data %[8]s --label churned --init snapshot --epochs 3 --workers 2
`, d.DB, took.Round(time.Second), day(s.Fade()), day(s.Shift()),
		filepath.Join(report, "index.html"), day(s.Weeks[0]), day(s.Newest()), s.Newest().Train, day(s.Weeks[s.Events.Shift-1]), s.Shift().Holdout)
}

// quoteArgs quotes arguments a shell would split.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " ,;'\"") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}
