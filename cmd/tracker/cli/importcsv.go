package cli

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/quote"
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

// csvRetrain is one data row of the file.
type csvRetrain struct {
	row     int // 1-based line number in the file
	feature int // experiments.Baseline for the baseline
	seed    string
	metric  float64
}

func importDropRetrainCSV(g *globals, f *csvDropFlags, path string, flagBaseline bool) error {
	format, err := pickFormat(f.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if !slices.Contains(experiments.Metrics, f.metric) {
		return usagef("--metric %q: choose one of %s", f.metric, strings.Join(experiments.Metrics, ", "))
	}
	if flagBaseline && !finiteMetric(f.baseline) {
		return usagef("--baseline %v: give a finite metric within ±1.7e38", f.baseline)
	}
	raw, err := safefile.ReadFile(path, maxRetrainCSV)
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
	rows, err := parseRetrainCSV(path, raw, names, vi.Inputs)
	if err != nil {
		return err
	}
	retrains, opts, err := csvTasks(path, rows, f, flagBaseline)
	if err != nil {
		return err
	}
	res, detail, err := experiments.CombineRetrains(opts, vi.Inputs, retrains)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(raw)
	exp := tracker.Experiment{
		Kind:   experiments.KindDropRetrain,
		Params: map[string]string{"source": "csv", "metric": f.metric, "seeds": strconv.Itoa(opts.Seeds)},
		// The file stands in for the training data tracker never saw.
		DataSHA256: hex.EncodeToString(sum[:]), DataRows: len(rows),
		ToolVersion: Version(), CreatedAt: g.env.Now().UTC(),
		Value: res.Value, Spread: res.Spread, Rank: res.Rank,
	}
	if exp.Detail, err = json.Marshal(detail); err != nil {
		return err
	}
	added, err := store.Record(vi.Model, vi.Version, []tracker.Experiment{exp})
	if err != nil {
		return err
	}
	job := &weekJob{vi: vi, exp: exp}
	if !added[0] {
		stored, err := storedExperiment(store, vi, &exp)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.env.ErrOut, "week %s: %s was already imported (on %s); nothing stored\n", vi.Week, path, stored.CreatedAt.Format(time.DateOnly))
		job.exp = *stored
	}
	snap, err := store.Snapshot(vi.Model, vi.Version)
	if err != nil {
		return err
	}
	job.weightSum = experiments.WeightSum(snap)
	return printRuns(g, format, experiments.KindDropRetrain, []*weekJob{job}, names)
}

// maxRetrainCSV is the largest retrain-results file read: a row per
// feature and seed is a few dozen bytes, so 64 MiB is a million rows.
const maxRetrainCSV = 64 << 20

// maxMetric bounds a metric read from outside: the values tracker stores
// are differences of two metrics, printed as float32, so each metric must
// be at most half float32's range for every difference to stay finite.
const maxMetric = math.MaxFloat32 / 2 // ±1.7e38 in messages

func finiteMetric(v float64) bool { return v >= -maxMetric && v <= maxMetric } // false for NaN

// parseRetrainCSV reads the rows, naming the line of any bad one.
func parseRetrainCSV(path string, raw []byte, names []string, inputs int) ([]csvRetrain, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff")))
	r.FieldsPerRecord = -1
	// Read record by record to know each one's line: a quoted field may
	// span lines.
	var records [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		records, lines = append(records, rec), append(lines, line)
	}
	if len(records) < 2 {
		return nil, fmt.Errorf("%s: want a header row (feature,metric[,seed]) and at least one row", path)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	fc, okF := col["feature"]
	mc, okM := col["metric"]
	sc, okS := col["seed"]
	if !okF || !okM {
		return nil, fmt.Errorf("%s: the header is %s; it needs the columns feature and metric (and optionally seed)", path, quote.List(records[0]))
	}
	var rows []csvRetrain
	for n, rec := range records[1:] {
		line := lines[n+1]
		if len(rec) != len(records[0]) {
			return nil, fmt.Errorf("%s line %d: %d fields, the header has %d", path, line, len(rec), len(records[0]))
		}
		c := csvRetrain{row: line}
		spec := strings.TrimSpace(rec[fc])
		if strings.EqualFold(spec, "baseline") {
			c.feature = experiments.Baseline
		} else {
			i, err := featureIndex(spec, names, inputs)
			if err != nil {
				// A bad line is the file's fault, not the command line's.
				var ue usageError
				if errors.As(err, &ue) {
					err = ue.err
				}
				return nil, fmt.Errorf("%s line %d: %w", path, line, err)
			}
			c.feature = i
		}
		cell := strings.TrimSpace(rec[mc])
		metric, err := strconv.ParseFloat(cell, 64)
		switch {
		case err != nil && !strings.EqualFold(strings.TrimLeft(cell, "+-"), "nan"):
			return nil, fmt.Errorf("%s line %d: metric %s is not a number", path, line, quote.Short(cell))
		case err != nil || !finiteMetric(metric): // NaN, Inf, 1e400, or "-nan"
			return nil, fmt.Errorf("%s line %d: metric %s is not a finite number within ±1.7e38: fix the row or remove it", path, line, quote.Short(cell))
		}
		c.metric = metric
		if okS {
			c.seed = strings.TrimSpace(rec[sc])
		}
		rows = append(rows, c)
	}
	return rows, nil
}

// csvTasks turns rows into trainings: seed values become seed indices in
// order of appearance; a baseline without a seed (or --baseline) serves
// every seed.
func csvTasks(path string, rows []csvRetrain, f *csvDropFlags, flagBaseline bool) ([]experiments.Retrain, experiments.DropRetrainOptions, error) {
	opts := experiments.DropRetrainOptions{Metric: f.metric, Features: []int{}}
	seedIndex := map[string]int{}
	var seeds []string
	seen := map[[2]string]int{}
	var shared *csvRetrain // a baseline for every seed
	if flagBaseline {
		shared = &csvRetrain{feature: experiments.Baseline, metric: f.baseline}
	}
	for i := range rows {
		c := &rows[i]
		key := [2]string{strconv.Itoa(c.feature), c.seed}
		if at, dup := seen[key]; dup {
			return nil, opts, fmt.Errorf("%s lines %d and %d are both %s: give each feature and seed once", path, at, c.row, describeCSVRow(c))
		}
		seen[key] = c.row
		if c.feature == experiments.Baseline {
			if flagBaseline {
				return nil, opts, fmt.Errorf("%s line %d is a baseline row, and --baseline was given too: use one", path, c.row)
			}
			if c.seed == "" {
				shared = c
				continue
			}
		} else if !slices.Contains(opts.Features, c.feature) {
			opts.Features = append(opts.Features, c.feature)
		}
		if _, ok := seedIndex[c.seed]; !ok {
			seedIndex[c.seed] = len(seeds)
			seeds = append(seeds, c.seed)
		}
	}
	if len(seeds) == 0 {
		return nil, opts, fmt.Errorf("%s has only baseline rows: add one row per dropped feature", path)
	}
	if shared == nil && !slices.ContainsFunc(rows, func(c csvRetrain) bool { return c.feature == experiments.Baseline }) {
		return nil, opts, fmt.Errorf("%s has no baseline row: add a row with feature baseline, or give --baseline", path)
	}
	slices.Sort(opts.Features)
	opts.Seeds = len(seeds)
	for _, f := range opts.Features {
		for _, seed := range seeds {
			if _, ok := seen[[2]string{strconv.Itoa(f), seed}]; !ok {
				return nil, opts, fmt.Errorf("%s has no row for feature %d with seed %s: every feature needs a row per seed", path, f, seedText(seed))
			}
		}
	}
	var out []experiments.Retrain
	for _, c := range rows {
		if c.feature == experiments.Baseline && c.seed == "" {
			continue
		}
		out = append(out, experiments.Retrain{Task: experiments.Task{Feature: c.feature, Seed: seedIndex[c.seed]}, Metric: c.metric})
	}
	if shared != nil {
		for s := range seeds {
			out = append(out, experiments.Retrain{Task: experiments.Task{Feature: experiments.Baseline, Seed: s}, Metric: shared.metric})
		}
	}
	return out, opts, nil
}

// seedText is a seed cell for a message: a number as it is, other text
// quoted and cut.
func seedText(s string) string {
	if plainNumber(s) && len(s) <= 20 {
		return s
	}
	return quote.Short(s)
}

func describeCSVRow(c *csvRetrain) string {
	what := "the baseline"
	if c.feature != experiments.Baseline {
		what = fmt.Sprintf("feature %d", c.feature)
	}
	if c.seed != "" {
		what += " with seed " + seedText(c.seed)
	}
	return what
}
