package dropretrain

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/table"
)

// MaxCSV is the largest outside-results file read: a row per feature and
// seed is a few dozen bytes, so 64 MiB is a million rows.
const MaxCSV = 64 << 20

// MaxMetric bounds a metric read from outside: the values tracker stores
// are differences of two metrics, printed as float32, so each metric must
// be at most half float32's range for every difference to stay finite.
const MaxMetric = math.MaxFloat32 / 2 // ±1.7e38 in messages

// FiniteMetric says whether v is a metric within ±MaxMetric; NaN is not.
func FiniteMetric(v float64) bool { return v >= -MaxMetric && v <= MaxMetric }

// CSVRow is one data row of an outside-results file.
type CSVRow struct {
	row     int // 1-based line number in the file
	feature int // experiments.Baseline for the baseline
	seed    string
	metric  float64
}

// ParseCSV reads an outside-results file: a header with the columns
// feature (an index or a name of names, or the word baseline) and metric,
// and optionally seed, then one row per training. The model has inputs
// features. A bad row is an error naming the file and its line; it is the
// file's fault, so an unknown feature does not match experiments.ErrFeature.
func ParseCSV(path string, raw []byte, names []string, inputs int) ([]CSVRow, error) {
	records, lines, err := readRecords(path, raw)
	if err != nil {
		return nil, err
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
	var rows []CSVRow
	for n, rec := range records[1:] {
		line := lines[n+1]
		if len(rec) != len(records[0]) {
			return nil, fmt.Errorf("%s line %d: %d fields, the header has %d", path, line, len(rec), len(records[0]))
		}
		c := CSVRow{row: line}
		if c.feature, err = csvFeature(rec[fc], names, inputs); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, line, err)
		}
		if c.metric, err = csvMetric(rec[mc]); err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, line, err)
		}
		if okS {
			c.seed = strings.TrimSpace(rec[sc])
		}
		rows = append(rows, c)
	}
	return rows, nil
}

// readRecords reads the file's records and the line each starts on,
// record by record: a quoted field may span lines.
func readRecords(path string, raw []byte) ([][]string, []int, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff")))
	r.FieldsPerRecord = -1
	var records [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return records, lines, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		records, lines = append(records, rec), append(lines, line)
	}
}

// csvFeature reads a feature cell: experiments.Baseline or an index.
func csvFeature(cell string, names []string, inputs int) (int, error) {
	spec := strings.TrimSpace(cell)
	if strings.EqualFold(spec, "baseline") {
		return experiments.Baseline, nil
	}
	return experiments.FeatureIndex(spec, names, inputs)
}

// csvMetric reads a metric cell: a number within ±MaxMetric.
func csvMetric(cell string) (float64, error) {
	cell = strings.TrimSpace(cell)
	metric, err := strconv.ParseFloat(cell, 64)
	switch {
	case err != nil && !strings.EqualFold(strings.TrimLeft(cell, "+-"), "nan"):
		return 0, fmt.Errorf("metric %s is not a number", quote.Short(cell))
	case err != nil || !FiniteMetric(metric): // NaN, Inf, 1e400, or "-nan"
		return 0, fmt.Errorf("metric %s is not a finite number within ±1.7e38: fix the row or remove it", quote.Short(cell))
	}
	return metric, nil
}

// csvRun is what an outside-results file's rows say about its run.
type csvRun struct {
	features  []int // dropped, in order of appearance
	seeds     []string
	seedIndex map[string]int
	seen      map[[2]string]int // feature and seed -> line
	shared    *CSVRow           // a baseline for every seed
}

// CSVRetrains turns an outside-results file's rows into the trainings of
// a run measured with metric, and that run's options: seed values become
// seed indices in order of appearance. A baseline row without a seed, or
// a baseline metric given apart from the file (baseline, when not nil),
// serves every seed. Every feature needs a row per seed.
func CSVRetrains(path string, rows []CSVRow, metric string, baseline *float64) ([]experiments.Retrain, experiments.DropRetrainOptions, error) {
	opts := experiments.DropRetrainOptions{Metric: metric, Features: []int{}}
	run := &csvRun{features: []int{}, seedIndex: map[string]int{}, seen: map[[2]string]int{}}
	if baseline != nil {
		run.shared = &CSVRow{feature: experiments.Baseline, metric: *baseline}
	}
	if err := run.scan(path, rows, baseline != nil); err != nil {
		return nil, opts, err
	}
	if len(run.seeds) == 0 {
		return nil, opts, fmt.Errorf("%s has only baseline rows: add one row per dropped feature", path)
	}
	if run.shared == nil && !slices.ContainsFunc(rows, func(c CSVRow) bool { return c.feature == experiments.Baseline }) {
		return nil, opts, fact.Errorf(ErrNoBaseline, "%s has no baseline row", path)
	}
	opts.Features = run.features
	slices.Sort(opts.Features)
	opts.Seeds = len(run.seeds)
	for _, f := range opts.Features {
		for _, seed := range run.seeds {
			if _, ok := run.seen[[2]string{strconv.Itoa(f), seed}]; !ok {
				return nil, opts, fmt.Errorf("%s has no row for feature %d with seed %s: every feature needs a row per seed", path, f, seedText(seed))
			}
		}
	}
	return run.retrains(rows), opts, nil
}

// scan reads the rows' features and seeds, refusing a feature and seed
// given twice.
func (run *csvRun) scan(path string, rows []CSVRow, apart bool) error {
	for i := range rows {
		c := &rows[i]
		key := [2]string{strconv.Itoa(c.feature), c.seed}
		if at, dup := run.seen[key]; dup {
			return fmt.Errorf("%s lines %d and %d are both %s: give each feature and seed once", path, at, c.row, c.describe())
		}
		run.seen[key] = c.row
		if c.feature == experiments.Baseline {
			if apart {
				return fact.Errorf(ErrTwoBaselines, "%s line %d is a baseline row", path, c.row)
			}
			if c.seed == "" {
				run.shared = c
				continue
			}
		} else if !slices.Contains(run.features, c.feature) {
			run.features = append(run.features, c.feature)
		}
		if _, ok := run.seedIndex[c.seed]; !ok {
			run.seedIndex[c.seed] = len(run.seeds)
			run.seeds = append(run.seeds, c.seed)
		}
	}
	return nil
}

// retrains is a training per row, and the shared baseline's per seed.
func (run *csvRun) retrains(rows []CSVRow) []experiments.Retrain {
	var out []experiments.Retrain
	for _, c := range rows {
		if c.feature == experiments.Baseline && c.seed == "" {
			continue
		}
		out = append(out, experiments.Retrain{Task: experiments.Task{Feature: c.feature, Seed: run.seedIndex[c.seed]}, Metric: c.metric})
	}
	if run.shared != nil {
		for s := range run.seeds {
			out = append(out, experiments.Retrain{Task: experiments.Task{Feature: experiments.Baseline, Seed: s}, Metric: run.shared.metric})
		}
	}
	return out
}

func (c *CSVRow) describe() string {
	what := "the baseline"
	if c.feature != experiments.Baseline {
		what = fmt.Sprintf("feature %d", c.feature)
	}
	if c.seed != "" {
		what += " with seed " + seedText(c.seed)
	}
	return what
}

// seedText is a seed cell for a message: a number as it is, other text
// quoted and cut.
func seedText(s string) string {
	if len(s) <= 20 && table.PlainNumber(s) {
		return s
	}
	return quote.Short(s)
}
