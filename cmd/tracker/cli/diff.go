package cli

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/retrain"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/tracker"
)

// diffOptions are diff's flags.
type diffOptions struct {
	model, format string
	data          dataOptions
}

func newDiffCmd(g *globals) *cobra.Command {
	opts := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff WEEK_A WEEK_B [--model NAME] [--data F [--label COL] [--drop COL,...]] [--format table|json]",
		Short: "Two weeks side by side: weights, representations, behaviour, importance, data",
		Long: `Compare week B's model with week A's, each part where its records exist:
weights per layer (relative change, scale ratio, the change after matching
B's hidden units to A's, and the change of the singular values, which no
reordering of units can make or hide); with --data, each hidden layer's
linear CKA on those rows, the prediction churn, the mean change in the
predicted class's probability and, with --label, each week's metrics and
the negative flip rate; for each importance series in both weeks, Spearman
and Kendall correlations over the features not negligible in either, the
features that became negligible or rose from it, and (for consecutive
weeks) the significant movers; and the data drift between the weeks'
profiles. The first line says what changed most, against this model's own
history (as tracker check bounds it).`,
		Args: exactArgs(2, "two weeks, WEEK_A WEEK_B"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := pickFormat(opts.format, true, formatTable, formatJSON)
			if err != nil {
				return err
			}
			return runDiff(cmd, g, opts, args[0], args[1], format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.StringVar(&opts.format, "format", "", "table or json (default: table)")
	opts.data.register(cmd, "label column of --data, by name or 0-based index")
	return cmd
}

func runDiff(cmd *cobra.Command, g *globals, opts *diffOptions, weekA, weekB, format string) error {
	var err error
	if weekA, err = weekArg("WEEK_A", weekA); err != nil {
		return err
	}
	if weekB, err = weekArg("WEEK_B", weekB); err != nil {
		return err
	}
	if weekA == "" || weekB == "" {
		return usagef("diff compares two dated weeks: give WEEK_A and WEEK_B as YYYY-MM-DD")
	}
	spec := retrain.CheckSpec{Model: opts.model, Week: weekB, Against: weekA, Bounds: retrain.NoExplicit, AnyOrder: true}
	if opts.data.path != "" {
		rows, err := loadForModel(g, opts.model, &opts.data)
		if err != nil {
			return err
		}
		spec.Rows = rows
	}
	d, err := retrain.Diff(cmd.Context(), retrainEnv(g), spec)
	if err != nil {
		return err
	}
	if format == formatJSON {
		return writeJSON(g.env.Out, diffJSON(d))
	}
	return writeDiff(g.env.Out, d)
}

// diffJSON is diff's JSON: every part, and the verdict.
func diffJSON(d *retrain.Difference) map[string]any {
	c := d.Comparison
	out := map[string]any{"model": c.Model, "week_a": c.A.Week, "week_b": c.B.Week, "verdict": d.Verdict,
		"violations": checkJSON(d.Result).Violations}
	if c.ArchChange != "" {
		out["architecture_change"] = c.ArchChange
	}
	if c.QualityA != nil && c.QualityB != nil {
		out["quality_a"], out["quality_b"] = c.QualityA.Metrics, c.QualityB.Metrics
	}
	var layers []map[string]any
	if c.Weights != nil {
		for _, l := range c.Weights.Layers {
			layers = append(layers, map[string]any{"layer": l.Name, "units": l.Units, "rel_change": opt32(l.RelChange), "scale_ratio": opt32(l.ScaleRatio),
				"aligned_change": opt32(l.AlignedChange), "spectrum_change": opt32(l.SpectrumChange)})
		}
	}
	out["weights"] = layers
	if c.CKA != nil {
		var cka []*float64
		for _, v := range c.CKA {
			cka = append(cka, opt32(v))
		}
		out["cka"] = cka
	}
	if b := c.Behaviour; b != nil {
		out["behaviour"] = map[string]any{"rows": b.Rows, "churn": opt32(b.Churn), "mean_abs_change": opt32(b.MeanAbsChangePredicted), "negative_flip_rate": opt32(b.NegativeFlipRate)}
	}
	if c.OnRowsA != nil {
		out["metrics_a"], out["metrics_b"] = c.OnRowsA, c.OnRowsB
	}
	var imp []map[string]any
	for _, s := range c.Importance {
		o := map[string]any{"series": s.Label, "compared": s.Compared, "spearman": opt32(s.Spearman), "kendall": opt32(s.Kendall),
			"became_negligible": intsOrEmpty(s.BecameNegligible), "rose_from_negligible": intsOrEmpty(s.RoseFromNegligible)}
		if s.Consecutive {
			ms := []map[string]any{}
			for _, m := range s.Movers {
				ms = append(ms, map[string]any{"index": m.Feature, "name": experiments.FeatureName(c.Names, m.Feature), "from": m.From, "to": m.To, "change": opt32(m.Delta)})
			}
			o["movers"] = ms
		}
		imp = append(imp, o)
	}
	out["importance"] = imp
	if c.Drift != nil {
		drifted := append([]int{}, c.Drifted()...)
		o := map[string]any{"data_role": c.DriftRole, "drifted": c.Drift.Drifted, "features": len(c.Drift.Features), "drifted_features": drifted}
		if l := c.Drift.Label; l != nil && l.Judged {
			o["label"] = map[string]any{"base_rate_a": opt32(l.Reference), "base_rate_b": opt32(l.Current), "p": opt32(l.P), "drifted": l.Drifted}
		}
		out["drift"] = o
	}
	return out
}

func intsOrEmpty(xs []int) []int {
	if xs == nil {
		return []int{}
	}
	return xs
}

func writeDiff(w io.Writer, d *retrain.Difference) error {
	c := d.Comparison
	fmt.Fprintf(w, "model %s: week %s (version %d) against %s (version %d)\n", c.Model, c.B.Week, c.B.Version, c.A.Week, c.A.Version)
	fmt.Fprintf(w, "verdict: %s\n", d.Verdict)
	for _, v := range d.Result.Violations {
		value := ""
		if !math.IsNaN(v.Value) {
			value = " " + num32(v.Value) + ","
		}
		fmt.Fprintf(w, "  %s:%s bound %s; likely cause: %s\n", v.What, value, v.Bound, v.Cause)
	}
	if c.Weights != nil {
		fmt.Fprintln(w, "\nweights")
		t := table.Table{Header: []string{"layer", "units", "rel change", "scale ratio", "aligned change", "spectrum change"}}
		for _, l := range c.Weights.Layers {
			t.Add(l.Name, l.Units, short(l.RelChange), short(l.ScaleRatio), short(l.AlignedChange), short(l.SpectrumChange))
		}
		if err := writeTable(w, &t, formatTable); err != nil {
			return err
		}
	}
	if c.CKA != nil {
		var parts []string
		for i, v := range c.CKA {
			parts = append(parts, fmt.Sprintf("hidden %d: %s", i+1, short(v)))
		}
		fmt.Fprintf(w, "\nrepresentations on %d rows, linear CKA: %s\n", c.Data.Rows, strings.Join(parts, ", "))
	}
	if b := c.Behaviour; b != nil {
		fmt.Fprintf(w, "behaviour: churn %s (rows predicted otherwise), mean |change in p(predicted class)| %s", short(b.Churn), short(b.MeanAbsChangePredicted))
		if !math.IsNaN(b.NegativeFlipRate) {
			fmt.Fprintf(w, ", negative flip rate %s", short(b.NegativeFlipRate))
		}
		fmt.Fprintln(w)
		if c.OnRowsA != nil {
			fmt.Fprintf(w, "metrics on these rows: accuracy %s -> %s, log loss %s -> %s, AUC %s -> %s\n",
				short(c.OnRowsA.Accuracy), short(c.OnRowsB.Accuracy), short(c.OnRowsA.LogLoss), short(c.OnRowsB.LogLoss), short(c.OnRowsA.AUC), short(c.OnRowsB.AUC))
		}
	}
	if c.QualityA != nil && c.QualityB != nil {
		fmt.Fprintf(w, "quality on each week's own rows: accuracy %s -> %s, AUC %s -> %s\n",
			short(value(c.QualityA.Metrics, "accuracy")), short(value(c.QualityB.Metrics, "accuracy")), short(value(c.QualityA.Metrics, "auc")), short(value(c.QualityB.Metrics, "auc")))
	}
	if len(c.Importance) > 0 {
		fmt.Fprintln(w, "\nimportance")
		for _, s := range c.Importance {
			over := fmt.Sprintf("the %d features not negligible in either week", s.Compared)
			if !s.Judgeable {
				over = fmt.Sprintf("all %d features (this method cannot judge negligible)", s.Compared)
			}
			fmt.Fprintf(w, "%s: Spearman %s, Kendall %s over %s", s.Label, short(s.Spearman), short(s.Kendall), over)
			if n := len(s.BecameNegligible); n > 0 {
				fmt.Fprintf(w, "; became negligible: %s", featureList(c.Names, s.BecameNegligible))
			}
			if n := len(s.RoseFromNegligible); n > 0 {
				fmt.Fprintf(w, "; rose from negligible: %s", featureList(c.Names, s.RoseFromNegligible))
			}
			fmt.Fprintln(w)
			if s.Consecutive && len(s.Movers) > 0 {
				var ms []string
				for _, m := range s.Movers {
					ms = append(ms, fmt.Sprintf("%s rank %d -> %d (%s)", featureList(c.Names, []int{m.Feature}), m.From, m.To, signed32(m.Delta)))
				}
				fmt.Fprintf(w, "  significant movers: %s\n", strings.Join(ms, ", "))
			}
		}
	}
	if c.Drift != nil {
		fmt.Fprintf(w, "\ndata (role %s): %d of %d features drifted", c.DriftRole, c.Drift.Drifted, len(c.Drift.Features))
		if idx := c.Drifted(); len(idx) > 0 {
			fmt.Fprintf(w, ": %s", featureList(c.Names, idx))
		}
		fmt.Fprintln(w)
	}
	return nil
}

func featureList(names []string, idx []int) string {
	var parts []string
	for _, i := range idx {
		if i >= 0 && i < len(names) && names[i] != "" {
			parts = append(parts, fmt.Sprintf("%d (%s)", i, names[i]))
		} else {
			parts = append(parts, fmt.Sprint(i))
		}
	}
	return strings.Join(parts, ", ")
}

// short is a number in a diff's text.
func short(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.4g", v)
}
