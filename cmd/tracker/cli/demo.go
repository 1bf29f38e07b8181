package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/internal/demo"
)

type demoOptions struct {
	dir   string
	weeks int
	seed  uint64
}

func newDemoCmd(g *globals) *cobra.Command {
	opts := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--db PATH]",
		Short: "Train a season of weekly models on synthetic data and show what tracker finds",
		Long: `Build a realistic scenario from nothing. Each week has fresh synthetic data for
82 features with a planted truth: ten linear effects, an interaction pair
with no main effect (promo_a x promo_b), a noisy copy of the strongest
feature (tenure_copy), pure-noise features, legacy_score, which stops
mattering from the eighth week, and basket_value, whose distribution
shifts in the tenth. Each week a model (82 -> 64 -> 64 -> 2, narrower than
production's 500-wide layers so the demo runs in a minute or two) is trained
with tracker's own trainer and saved as Keras files in the users' layout,
DIR/Model/YYYYMMDD/0_10.N_structure.json + _weights.h5, with the week's
data in DIR/Data/. The demo then ingests the models, runs perturb and
permutation on each week's held-out rows and a drop-retrain on the newest
week, prints legacy_score's history and writes DIR/report/index.html.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.dir, "dir", "demo", "directory for the model, data and report files")
	cmd.Flags().IntVar(&opts.weeks, "weeks", 12, "how many weekly models to train")
	cmd.Flags().Uint64Var(&opts.seed, "seed", 1, "random seed for the data and the trainings")
	return cmd
}

// runDemo writes a season into an empty store's directory and runs on it
// the commands a newcomer would, printing what they find.
func runDemo(ctx context.Context, g *globals, opts *demoOptions) error {
	if opts.weeks < 2 || opts.weeks > 104 {
		return usagef("--weeks %d: choose 2 to 104", opts.weeks)
	}
	db := g.db
	if db == "" {
		db = filepath.Join(opts.dir, "tracker.db")
	}
	if _, err := os.Stat(db); err == nil {
		return fmt.Errorf("%s already exists: the demo starts from an empty store; remove it or pass --db", db)
	}
	started := time.Now()
	season, err := trainDemo(ctx, g, opts)
	if err != nil {
		return err
	}
	tour := demo.Tour{Out: g.env.Out, DB: db, Dir: opts.dir, Run: func(ctx context.Context, out io.Writer, args ...string) error {
		return g.sub(ctx, out, db, args...)
	}}
	bar := newProgress(g.env, "measuring")
	err = tour.Measure(ctx, season, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	report := filepath.Join(opts.dir, "report")
	if err := tour.Show(ctx, season, report); err != nil {
		return err
	}
	tour.Next(season, report, time.Since(started))
	return nil
}

// trainDemo writes the season's models and data under opts.dir, with a
// progress bar while the weeks train.
func trainDemo(ctx context.Context, g *globals, opts *demoOptions) (*demo.Season, error) {
	w := g.env.Out
	fmt.Fprintf(w, "training %d weekly models (%s) on synthetic data with a planted truth...\n", opts.weeks, arrows(demo.Layers()))
	bar := newProgress(g.env, "training")
	season, err := demo.Generate(ctx, demo.Options{Dir: opts.dir, Weeks: opts.weeks, Seed: opts.seed}, bar.update)
	if err != nil {
		return nil, err
	}
	bar.done()
	fmt.Fprintf(w, "wrote %d models under %s and their data under %s\n", len(season.Weeks), filepath.Join(opts.dir, "Model"), filepath.Join(opts.dir, "Data"))
	return season, nil
}

// arrows joins layer widths as "82 -> 64 -> 2".
func arrows(widths []int) string {
	s := make([]string, len(widths))
	for i, n := range widths {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " -> ")
}

// sub runs another tracker command on the store db, as a user would type
// it, writing its results to out.
func (g *globals) sub(ctx context.Context, out io.Writer, db string, args ...string) error {
	env := g.env
	env.Out = out
	env.OutTTY = false
	env.ErrOut = io.Discard
	env.ErrTTY = false
	root := NewRoot(env)
	root.SetArgs(append([]string{"--db", db}, args...))
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	if err := root.ExecuteContext(ctx); err != nil {
		return fmt.Errorf("tracker %s: %w", strings.Join(args, " "), err)
	}
	return nil
}
