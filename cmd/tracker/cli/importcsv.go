package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/tracker"
)

// csvDropFlags are import drop-retrain's flags.
type csvDropFlags struct {
	model, week, metric, format string
	baseline                    float64
}

func newImportDropRetrainCmd(g *globals) *cobra.Command {
	f := &csvDropFlags{}
	cmd := &cobra.Command{
		Use:   "drop-retrain FILE.csv [--week W] [--model NAME] [--metric accuracy|logloss|auc] [--baseline X]",
		Short: "Record drop-retrain numbers from retrains done outside tracker",
		Long: `Record the results of retrains done elsewhere (in Keras, say) as a
drop-retrain experiment of a stored week. The CSV has a header with the
columns feature (an index or a name, or the word baseline) and metric (the
validation metric of the model trained without that feature; for the
baseline row, with every feature), and optionally seed, for several runs
each. A feature's value is the baseline minus its metric (for logloss the
other way round), averaged over seeds, as tracker's own drop-retrain
computes it. --baseline X stands in for baseline rows.`,
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
	var baseline *float64
	if flagBaseline {
		if !dropretrain.FiniteMetric(f.baseline) {
			return usagef("--baseline %v: give a finite metric within ±1.7e38", f.baseline)
		}
		baseline = &f.baseline
	}
	raw, err := safefile.ReadFile(path, dropretrain.MaxCSV)
	if err != nil {
		return fmt.Errorf("read retrain results: %w", err)
	}
	store, err := g.open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	vi, err := versionFor(store, f.model, f.week)
	if err != nil {
		return err
	}
	names, err := store.Features(f.model)
	if err != nil {
		return err
	}
	exp, err := csvExperiment(path, raw, names, vi.Inputs, f.metric, baseline)
	if err != nil {
		return err
	}
	exp.ToolVersion, exp.CreatedAt = Version(), g.env.Now().UTC()
	job, err := recordCSV(store, g.env.ErrOut, vi, exp, path)
	if err != nil {
		return err
	}
	return printRuns(g, format, experiments.KindDropRetrain, []*weekJob{job}, names)
}

// csvExperiment is the drop-retrain record an outside-results file makes
// on a model with inputs features, its values measured with metric.
func csvExperiment(path string, raw []byte, names []string, inputs int, metric string, baseline *float64) (tracker.Experiment, error) {
	rows, err := dropretrain.ParseCSV(path, raw, names, inputs)
	if err != nil {
		return tracker.Experiment{}, err
	}
	retrains, opts, err := dropretrain.CSVRetrains(path, rows, metric, baseline)
	switch {
	case errors.Is(err, dropretrain.ErrNoBaseline):
		return tracker.Experiment{}, fmt.Errorf("%w: add a row with feature baseline, or give --baseline", err)
	case errors.Is(err, dropretrain.ErrTwoBaselines):
		return tracker.Experiment{}, fmt.Errorf("%w, and --baseline was given too: use one", err)
	case err != nil:
		return tracker.Experiment{}, err
	}
	res, detail, err := experiments.CombineRetrains(opts, inputs, retrains)
	if err != nil {
		return tracker.Experiment{}, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(raw)
	exp := tracker.Experiment{
		Kind:   experiments.KindDropRetrain,
		Params: map[string]string{"source": "csv", "metric": metric, "seeds": strconv.Itoa(opts.Seeds)},
		// The file stands in for the training data tracker never saw.
		DataSHA256: hex.EncodeToString(sum[:]), DataRows: len(rows),
		Value: res.Value, Spread: res.Spread, Rank: res.Rank,
	}
	exp.Detail, err = json.Marshal(detail)
	return exp, err
}

// recordCSV records exp, or finds it recorded by an earlier import of the
// file at path, and is the week's job to show.
func recordCSV(store *tracker.Store, errOut io.Writer, vi tracker.VersionInfo, exp tracker.Experiment, path string) (*weekJob, error) {
	added, err := store.Record(vi.Model, vi.Version, []tracker.Experiment{exp})
	if err != nil {
		return nil, err
	}
	job := &weekJob{vi: vi, exp: exp}
	if !added[0] {
		stored, err := store.Recorded(vi.Model, vi.Version, &exp)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(errOut, "week %s: %s was already imported (on %s); nothing stored\n", vi.Week, path, stored.CreatedAt.Format(time.DateOnly))
		job.exp = *stored
	}
	snap, err := store.Snapshot(vi.Model, vi.Version)
	if err != nil {
		return nil, err
	}
	job.weightSum = experiments.WeightSum(snap)
	return job, nil
}
