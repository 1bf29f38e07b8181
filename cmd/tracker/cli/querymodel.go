package cli

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/experiments/quality"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/tracker"
)

// judgedMetrics are the metrics whose changes query model judges: every
// one but the row count, which says how much data there was, not how good
// the model is.
func judgedMetrics() []string {
	return slices.DeleteFunc(slices.Clone(quality.Names()), func(n string) bool { return n == "rows" })
}

// queryModelOptions are query model's flags.
type queryModelOptions struct {
	model, role, format string
	weeks               int
}

func newQueryModelCmd(g *globals) *cobra.Command {
	opts := &queryModelOptions{}
	cmd := &cobra.Command{
		Use:   "model [--model NAME] [--weeks N] [--data-role R] [--format table|csv|json]",
		Short: "The model's quality, week by week, with the changes that matter",
		Long: `One row per week for the newest N weeks that have a version, oldest first: the
metrics run evaluate recorded for the week's model on data of the role
(default week: each week's own rows), and each metric's change from the
week before, marked * when significant: beyond both the metric's sampling
error (binomial for accuracy, DeLong for AUC, per-row losses for log loss
and Brier) and the week-to-week noise the metric showed in the weeks before,
at a false discovery rate of 5% across the week's metrics (docs/METHODS.md,
"Model quality"). A week with no evaluation has empty cells.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQueryModel(g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.IntVar(&opts.weeks, "weeks", 12, "the newest N weeks that have a version (0 = all)")
	f.StringVar(&opts.role, "data-role", runs.DefaultRole, "the data role of the evaluations shown")
	f.StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	return cmd
}

// modelWeek is one week of query model: its evaluation, if any, and the
// verdict on each judged metric's change.
type modelWeek struct {
	tracker.WeekVersion
	Evaluation *tracker.Evaluation // the one that speaks for the role, nil when none
	changes    compare.Changes     // per judgedMetrics, nil for the first week shown
	// modelEffect and dataEffect split the change from the week before,
	// where the cross-evaluations exist (see crossEffects); nil where not.
	modelEffect, dataEffect tracker.Numbers
}

func runQueryModel(g *globals, opts *queryModelOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if opts.weeks < 0 {
		return usagef("--weeks %d: give a positive number (0 = every week)", opts.weeks)
	}
	if err := runs.CheckRole(opts.role); err != nil {
		return usageError{fmt.Errorf("--data-role: %w", err)}
	}
	weeks, err := modelHistory(g, opts.model, opts.weeks, opts.role)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(weeks, func(w modelWeek) bool { return w.Evaluation != nil }) {
		return fmt.Errorf("model %s has no evaluation of data role %s in these %d weeks: record one with tracker run evaluate --data F --label COL", opts.model, opts.role, len(weeks))
	}
	switch format {
	case formatJSON:
		return writeJSON(g.env.Out, modelJSON(weeks))
	case formatCSV:
		return writeTable(g.env.Out, modelTable(weeks, false), formatCSV)
	}
	return writeModelTable(g.env.Out, opts, weeks)
}

// modelHistory reads the newest n weeks and the compare.Lookback weeks
// before them, judges each metric's changes and returns the n weeks.
func modelHistory(g *globals, model string, n int, role string) ([]modelWeek, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	want := 0
	if n > 0 {
		want = n + compare.Lookback
	}
	h, err := store.EvaluationHistory(model, want)
	if err != nil {
		return nil, err
	}
	from := 0
	if n > 0 {
		from = max(0, len(h)-n)
	}
	names := judgedMetrics()
	series := make([]experiments.Result, len(h))
	for i := range h {
		e := h[i].Speaking(role)
		if e == nil {
			continue
		}
		r := experiments.Result{Kind: "evaluate", Value: make([]float64, len(names)), Extra: map[string][]float64{experiments.SEKey: make([]float64, len(names))}}
		for j, name := range names {
			r.Value[j], r.Extra[experiments.SEKey][j] = value(e.Metrics, name), value(e.SE, name)
		}
		series[i] = r
	}
	judged := compare.JudgeAlone(series, from)
	var out []modelWeek
	for i := from; i < len(h); i++ {
		mw := modelWeek{WeekVersion: h[i].WeekVersion, Evaluation: h[i].Speaking(role)}
		if i > 0 {
			mw.changes = judged[i] // the first week shown is judged too: the weeks before it were read
		}
		if i > 0 && role == runs.DefaultRole {
			mw.modelEffect, mw.dataEffect = crossEffects(&h[i-1], &h[i])
		}
		out = append(out, mw)
	}
	return out, nil
}

// crossEffects split a metric's change from week A to week B, each on its
// own rows, into the model's part and the data's, from the
// cross-evaluations run evaluate --previous-data records: the model
// effect is B's model on A's rows less A's model on A's rows (same rows,
// other model), the data effect A's model on B's rows less A's model on
// A's rows (same model, other rows). Each is nil unless its records exist
// and are on the very rows the weeks' own evaluations were (same data
// hash), so the two compare like with like.
func crossEffects(a, b *tracker.EvaluationWeek) (modelEffect, dataEffect tracker.Numbers) {
	aOwn, bOwn := a.Speaking(runs.DefaultRole), b.Speaking(runs.DefaultRole)
	if aOwn == nil {
		return nil, nil
	}
	diff := func(x *tracker.Evaluation) tracker.Numbers {
		out := tracker.Numbers{}
		for _, name := range judgedMetrics() {
			out[name] = value(x.Metrics, name) - value(aOwn.Metrics, name)
		}
		return out
	}
	if x := b.Speaking(runs.RolePrevious); x != nil && x.DataSHA256 == aOwn.DataSHA256 {
		modelEffect = diff(x)
	}
	if x := a.Speaking(runs.RoleNext); x != nil && bOwn != nil && x.DataSHA256 == bOwn.DataSHA256 {
		dataEffect = diff(x)
	}
	return modelEffect, dataEffect
}

// metric is the week's value of a metric, NaN without an evaluation.
func (w *modelWeek) metric(name string) float64 {
	if w.Evaluation == nil {
		return math.NaN()
	}
	return value(w.Evaluation.Metrics, name)
}

// change is the verdict on a judged metric's change into the week, nil
// where there is none.
func (w *modelWeek) change(name string) *compare.Change {
	i := slices.Index(judgedMetrics(), name)
	if i < 0 || i >= len(w.changes) || math.IsNaN(w.changes[i].Delta) {
		return nil
	}
	return &w.changes[i]
}

// significant are the judged metrics whose change into the week is
// significant.
func (w *modelWeek) significant() []string {
	out := []string{}
	for _, name := range judgedMetrics() {
		if c := w.change(name); c != nil && c.Significant {
			out = append(out, name)
		}
	}
	return out
}

// modelJSON is one object per week: each metric, its change and standard
// error, and the metrics whose change is significant.
func modelJSON(weeks []modelWeek) []map[string]any {
	var out []map[string]any
	for _, w := range weeks {
		o := map[string]any{"week": w.Week, "version": w.Version}
		changes, ses := map[string]*float64{}, map[string]*float64{}
		for _, name := range quality.Names() {
			o[name] = opt32(w.metric(name))
			if w.Evaluation != nil {
				ses[name] = opt32(value(w.Evaluation.SE, name))
			}
			if c := w.change(name); c != nil {
				changes[name] = opt32(c.Delta)
			} else if name != "rows" {
				changes[name] = nil
			}
		}
		o["change"], o["se"], o["significant"] = changes, ses, w.significant()
		o["model_effect"], o["data_effect"] = effectJSON(w.modelEffect), effectJSON(w.dataEffect)
		if w.Evaluation != nil {
			o["data_sha256"] = w.Evaluation.DataSHA256
		}
		out = append(out, o)
	}
	return out
}

// effectJSON is a cross-evaluation's effects by metric, nil (null) where
// the records do not exist.
func effectJSON(x tracker.Numbers) map[string]*float64 {
	if x == nil {
		return nil
	}
	out := map[string]*float64{}
	for name, v := range x {
		out[name] = opt32(v)
	}
	return out
}

// modelTable lays the weeks out: each metric and its change. As text
// (text true) a metric's cell holds both, the change marked * when
// significant, so a week fits on a line; as CSV each has its column and a
// last column lists the significant metrics.
func modelTable(weeks []modelWeek, text bool) *table.Table {
	t := &table.Table{Header: []string{"week", "version"}}
	for _, name := range quality.Names() {
		t.Header = append(t.Header, name)
		if name != "rows" && !text {
			t.Header = append(t.Header, name+" change")
		}
	}
	if !text {
		t.Header = append(t.Header, "significant")
	}
	for _, w := range weeks {
		row := []any{w.Week, w.Version}
		for _, name := range quality.Names() {
			v := opt32(w.metric(name))
			c := w.change(name)
			switch {
			case name == "rows" || !text:
				row = append(row, optCell(v))
			case v == nil:
				row = append(row, "")
			case c == nil:
				row = append(row, fmt.Sprintf("%.4g", *v))
			default:
				mark := ""
				if c.Significant {
					mark = "*"
				}
				row = append(row, fmt.Sprintf("%.4g (%+.2g%s)", *v, roundTrip32(c.Delta), mark))
			}
			if name == "rows" || text {
				continue
			}
			if c == nil {
				row = append(row, "")
			} else {
				row = append(row, roundTrip32(c.Delta))
			}
		}
		if !text {
			row = append(row, strings.Join(w.significant(), " "))
		}
		t.Add(row...)
	}
	return t
}

func writeModelTable(w io.Writer, opts *queryModelOptions, weeks []modelWeek) error {
	fmt.Fprintf(w, "model %s quality on data role %s, %d weeks %s to %s\n", opts.model, opts.role, len(weeks), weeks[0].Week, weeks[len(weeks)-1].Week)
	if err := writeTable(w, modelTable(weeks, true), formatTable); err != nil {
		return err
	}
	fmt.Fprintln(w, "each metric (change from the week before); * significant: beyond the metric's sampling error and its week-to-week noise, FDR 5% across the week's metrics")
	var unjudged []string
	for _, wk := range weeks {
		if wk.changes != nil && wk.changes.Unjudged() != "" {
			unjudged = append(unjudged, wk.Week)
		}
	}
	switch len(unjudged) {
	case 0:
	case 1:
		fmt.Fprintf(w, "week %s: no change judged: the week-to-week noise is not learned yet\n", unjudged[0])
	default:
		fmt.Fprintf(w, "%d weeks, %s to %s: no change judged: the week-to-week noise is not learned yet\n", len(unjudged), unjudged[0], unjudged[len(unjudged)-1])
	}
	for _, wk := range weeks {
		if wk.modelEffect == nil && wk.dataEffect == nil {
			continue
		}
		c := wk.change("accuracy")
		if c == nil {
			continue
		}
		fmt.Fprintf(w, "week %s: accuracy changed %s; %s\n", wk.Week, signed32(c.Delta),
			effectSplit(metricOf(wk.modelEffect, "accuracy"), metricOf(wk.dataEffect, "accuracy")))
	}
	return nil
}
