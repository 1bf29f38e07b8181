package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

// runOptions are the flags every `tracker run` method shares.
type runOptions struct {
	model  string
	week   string
	weeks  int
	all    bool
	format string
	seed   uint64
	output int
	data   dataOptions
}

func (o *runOptions) register(cmd *cobra.Command, labelHelp string) {
	f := cmd.Flags()
	f.StringVar(&o.model, "model", tracker.DefaultModel, "model series name")
	f.StringVar(&o.week, "week", "", "run on this week, YYYY-MM-DD or latest (default latest)")
	f.IntVar(&o.weeks, "weeks", 0, "run on the newest N weeks")
	f.BoolVar(&o.all, "all", false, "run on every week")
	f.StringVar(&o.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	f.Uint64Var(&o.seed, "seed", 1, "random seed: the same seed, data and parameters give the same result")
	f.IntVar(&o.output, "output", -1, "output unit whose probability is watched (default: the last, the positive class)")
	o.data.register(cmd, labelHelp)
}

// method is one behavioural importance method as the run command drives it.
type method struct {
	kind   string
	params func(dataRows, output int) map[string]string
	run    func(ctx context.Context, r *experiments.Run) (experiments.Result, error)
	unit   string // what Progress counts
}

func newRunCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run METHOD",
		Short: "Measure feature importance by behaviour and record it against versions",
		Long: `Run an importance method on data against one or more stored versions and record
the result with its parameters, data fingerprint and seed. Running again with
the same parameters on the same data stores nothing new and shows the stored
result. Each run prints a ranked table and warns, one line per feature, where
the weight-sum (summed first-layer weights) disagrees with the behaviour.`,
	}
	cmd.AddCommand(newPerturbCmd(g), newPermutationCmd(g), newGradientCmd(g), newDropRetrainCmd(g))
	return cmd
}

func newPerturbCmd(g *globals) *cobra.Command {
	opts := &runOptions{}
	var pivots, samples int
	var noise string
	cmd := &cobra.Command{
		Use:   "perturb [--week W | --weeks N | --all] --data F [--pivots N] [--samples M] [--noise uniform:50|normal:1|std:1] [--output K] [--seed S]",
		Short: "Pivot perturbation: noise one feature of real rows and watch the output",
		Long: `Take N pivot rows of the data (all rows if fewer) and, for each feature, M
copies of each pivot with noise added to that feature alone. A feature's value
is the mean |change in the probability of output K|, its spread the standard
deviation over pivots; flip_rate is the share of copies whose predicted class
changed.

Noise: uniform:P adds a uniform draw from ±P% of the feature's range in the
data; normal:S a normal draw with standard deviation S in the feature's
units; std:K a normal draw with K times the feature's standard deviation.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			nz, err := experiments.ParseNoise(noise)
			if err != nil {
				return usageError{err}
			}
			if pivots <= 0 || samples <= 0 {
				return usagef("--pivots and --samples must be positive")
			}
			po := experiments.PerturbOptions{Pivots: pivots, Samples: samples, Noise: nz}
			return runMethod(cmd.Context(), g, opts, method{
				kind: experiments.KindPerturb, params: po.Params, unit: "features",
				run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
					return experiments.Perturb(ctx, r, po)
				},
			})
		},
	}
	opts.register(cmd, "label column to leave out of the features, by name or 0-based index")
	cmd.Flags().IntVar(&pivots, "pivots", 100, "pivot rows drawn from the data")
	cmd.Flags().IntVar(&samples, "samples", 100, "noisy copies of each pivot per feature")
	cmd.Flags().StringVar(&noise, "noise", experiments.DefaultNoise.String(), "noise added to the perturbed feature")
	return cmd
}

func newPermutationCmd(g *globals) *cobra.Command {
	opts := &runOptions{}
	var po experiments.PermutationOptions
	cmd := &cobra.Command{
		Use:   "permutation [--week W | --weeks N | --all] --data F --label COL [--repeats R] [--metric accuracy|logloss|auc]",
		Short: "Permutation importance: shuffle one column and measure the metric drop",
		Long: `Shuffle one feature's column at a time, breaking its link to the label, and
measure how much the metric worsens. A feature's value is the mean drop over
the repeats and its spread their standard deviation; larger means more
important for every metric.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.data.label == "" {
				return usagef("permutation needs --label COL: the column holding each row's true class")
			}
			if po.Repeats <= 0 {
				return usagef("--repeats must be positive")
			}
			if !slices.Contains(experiments.Metrics, po.Metric) {
				return usagef("--metric %q: choose one of %s", po.Metric, strings.Join(experiments.Metrics, ", "))
			}
			return runMethod(cmd.Context(), g, opts, method{
				kind: experiments.KindPermutation, unit: "shuffles",
				params: func(_, output int) map[string]string { return po.Params(output) },
				run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
					return experiments.Permutation(ctx, r, po)
				},
			})
		},
	}
	opts.register(cmd, "label column holding each row's true class, by name or 0-based index")
	cmd.Flags().IntVar(&po.Repeats, "repeats", 5, "shuffles per feature")
	cmd.Flags().StringVar(&po.Metric, "metric", "accuracy", "accuracy, logloss or auc")
	return cmd
}

func newGradientCmd(g *globals) *cobra.Command {
	opts := &runOptions{}
	var gro experiments.GradientOptions
	cmd := &cobra.Command{
		Use:   "gradient [--week W | --weeks N | --all] --data F [--baseline mean|zero] [--steps 50] [--rows N]",
		Short: "Integrated gradients: mean |attribution| per feature over the rows",
		Long: `Integrated gradients: for each row, a feature's attribution is its distance from
the baseline times the mean gradient of output K along the straight path from
the baseline to the row. A feature's value is the mean |attribution| over the
rows, its spread their standard deviation.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if gro.Baseline != "mean" && gro.Baseline != "zero" {
				return usagef("--baseline %q: choose mean or zero", gro.Baseline)
			}
			if gro.Steps <= 0 || gro.Rows < 0 {
				return usagef("--steps must be positive and --rows not negative")
			}
			return runMethod(cmd.Context(), g, opts, method{
				kind: experiments.KindGradient, params: gro.Params, unit: "rows",
				run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
					return experiments.Gradient(ctx, r, gro)
				},
			})
		},
	}
	opts.register(cmd, "label column to leave out of the features, by name or 0-based index")
	cmd.Flags().StringVar(&gro.Baseline, "baseline", "mean", "path start: mean (each feature's mean) or zero")
	cmd.Flags().IntVar(&gro.Steps, "steps", 50, "points on the path from the baseline to each row")
	cmd.Flags().IntVar(&gro.Rows, "rows", 1000, "rows explained, sampled from the data (0 = all)")
	return cmd
}

// validate checks the flags that need no store or data.
func (o *runOptions) validate() error {
	chosen := 0
	for _, set := range []bool{o.week != "", o.weeks != 0, o.all} {
		if set {
			chosen++
		}
	}
	if chosen > 1 {
		return usagef("choose one of --week, --weeks and --all")
	}
	if o.weeks < 0 {
		return usagef("--weeks %d: give a positive number of weeks", o.weeks)
	}
	if o.data.path == "" {
		return usagef("--data FILE is required")
	}
	return nil
}

// selectVersions picks the current version of each chosen week, oldest
// first.
func selectVersions(store *tracker.Store, opts *runOptions) ([]tracker.VersionInfo, error) {
	switch {
	case opts.week != "" && opts.week != "latest":
		vi, err := store.VersionAt(opts.model, opts.week)
		return []tracker.VersionInfo{vi}, err
	case opts.all:
		return store.CurrentVersions(opts.model, 0)
	case opts.weeks > 0:
		return store.CurrentVersions(opts.model, opts.weeks)
	}
	return store.CurrentVersions(opts.model, 1)
}

// weekJob is one version to run the method on.
type weekJob struct {
	vi     tracker.VersionInfo
	exp    tracker.Experiment // identity filled; results once run or found
	stored *tracker.Experiment
	snap   *snapshot.Snapshot
	// weightSum is the version's weight-sum, which the result is checked
	// against for disagreements.
	weightSum experiments.Result
}

func runMethod(ctx context.Context, g *globals, opts *runOptions, m method) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if err := opts.validate(); err != nil {
		return err
	}
	data, err := opts.data.read(opts.data.path)
	if err != nil {
		return err
	}
	jobs, names, err := planRuns(g, opts, m, data)
	if err != nil {
		return err
	}
	var done []*weekJob
	for i, job := range jobs {
		if job.stored != nil {
			fmt.Fprintf(g.env.ErrOut, "week %s: %s already recorded with these parameters, data and seed (on %s); nothing stored, showing the stored result\n",
				job.vi.Week, m.kind, job.stored.CreatedAt.Format(time.DateOnly))
			job.exp = *job.stored
			done = append(done, job)
			continue
		}
		label := fmt.Sprintf("%s %s (%d/%d)", m.kind, job.vi.Week, i+1, len(jobs))
		if err := compute(ctx, g.env, job, m, data, label); err != nil {
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("interrupted during week %s: nothing stored for it (%d earlier weeks were stored)", job.vi.Week, recordedCount(done))
			}
			return fmt.Errorf("week %s: %w", job.vi.Week, err)
		}
		n, err := recordRun(g, opts, job, data, names == nil)
		if err != nil {
			return err
		}
		if n != nil {
			names = n
		}
		done = append(done, job)
	}
	return printRuns(g, format, m.kind, done, names)
}

// recordedCount is how many of jobs this run computed and stored.
func recordedCount(jobs []*weekJob) int {
	n := 0
	for _, j := range jobs {
		if j.stored == nil {
			n++
		}
	}
	return n
}

// planRuns reads what it needs from the store and closes it again, so no
// lock is held while the method runs: ingests can go on meanwhile.
func planRuns(g *globals, opts *runOptions, m method, data *dataset.Dataset) ([]*weekJob, []string, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	versions, err := selectVersions(store, opts)
	if err != nil {
		return nil, nil, err
	}
	names, err := store.Features(opts.model)
	if err != nil {
		return nil, nil, err
	}
	var jobs []*weekJob
	for _, vi := range versions {
		if err := opts.data.checkColumns(data, vi.Inputs, fmt.Sprintf("week %s (version %d)", vi.Week, vi.Version)); err != nil {
			return nil, nil, err
		}
		output := opts.output
		if output < 0 {
			output = vi.Outputs - 1
		}
		if output >= vi.Outputs {
			return nil, nil, usagef("--output %d: week %s has outputs 0 to %d", output, vi.Week, vi.Outputs-1)
		}
		params := m.params(data.Rows, output)
		opts.data.params(params)
		job := &weekJob{vi: vi, exp: tracker.Experiment{
			Kind: m.kind, Params: params, DataSHA256: data.SHA256, DataRows: data.Rows, Seed: int64(opts.seed),
		}}
		exps, err := store.Experiments(vi.Model, vi.Version)
		if err != nil {
			return nil, nil, err
		}
		id := job.exp.ID()
		haveWeightSum := false
		for _, e := range exps {
			switch {
			case e.ID() == id:
				job.stored = e
			case e.Kind == experiments.KindWeightSum:
				job.weightSum = experiments.Result{Kind: e.Kind, Value: e.Value, Rank: e.Rank}
				haveWeightSum = true
			}
		}
		if job.stored == nil || !haveWeightSum {
			if job.snap, err = store.Snapshot(vi.Model, vi.Version); err != nil {
				return nil, nil, err
			}
		}
		if !haveWeightSum {
			job.weightSum = experiments.WeightSum(job.snap)
		}
		jobs = append(jobs, job)
	}
	return jobs, names, nil
}

// compute runs the method on one version, filling job.exp's results.
func compute(ctx context.Context, env Env, job *weekJob, m method, data *dataset.Dataset, label string) error {
	net, err := nn.New(job.snap)
	if err != nil {
		return err
	}
	output, _ := strconv.Atoi(job.exp.Params["output"])
	bar := newProgress(env, label+" "+m.unit)
	start := time.Now()
	res, err := m.run(ctx, &experiments.Run{Net: net, Data: data, Output: output, Seed: uint64(job.exp.Seed), Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	if !maps.Equal(res.Params, withoutData(job.exp.Params)) {
		return fmt.Errorf("internal error: %s ran with parameters %v but planned %v", m.kind, res.Params, job.exp.Params)
	}
	job.exp.Took = time.Since(start)
	job.exp.ToolVersion = Version()
	job.exp.CreatedAt = env.Now().UTC()
	job.exp.Value, job.exp.Spread, job.exp.Rank, job.exp.Extra = res.Value, res.Spread, res.Rank, res.Extra
	return nil
}

// withoutData drops the data-reading parameters, which the method itself
// does not know about.
func withoutData(p map[string]string) map[string]string {
	out := maps.Clone(p)
	for _, k := range []string{"label", "drop", "classes"} {
		delete(out, k)
	}
	return out
}

// recordRun stores one week's result in its own short transaction, and the
// data header's feature names when the series has none. It returns the
// names it stored, if any.
func recordRun(g *globals, opts *runOptions, job *weekJob, data *dataset.Dataset, adoptNames bool) ([]string, error) {
	store, err := g.open(false)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if _, err := store.Record(job.vi.Model, job.vi.Version, []tracker.Experiment{job.exp}); err != nil {
		return nil, fmt.Errorf("record %s for week %s: %w", job.exp.Kind, job.vi.Week, err)
	}
	if !adoptNames {
		return nil, nil
	}
	return adoptFeatureNames(g, store, job.vi.Model, opts.data.path, data)
}

// runRow is one feature of one week's result, as csv and json print it.
type runRow struct {
	Week     string   `json:"week"`
	Index    int      `json:"index"`
	Name     string   `json:"name"`
	Value    float64  `json:"value"`
	Spread   float64  `json:"spread"`
	Rank     int      `json:"rank"`
	FlipRate *float64 `json:"flip_rate,omitempty"`
}

func printRuns(g *globals, format, kind string, jobs []*weekJob, names []string) error {
	w := g.env.Out
	rows, warnings := runRows(jobs, names), runWarnings(kind, jobs, names)
	var err error
	switch format {
	case formatJSON:
		err = writeJSON(w, rows)
	case formatCSV:
		err = writeRunsCSV(w, kind, rows)
	default:
		err = writeRunsTable(w, kind, jobs, rows)
	}
	if err != nil {
		return err
	}
	// Warnings go with the table on a terminal, and to stderr when the
	// output is data for another program.
	ww := g.env.ErrOut
	if format == formatTable {
		ww = w
		if len(warnings) > 0 {
			fmt.Fprintln(w)
		}
	}
	for _, line := range warnings {
		fmt.Fprintln(ww, "warning: "+line)
	}
	return nil
}

// runRows are the measured features of every job, best first per week.
func runRows(jobs []*weekJob, names []string) []runRow {
	var rows []runRow
	for _, job := range jobs {
		e := &job.exp
		flips := e.Extra["flip_rate"]
		order := make([]int, len(e.Value))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return e.Rank[a] - e.Rank[b] })
		for _, i := range order {
			if e.Rank[i] == 0 {
				continue // not measured: a drop-retrain of some features
			}
			r := runRow{Week: job.vi.Week, Index: i, Name: experiments.FeatureName(names, i), Value: e.Value[i], Spread: e.Spread[i], Rank: e.Rank[i]}
			if flips != nil {
				r.FlipRate = &flips[i]
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// runWarnings are the features where the weight-sum and the method disagree.
func runWarnings(kind string, jobs []*weekJob, names []string) []string {
	var out []string
	for _, job := range jobs {
		e := &job.exp
		for _, line := range compare.Warnings(job.weightSum, experiments.Result{Kind: kind, Value: e.Value, Rank: e.Rank}, names) {
			out = append(out, fmt.Sprintf("week %s: %s", job.vi.Week, line))
		}
	}
	return out
}

func writeRunsCSV(w io.Writer, kind string, rows []runRow) error {
	t := table.Table{Header: []string{"week", "index", "name", "value", "spread", "rank"}}
	if kind == experiments.KindPerturb {
		t.Header = append(t.Header, "flip_rate")
	}
	for _, r := range rows {
		cells := []any{r.Week, r.Index, table.User(r.Name), num(r.Value), num(r.Spread), r.Rank}
		if r.FlipRate != nil {
			cells = append(cells, num(*r.FlipRate))
		}
		t.Add(cells...)
	}
	return writeTable(w, &t, formatCSV)
}

func writeRunsTable(w io.Writer, kind string, jobs []*weekJob, rows []runRow) error {
	for i, job := range jobs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		e := &job.exp
		fmt.Fprintf(w, "%s, week %s (version %d, %s), %s\n", kind, job.vi.Week, job.vi.Version, job.vi.Hash[:12], describeParams(e))
		t := table.Table{Header: []string{"rank", "index", "name", "value", "spread"}}
		if e.Extra["flip_rate"] != nil {
			t.Header = append(t.Header, "flip_rate")
		}
		for _, r := range rows {
			if r.Week != job.vi.Week {
				continue
			}
			cells := []any{r.Rank, r.Index, dash(r.Name), fmt.Sprintf("%.4g", r.Value), fmt.Sprintf("%.2g", r.Spread)}
			if r.FlipRate != nil {
				cells = append(cells, fmt.Sprintf("%.3f", *r.FlipRate))
			}
			t.Add(cells...)
		}
		if err := writeTable(w, &t, formatTable); err != nil {
			return err
		}
	}
	return nil
}

// num prints a value with full float64 precision for spreadsheets.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// describeParams is a run's settings in one line, data and seed included
// when the method used data.
func describeParams(e *tracker.Experiment) string {
	keys := slices.Sorted(maps.Keys(e.Params))
	parts := make([]string, 0, len(keys)+2)
	for _, k := range keys {
		parts = append(parts, k+"="+e.Params[k])
	}
	if e.DataSHA256 != "" {
		parts = append(parts, fmt.Sprintf("seed=%d", e.Seed), fmt.Sprintf("data=%d rows sha256:%.12s", e.DataRows, e.DataSHA256))
	}
	return strings.Join(parts, " ")
}
