package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/quality"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/tracker"
)

// evaluateOptions are run evaluate's flags.
type evaluateOptions struct {
	model, week, format string
	weeks               int
	all                 bool
	data                dataOptions
	record              recordFlags
	// previous is last week's rows: with it, the run also scores this
	// week's model on them and last week's model on this week's rows.
	previous string
}

func newEvaluateCmd(g *globals) *cobra.Command {
	opts := &evaluateOptions{}
	cmd := &cobra.Command{
		Use:   "evaluate [--week W | --weeks N | --all] --data F --label COL [--drop COL,...] [--data-role R]",
		Short: "Model quality on labelled rows: accuracy, log loss, AUC, Brier, calibration",
		Long: `Score each week's model on labelled rows and record, against the version: the
rows, the base rate, accuracy, log loss, AUC (two classes; macro one-vs-rest
for more), Brier score, expected calibration error (10 equal-mass bins) and
the predicted-positive rate, each with its standard error (docs/METHODS.md,
"Model quality"). Evaluating again on the same rows stores nothing new; a
week whose data role already has an evaluation on other data is refused
unless --replace. tracker query model shows the weeks side by side.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEvaluate(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.StringVar(&opts.week, "week", "", "evaluate this week, YYYY-MM-DD or latest (default latest)")
	f.IntVar(&opts.weeks, "weeks", 0, "evaluate the newest N weeks")
	f.BoolVar(&opts.all, "all", false, "evaluate every week")
	f.StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	opts.data.register(cmd, "label column holding each row's true class, by name or 0-based index")
	opts.record.register(cmd, true)
	f.StringVar(&opts.previous, "previous-data", "", "last week's rows: also evaluate this week's model on them (data role previous) and last week's model on --data (data role next), which tells a model change from a data change")
	return cmd
}

func runEvaluate(ctx context.Context, g *globals, opts *evaluateOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	ro := runOptions{week: opts.week, weeks: opts.weeks, all: opts.all, data: opts.data, record: opts.record}
	if err := ro.validate(); err != nil {
		return err
	}
	if opts.data.label == "" {
		return usagef("evaluate needs --label COL: the column holding each row's true class")
	}
	data, err := opts.data.read(opts.data.path)
	if err != nil {
		return err
	}
	spec := runs.EvalSpec{
		Model: opts.model, Weeks: runs.Weeks{Week: opts.week, N: opts.weeks, All: opts.all},
		Data: opts.data.spec(data, opts.record.role), Score: scoreQuality, Replace: opts.record.replace,
	}
	var specs []runs.EvalSpec
	if opts.previous != "" {
		if specs, err = crossSpecs(g, opts, spec); err != nil {
			return err
		}
	}
	all := append([]runs.EvalSpec{spec}, specs...)
	if len(all) > 1 {
		for _, s := range all { // all three land, or none does
			if err := runs.CheckEvalRivals(runEnv(g), s); err != nil {
				return runsError(err)
			}
		}
	}
	var weeks []*runs.EvalWeek
	for _, s := range all {
		ws, err := runs.Evaluate(ctx, runEnv(g), s)
		if err != nil {
			return runsError(err)
		}
		weeks = append(weeks, ws...)
	}
	return writeEvaluations(g.env.Out, format, weeks)
}

// crossSpecs are the two evaluations --previous-data adds to spec, a
// run on one week W: W's model on last week's rows (role previous), and
// last week's model on W's rows (role next). With the week's own
// evaluation and last week's, they split a change of quality into the
// model's part and the data's (docs/METHODS.md, "Model change or data
// change").
func crossSpecs(g *globals, opts *evaluateOptions, spec runs.EvalSpec) ([]runs.EvalSpec, error) {
	week, prevWeek, err := crossWeeks(g, opts.model, opts.week, opts.weeks, opts.all, opts.record.role)
	if err != nil {
		return nil, err
	}
	onPrevious, onNext := spec, spec
	if onPrevious.Data, onNext.Data, err = crossData(&opts.data, opts.previous, spec.Data.Rows); err != nil {
		return nil, err
	}
	onPrevious.Weeks, onNext.Weeks = runs.Weeks{Week: week}, runs.Weeks{Week: prevWeek}
	return []runs.EvalSpec{onPrevious, onNext}, nil
}

// crossData are a --previous-data run's two other data: last week's rows,
// read from previous with the same settings, in role previous, and this
// week's rows in role next.
func crossData(d *dataOptions, previous string, rows *dataset.Dataset) (onPrevious, onNext runs.Data, err error) {
	prev, err := d.read(previous)
	if err != nil {
		return runs.Data{}, runs.Data{}, err
	}
	pd := dataOptions{path: previous, label: d.label, drop: d.drop, classes: d.classes}
	return pd.spec(prev, runs.RolePrevious), d.spec(rows, runs.RoleNext), nil
}

// crossWeeks are the week a --previous-data run covers and the week with
// a version before it, checking that the run covers one week of the
// week's own rows.
func crossWeeks(g *globals, model, week string, weeks int, all bool, role string) (this, prev string, err error) {
	if weeks != 0 || all {
		return "", "", usagef("--previous-data compares one week with the week before: use it with --week W (or none, for the newest)")
	}
	if role != runs.DefaultRole {
		return "", "", usagef("--previous-data: the week's rows are its own (data role %s), not %s", runs.DefaultRole, role)
	}
	store, err := g.open(true)
	if err != nil {
		return "", "", err
	}
	versions, err := store.CurrentVersions(model, 0)
	store.Close()
	if err != nil {
		return "", "", err
	}
	i := len(versions) - 1
	if week != "" && week != "latest" {
		i = slices.IndexFunc(versions, func(v tracker.VersionInfo) bool { return v.Week == week })
	}
	if i < 1 {
		return "", "", usagef("--previous-data: week %s has no week with a version before it", cmp.Or(week, "latest"))
	}
	return versions[i].Week, versions[i-1].Week, nil
}

// scoreQuality is the scorer run evaluate records.
func scoreQuality(probs []float64, classes int, labels []int) (runs.Score, error) {
	m, err := quality.Evaluate(probs, classes, labels)
	if err != nil {
		return runs.Score{}, err
	}
	s := runs.Score{Metrics: tracker.Numbers{}, SE: tracker.Numbers{}, NotDefined: m.Reasons}
	values, ses := m.Values(), m.SE.Values()
	for i, name := range quality.Names() {
		s.Metrics[name], s.SE[name] = values[i], ses[i]
	}
	return s, nil
}

// evaluationRow is one week's evaluation as csv and json print it:
// metrics rounded to float32's digits, null where not defined.
type evaluationRow struct {
	Week       string              `json:"week"`
	Version    uint64              `json:"version"`
	Role       string              `json:"data_role"`
	Data       string              `json:"data_sha256"`
	Metrics    map[string]*float64 `json:"metrics"`
	SE         map[string]*float64 `json:"se"`
	NotDefined map[string]string   `json:"not_defined,omitempty"`
}

func evaluationRows(weeks []*runs.EvalWeek) []evaluationRow {
	var rows []evaluationRow
	for _, w := range weeks {
		e := &w.Evaluation
		r := evaluationRow{Week: w.Version.Week, Version: w.Version.Version, Role: e.Role, Data: e.DataSHA256,
			Metrics: map[string]*float64{}, SE: map[string]*float64{}, NotDefined: e.NotDefined}
		for _, name := range quality.Names() {
			r.Metrics[name], r.SE[name] = opt32(value(e.Metrics, name)), opt32(value(e.SE, name))
		}
		rows = append(rows, r)
	}
	return rows
}

// value is x[name], NaN when absent.
func value(x tracker.Numbers, name string) float64 {
	if v, ok := x[name]; ok {
		return v
	}
	return math.NaN()
}

func writeEvaluations(w io.Writer, format string, weeks []*runs.EvalWeek) error {
	rows := evaluationRows(weeks)
	if format == formatJSON {
		return writeJSON(w, rows)
	}
	t := table.Table{Header: []string{"week", "version", "data_role"}}
	for _, name := range quality.Names() {
		t.Header = append(t.Header, name, name+" se")
	}
	for _, r := range rows {
		row := []any{r.Week, r.Version, r.Role}
		for _, name := range quality.Names() {
			row = append(row, optCell(r.Metrics[name]), optCell(r.SE[name]))
		}
		t.Add(row...)
	}
	if format == formatTable {
		fmt.Fprintf(w, "model quality, %d evaluation(s)\n", len(rows))
	}
	if err := writeTable(w, &t, format); err != nil {
		return err
	}
	if format == formatTable {
		for _, r := range rows {
			for _, name := range slices.Sorted(maps.Keys(r.NotDefined)) {
				fmt.Fprintf(w, "week %s: %s not defined: %s\n", r.Week, name, r.NotDefined[name])
			}
		}
	}
	return nil
}

// optCell is a table cell for an optional number: empty when unknown.
func optCell(v *float64) any {
	if v == nil {
		return ""
	}
	return *v
}
