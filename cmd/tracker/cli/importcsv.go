package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/tracker"
)

// csvDropFlags are import drop-retrain's flags.
type csvDropFlags struct {
	model, week, metric, format string
	baseline                    float64
	record                      recordFlags
}

func newImportDropRetrainCmd(g *globals) *cobra.Command {
	f := &csvDropFlags{}
	cmd := &cobra.Command{
		Use:   "drop-retrain FILE.csv [--week W] [--model NAME] [--metric accuracy|logloss|auc] [--baseline X] [--data-role NAME] [--replace]",
		Short: "Record drop-retrain numbers from retrains done outside tracker",
		Long: `Record the results of retrains done elsewhere (in Keras, say) as a
drop-retrain experiment of a stored week. The CSV has a header with the
columns feature (an index or a name, or the word baseline) and metric (the
validation metric of the model trained without that feature; for the
baseline row, with every feature), and optionally seed, for several runs
each. A feature's value is the baseline minus its metric (for logloss the
other way round), averaged over seeds, as tracker's own drop-retrain
computes it. --baseline X stands in for baseline rows. The file's SHA-256
stands for the data: another file for a week that has one recorded is refused
unless --replace, or --data-role NAME to keep it as its own series.`,
		Args: exactArgs(1, "the CSV file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return importDropRetrainCSV(g, f, args[0], cmd.Flags().Changed("baseline"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", tracker.DefaultModel, "model series name")
	fl.StringVar(&f.week, "week", "latest", "the week the retrains belong to, YYYY-MM-DD or latest")
	fl.StringVar(&f.metric, "metric", "accuracy", "what the metric column holds: accuracy, logloss or auc")
	fl.Float64Var(&f.baseline, "baseline", 0, "baseline metric with every feature, instead of baseline rows")
	fl.StringVar(&f.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	f.record.register(cmd, true)
	return cmd
}

func importDropRetrainCSV(g *globals, f *csvDropFlags, path string, flagBaseline bool) error {
	format, err := pickFormat(f.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if !slices.Contains(experiments.Metrics, f.metric) {
		return usagef("--metric %q: choose one of %s", f.metric, strings.Join(experiments.Metrics, ", "))
	}
	if err := f.record.validate(); err != nil {
		return err
	}
	var baseline *float64
	if flagBaseline {
		if !dropretrain.FiniteMetric(f.baseline) {
			return usagef("--baseline %v: give a finite metric within ±1.7e38", f.baseline)
		}
		baseline = &f.baseline
	}
	out, err := runs.ImportCSV(runEnv(g), runs.CSVSpec{Model: f.model, Week: f.week, Path: path, Metric: f.metric, Baseline: baseline,
		Role: f.record.role, Replace: f.record.replace})
	if err != nil {
		return runsError(err)
	}
	return printRuns(g, format, out)
}
