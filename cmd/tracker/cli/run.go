package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/bug"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/internal/table"
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
	record recordFlags
	// previous is last week's rows: with it, a run of one week also
	// measures the week's model on them and last week's model on the
	// week's rows.
	previous string
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
	o.record.register(cmd, true)
	f.StringVar(&o.previous, "previous-data", "", "last week's rows: also run this week's model on them (data role previous) and last week's model on --data (data role next), which tells a model change from a data change")
}

// recordFlags are the flags of every command that records a result: the
// series its data makes, and whether it may take a week from another
// record of that series.
type recordFlags struct {
	role    string
	replace bool
}

func (r *recordFlags) register(cmd *cobra.Command, role bool) {
	f := cmd.Flags()
	if role {
		f.StringVar(&r.role, "data-role", runs.DefaultRole, "what the data is to each week: week (its own rows) or a name such as reference (a fixed set); each role is a series of its own")
	}
	f.BoolVar(&r.replace, "replace", false, "record over a result of the same series on other data or with another seed, and let the new one speak for the week (the old one is kept)")
}

// validate checks --data-role.
func (r *recordFlags) validate() error {
	if err := runs.CheckRole(r.role); err != nil {
		return usageError{fmt.Errorf("--data-role: %w", err)}
	}
	return nil
}

func newRunCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run METHOD",
		Short: "Measure feature importance by behaviour and record it against versions",
		Long: `Run an importance method on data against one or more stored versions and record
the result with its parameters, data fingerprint and seed. Running again with
the same parameters on the same data stores nothing new and shows the stored
result. A run of the same method and parameters on other data or with another
seed would change what the week shows: it is refused, naming both, unless
--replace (the old record is kept, the new one speaks for the week) or
--data-role NAME (reference, say: a series of its own). With a header, the
data's columns are matched to the series' feature names, whatever their
order. Each run prints a ranked table and warns, one line per feature, where
the weight-sum (summed first-layer weights) disagrees with the behaviour.`,
	}
	cmd.AddCommand(newPerturbCmd(g), newPermutationCmd(g), newGradientCmd(g), newDropRetrainCmd(g), newEvaluateCmd(g))
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
			return runMethod(cmd.Context(), g, opts, runs.Method{
				Kind: experiments.KindPerturb, Params: po.Params, Unit: "features",
				Run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
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
			return runMethod(cmd.Context(), g, opts, runs.Method{
				Kind: experiments.KindPermutation, Unit: "shuffles",
				Params: func(_, output int) map[string]string { return po.Params(output) },
				Run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
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
			return runMethod(cmd.Context(), g, opts, runs.Method{
				Kind: experiments.KindGradient, Params: gro.Params, Unit: "rows",
				Run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
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
	return o.record.validate()
}

func runMethod(ctx context.Context, g *globals, opts *runOptions, m runs.Method) error {
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
	spec := runs.MethodSpec{
		Model: opts.model, Weeks: runs.Weeks{Week: opts.week, N: opts.weeks, All: opts.all},
		Data: opts.data.spec(data, opts.record.role), Output: opts.output, Seed: opts.seed, Method: m,
		Replace: opts.record.replace,
	}
	var cross []runs.MethodSpec
	if opts.previous != "" {
		week, prevWeek, err := crossWeeks(g, opts.model, opts.week, opts.weeks, opts.all, opts.record.role)
		if err != nil {
			return err
		}
		onPrevious, onNext := spec, spec
		if onPrevious.Data, onNext.Data, err = crossData(&opts.data, opts.previous, data); err != nil {
			return err
		}
		onPrevious.Weeks, onNext.Weeks = runs.Weeks{Week: week}, runs.Weeks{Week: prevWeek}
		cross = []runs.MethodSpec{onPrevious, onNext}
		for _, s := range append([]runs.MethodSpec{spec}, cross...) { // all three land, or none does
			if err := runs.CheckMethodRivals(runEnv(g), s); err != nil {
				return runsError(err)
			}
		}
	}
	out, err := runs.Measure(ctx, runEnv(g), spec)
	if err != nil {
		return runsError(err)
	}
	for _, c := range cross {
		if _, err := runs.Measure(ctx, runEnv(g), c); err != nil {
			return runsError(fmt.Errorf("--previous-data: %w", err))
		}
	}
	return printRuns(g, format, out)
}

// runEnv is what internal/runs needs from the command: the store, the
// clock, and notes and progress bars on stderr.
func runEnv(g *globals) runs.Env {
	return runs.Env{Open: g.open, Now: g.env.Now, ToolVersion: Version(), Notes: g.env.ErrOut,
		Progress: func(label string) runs.Bar { return runBar{newProgress(g.env, label)} }}
}

// runBar is a progress bar as internal/runs drives it.
type runBar struct{ *progress }

func (b runBar) Update(label string, done, total int) {
	b.label = label
	b.update(done, total)
}

func (b runBar) Done() { b.done() }

// runsError is err, from a run, in the command's words where errors.go
// cannot say it: a hint that leads the sentence, and the bug report after
// a panic in a training.
func runsError(err error) error {
	var oe *runs.OutputError
	var pe *dropretrain.PanicError
	switch {
	case errors.As(err, &oe):
		return usagef("--output %d: week %s has outputs 0 to %d", oe.Output, oe.Week, oe.Outputs-1)
	case errors.Is(err, runs.ErrNothingToResume):
		return fmt.Errorf("--resume: %w: check the flags, or drop --resume to start it", err)
	case errors.As(err, &pe):
		// As Main reports a panic on its own goroutine.
		return fmt.Errorf("%w\n%s\n%s", err, bug.Report, pe.Stack)
	}
	return err
}

// runRow is one feature of one week's result, as csv and json print it.
// Numbers are float32 values (runRows rounds them), so neither prints
// float64 noise; SE is nil where the standard error is unknown.
type runRow struct {
	Week     string   `json:"week"`
	Index    int      `json:"index"`
	Name     string   `json:"name"`
	Value    float64  `json:"value"`
	Spread   float64  `json:"spread"`
	SE       *float64 `json:"se"`
	Rank     int      `json:"rank"`
	FlipRate *float64 `json:"flip_rate,omitempty"`
}

// printRuns prints a run's outcome: nothing when it has no weeks.
func printRuns(g *globals, format string, out *runs.Outcome) error {
	if len(out.Weeks) == 0 {
		return nil
	}
	w, kind, weeks := g.env.Out, out.Kind, out.Weeks
	rows, warnings := runRows(weeks, out.Names), runWarnings(weeks, out.Names)
	var err error
	switch format {
	case formatJSON:
		err = writeJSON(w, rows)
	case formatCSV:
		err = writeRunsCSV(w, kind, rows)
	default:
		err = writeRunsTable(w, kind, weeks, rows)
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
func runRows(weeks []*runs.Week, names []string) []runRow {
	var rows []runRow
	for _, wk := range weeks {
		e := &wk.Record
		flips := e.Extra["flip_rate"]
		se := experiments.StandardErrors(experiments.Result{Kind: e.Kind, Params: e.Params, Value: e.Value, Spread: e.Spread, Rank: e.Rank, Extra: e.Extra})
		order := make([]int, len(e.Value))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return e.Rank[a] - e.Rank[b] })
		for _, i := range order {
			if e.Rank[i] == 0 {
				continue // not measured: a drop-retrain of some features
			}
			r := runRow{Week: wk.Version.Week, Index: i, Name: experiments.FeatureName(names, i),
				Value: roundTrip32(e.Value[i]), Spread: roundTrip32(e.Spread[i]), SE: opt32(se[i]), Rank: e.Rank[i]}
			if flips != nil {
				r.FlipRate = opt32(flips[i])
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// opt32 is v rounded to float32, or nil when it is NaN (unknown).
func opt32(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	v = roundTrip32(v)
	return &v
}

// runWarnings are the features where the weight-sum and the method disagree.
func runWarnings(weeks []*runs.Week, names []string) []string {
	var out []string
	for _, wk := range weeks {
		e := &wk.Record
		for _, line := range compare.Warnings(wk.WeightSum, resultOf(e), names) {
			out = append(out, fmt.Sprintf("week %s: %s", wk.Version.Week, line))
		}
	}
	return out
}

func writeRunsCSV(w io.Writer, kind string, rows []runRow) error {
	t := table.Table{Header: []string{"week", "index", "name", "value", "spread", "se", "rank"}}
	if kind == experiments.KindPerturb {
		t.Header = append(t.Header, "flip_rate")
	}
	for _, r := range rows {
		cells := []any{r.Week, r.Index, table.User(r.Name), num32(r.Value), num32(r.Spread), optNum32(r.SE), r.Rank}
		if kind == experiments.KindPerturb {
			cells = append(cells, optNum32(r.FlipRate))
		}
		t.Add(cells...)
	}
	return writeTable(w, &t, formatCSV)
}

// optNum32 is num32 of an optional value: empty when it is unknown.
func optNum32(v *float64) string {
	if v == nil {
		return ""
	}
	return num32(*v)
}

func writeRunsTable(w io.Writer, kind string, weeks []*runs.Week, rows []runRow) error {
	for i, wk := range weeks {
		if i > 0 {
			fmt.Fprintln(w)
		}
		e, vi := &wk.Record, &wk.Version
		fmt.Fprintf(w, "%s, week %s (version %d, %s), %s\n", kind, vi.Week, vi.Version, vi.Hash[:12], describeParams(e))
		t := table.Table{Header: []string{"rank", "index", "name", "value", "spread"}}
		flips := e.Extra["flip_rate"] != nil
		if flips {
			t.Header = append(t.Header, "flip_rate")
		}
		for _, r := range rows {
			if r.Week != vi.Week {
				continue
			}
			cells := []any{r.Rank, r.Index, dash(r.Name), fmt.Sprintf("%.4g", r.Value), fmt.Sprintf("%.2g", r.Spread)}
			switch {
			case r.FlipRate != nil:
				cells = append(cells, fmt.Sprintf("%.3f", *r.FlipRate))
			case flips:
				cells = append(cells, "-")
			}
			t.Add(cells...)
		}
		if err := writeTable(w, &t, formatTable); err != nil {
			return err
		}
	}
	return nil
}
