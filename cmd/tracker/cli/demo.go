package cli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
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

// Demo sizes: enough rows for the planted effects to show clearly, few
// enough that 12 weeks train in well under the 3 minutes a newcomer waits.
const (
	demoTrainRows   = 8000
	demoHoldoutRows = 2000
	demoEpochs      = 12
)

var demoWidths = []int{64, 64}

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
	w := g.env.Out
	started := time.Now()
	start := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(opts.seed, 0x64656d6f)) // "demo"
	names := demoNames()
	arch, err := demoArchitecture()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "training %d weekly models (82 -> %s -> 2) on synthetic data with a planted truth...\n",
		opts.weeks, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(demoWidths)), " -> "), "[]"))
	var modelPaths, weeks, holdouts []string
	bar := newProgress(g.env, "training")
	for week := range opts.weeks {
		day := start.AddDate(0, 0, 7*week)
		stamp := day.Format("20060102")
		train, holdout := demoRows(rng, week, demoTrainRows), demoRows(rng, week, demoHoldoutRows)
		dataDir := filepath.Join(opts.dir, "Data")
		if err := writeDemoCSV(filepath.Join(dataDir, stamp+"_train.csv"), names, train); err != nil {
			return err
		}
		hpath := filepath.Join(dataDir, stamp+"_holdout.csv")
		if err := writeDemoCSV(hpath, names, holdout); err != nil {
			return err
		}
		// Keras's validation_split: the last fifth checks the training.
		cut := demoTrainRows * 4 / 5
		fit := nn.Labeled{X: train.X[:cut*demoFeatures], Labels: train.Labels[:cut], Rows: cut}
		val := nn.Labeled{X: train.X[cut*demoFeatures:], Labels: train.Labels[cut:], Rows: demoTrainRows - cut}
		res, err := nn.Train(ctx, arch, fit, val, nn.TrainOptions{Epochs: demoEpochs, Batch: 64, LR: 0.003, Patience: 3, Seed: opts.seed*1000 + uint64(week)})
		if err != nil {
			return fmt.Errorf("week %s: %w", day.Format(time.DateOnly), err)
		}
		modelDir := filepath.Join(opts.dir, "Model", stamp)
		name := fmt.Sprintf("0_10.%d", week+1)
		if _, _, err := keras.Export(res.Snapshot, modelDir, name); err != nil {
			return err
		}
		modelPaths = append(modelPaths, filepath.Join(modelDir, name))
		weeks = append(weeks, day.Format(time.DateOnly))
		holdouts = append(holdouts, hpath)
		bar.update(week+1, opts.weeks)
	}
	bar.done()
	fmt.Fprintf(w, "wrote %d models under %s and their data under %s\n", opts.weeks, filepath.Join(opts.dir, "Model"), filepath.Join(opts.dir, "Data"))

	quiet := func(args ...string) error { return g.sub(ctx, io.Discard, db, args...) }
	show := func(args ...string) error {
		fmt.Fprintf(w, "\n$ tracker --db %s %s\n", db, strings.Join(quoteArgs(args), " "))
		return g.sub(ctx, w, db, args...)
	}
	fmt.Fprintf(w, "\n$ tracker --db %s ingest %s/Model/*/0_10.*\n", db, opts.dir)
	if err := quiet(append([]string{"ingest"}, modelPaths...)...); err != nil {
		return err
	}
	fmt.Fprintf(w, "stored %d versions with their weight-based importances\n", len(modelPaths))
	fmt.Fprintf(w, "\nrunning perturb and permutation on each week's held-out rows, and a drop-retrain on the newest week...\n")
	bar = newProgress(g.env, "measuring")
	for i, week := range weeks {
		if err := quiet("run", "perturb", "--week", week, "--data", holdouts[i], "--label", "churned", "--pivots", "100", "--samples", "50", "--format", "csv"); err != nil {
			return err
		}
		if err := quiet("run", "permutation", "--week", week, "--data", holdouts[i], "--label", "churned", "--repeats", "3", "--format", "csv"); err != nil {
			return err
		}
		bar.update(i+1, len(weeks))
	}
	bar.done()
	newest := len(weeks) - 1
	trainNewest := filepath.Join(opts.dir, "Data", start.AddDate(0, 0, 7*newest).Format("20060102")+"_train.csv")
	if err := quiet("run", "drop-retrain", "--week", weeks[newest], "--data", trainNewest, "--label", "churned",
		"--features", "tenure_months,promo_a,tenure_copy,legacy_score,noise_40", "--init", "snapshot",
		"--epochs", "3", "--seeds", "2", "--format", "csv"); err != nil {
		return err
	}
	if err := show("query", "feature", "legacy_score", "--weeks", "12", "--experiment", "weight-sum,perturb,permutation", "--format", "table"); err != nil {
		return err
	}
	if err := show("query", "week", "--experiment", "permutation", "--top", "8", "--format", "table"); err != nil {
		return err
	}
	report := filepath.Join(opts.dir, "report")
	fmt.Fprintf(w, "\n$ tracker --db %s report --out %s\n", db, report)
	if err := quiet("report", "--out", report); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", filepath.Join(report, "index.html"))
	fmt.Fprintf(w, `
The planted truth: legacy_score (17) matters in the weeks before %[3]s and not from then on;
promo_a and promo_b (10, 11) matter only together; tenure_copy (12) copies
tenure_months (0); basket_value (5) shifts from %[4]s; noise_* carry nothing.
The demo took %[2]s.

Next:
  open %[5]s
  bin/tracker --db %[1]s query feature promo_a
  bin/tracker --db %[1]s plot heatmap --experiment permutation --out heatmap.png
  bin/tracker --db %[1]s plot compare %[6]s %[7]s --experiment weight-sum --out compare.png
  bin/tracker --db %[1]s export --out importances.csv
  bin/tracker --db %[1]s run drop-retrain --data %[8]s --label churned --init snapshot --epochs 3 --workers 2
`, db, time.Since(started).Round(time.Second), weeks[min(demoFadeWeek, newest)], weeks[min(demoShiftWeek, newest)],
		filepath.Join(report, "index.html"), weeks[0], weeks[newest], trainNewest)
	return nil
}

// demoArchitecture is the demo's network; Train draws its weights.
func demoArchitecture() (*snapshot.Snapshot, error) {
	widths := append(append([]int{demoFeatures}, demoWidths...), 2)
	var layers []snapshot.Layer
	for i := 1; i < len(widths); i++ {
		act := "relu"
		if i == len(widths)-1 {
			act = "softmax"
		}
		in, out := widths[i-1], widths[i]
		layers = append(layers, snapshot.Layer{
			Spec: snapshot.Spec{Name: fmt.Sprintf("dense_%d", i), Class: snapshot.ClassDense, Units: out, Activation: act, UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{in, out}, Data: make([]float32, in*out)},
				{Name: "bias", Shape: []int{out}, Data: make([]float32, out)},
			},
		})
	}
	return snapshot.New(demoFeatures, layers, snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
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
