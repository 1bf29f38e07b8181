package cli

import (
	"bytes"
	"fmt"
	"math"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/plotting"
	"github.com/tracker-ml/tracker/tracker"
)

func newPlotCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plot",
		Short: "Charts of importance across weeks, as PNG or SVG",
		Long: `Draw charts from the recorded experiments. --out FILE.png or FILE.svg picks
the format. Without --experiment a chart uses the most telling method
recorded: drop-retrain, permutation, perturb, gradient, then the
weight-based ones.`,
	}
	cmd.AddCommand(newPlotTrajectoryCmd(g), newPlotCompareCmd(g), newPlotHeatmapCmd(g), newPlotRanksCmd(g))
	return cmd
}

// plotFlags are the flags every chart shares.
type plotFlags struct {
	model, out, kind string
	weeks            int
}

func (f *plotFlags) register(cmd *cobra.Command, weeks bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", tracker.DefaultModel, "model series name")
	fl.StringVar(&f.out, "out", "", "the chart file, .png or .svg (required)")
	if weeks {
		fl.IntVar(&f.weeks, "weeks", 12, "the newest N weeks that have a version (0 = all)")
	}
}

func (f *plotFlags) check() (plotting.Format, error) {
	if f.out == "" {
		return "", usagef("--out FILE.png or FILE.svg is required")
	}
	if f.weeks < 0 {
		return "", usagef("--weeks %d: give a positive number (0 = all)", f.weeks)
	}
	format, err := plotting.FormatFor(f.out)
	if err != nil {
		return "", usageError{err}
	}
	return format, nil
}

// saveChart draws into memory and writes the file whole.
func saveChart(path string, draw func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := draw(&buf); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

func newPlotTrajectoryCmd(g *globals) *cobra.Command {
	f := &plotFlags{}
	var kinds []string
	var normalize bool
	cmd := &cobra.Command{
		Use:   "trajectory IDX|NAME --out FILE [--weeks N] [--experiment KIND,...] [--normalize]",
		Short: "One feature's importance across weeks, a line per experiment",
		Args:  exactArgs(1, "a feature index or name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := f.check(); err != nil {
				return err
			}
			t, err := queryFeature(g, f.model, args[0], f.weeks, kinds)
			if err != nil {
				return err
			}
			return trajectoryChart(t, f.out, normalize)
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringSliceVar(&kinds, "experiment", nil, "only these experiment kinds (comma-separated)")
	cmd.Flags().BoolVar(&normalize, "normalize", false, "scale each experiment by its largest |value|, so methods share an axis")
	return cmd
}

func trajectoryChart(t *featureTable, path string, normalize bool) error {
	format, err := plotting.FormatFor(path)
	if err != nil {
		return usageError{err}
	}
	weeks, series := t.chartSeries()
	return saveChart(path, func(b *bytes.Buffer) error {
		return plotting.Trajectory(b, format, "Importance of "+t.title(), weeks, series, normalize)
	})
}

func (t *featureTable) title() string {
	if t.name != "" {
		return fmt.Sprintf("feature %d (%s)", t.feature, t.name)
	}
	return fmt.Sprintf("feature %d", t.feature)
}

// chartSeries is the table as chart lines: NaN where a week has no record.
func (t *featureTable) chartSeries() ([]string, []plotting.Series) {
	weeks := make([]string, len(t.weeks))
	for i, w := range t.weeks {
		weeks[i] = w.Week
	}
	series := make([]plotting.Series, len(t.series))
	for si, s := range t.series {
		series[si] = plotting.Series{Name: s.label, Values: make([]float64, len(t.weeks))}
		for wi := range t.weeks {
			series[si].Values[wi] = math.NaN()
			if c := t.cells[wi][si]; c.ok {
				series[si].Values[wi] = c.value
			}
		}
	}
	return weeks, series
}

func newPlotCompareCmd(g *globals) *cobra.Command {
	f := &plotFlags{}
	cmd := &cobra.Command{
		Use:   "compare WEEK_A WEEK_B --out FILE [--experiment KIND]",
		Short: "Every feature's importance in two weeks, side by side, sorted",
		Args:  exactArgs(2, "two weeks"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := f.check()
			if err != nil {
				return err
			}
			h, err := loadHistory(g, f.model, []string{args[0], args[1]}, 0, f.kind)
			if err != nil {
				return err
			}
			a, b := h.values(0), h.values(1)
			if a == nil || b == nil {
				missing := h.weeks[0].Week
				if a != nil {
					missing = h.weeks[1].Week
				}
				return fmt.Errorf("week %s has no %s record with these parameters: run it there, or choose another --experiment", missing, h.label)
			}
			title := fmt.Sprintf("%s: %s vs %s", h.label, h.weeks[0].Week, h.weeks[1].Week)
			return saveChart(f.out, func(buf *bytes.Buffer) error {
				return plotting.Compare(buf, format, title, h.weeks[0].Week, h.weeks[1].Week, h.featureNames(), a, b)
			})
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&f.kind, "experiment", "", "experiment kind to compare")
	return cmd
}

func newPlotHeatmapCmd(g *globals) *cobra.Command {
	f := &plotFlags{}
	cmd := &cobra.Command{
		Use:   "heatmap --out FILE [--weeks N] [--experiment KIND]",
		Short: "Every feature's rank in every week, as colour",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := f.check()
			if err != nil {
				return err
			}
			h, err := loadHistory(g, f.model, nil, f.weeks, f.kind)
			if err != nil {
				return err
			}
			title := fmt.Sprintf("Rank by %s, %s to %s", h.label, h.weeks[0].Week, h.weeks[len(h.weeks)-1].Week)
			return saveChart(f.out, func(buf *bytes.Buffer) error {
				return plotting.Heatmap(buf, format, title, h.weekLabels(), h.featureNames(), h.ranksByFeature())
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&f.kind, "experiment", "", "experiment kind to rank by")
	return cmd
}

func newPlotRanksCmd(g *globals) *cobra.Command {
	f := &plotFlags{}
	var top int
	cmd := &cobra.Command{
		Use:   "ranks --out FILE [--top K] [--weeks N] [--experiment KIND]",
		Short: "The rank of the newest week's top K features across weeks",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := f.check()
			if err != nil {
				return err
			}
			if top <= 0 {
				return usagef("--top %d: give a positive number", top)
			}
			h, err := loadHistory(g, f.model, nil, f.weeks, f.kind)
			if err != nil {
				return err
			}
			title := fmt.Sprintf("Top %d features by %s", top, h.label)
			return saveChart(f.out, func(buf *bytes.Buffer) error {
				return plotting.Ranks(buf, format, title, h.weekLabels(), h.rankLines(top))
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().IntVar(&top, "top", 10, "how many features")
	cmd.Flags().StringVar(&f.kind, "experiment", "", "experiment kind to rank by")
	return cmd
}

// history is one method (kind and parameters) across weeks: the record of
// each week, nil where the week has none.
type history struct {
	weeks []tracker.WeekVersion
	exps  []*tracker.Experiment
	label string
	names []string
	width int // features
}

// loadHistory picks the method on the newest of the weeks (the most
// telling one without kind) and finds its record in every week. With
// explicit weeks it reads those; otherwise the newest n.
func loadHistory(g *globals, model string, explicit []string, n int, kind string) (*history, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	h := &history{}
	if explicit != nil {
		for _, w := range explicit {
			vi, err := versionFor(store, model, w)
			if err != nil {
				return nil, err
			}
			h.weeks = append(h.weeks, tracker.WeekVersion{Week: vi.Week, Version: vi.Version})
		}
	} else if h.weeks, err = store.Weeks(model, n); err != nil {
		return nil, err
	}
	if len(h.weeks) == 0 {
		return nil, fmt.Errorf("model %q has no versions: ingest one first", model)
	}
	if h.names, err = store.Features(model); err != nil {
		return nil, err
	}
	all := make([][]*tracker.Experiment, len(h.weeks))
	for i, wv := range h.weeks {
		if all[i], err = store.Experiments(model, wv.Version); err != nil {
			return nil, err
		}
	}
	last := len(h.weeks) - 1
	pick, err := pickExperiment(all[last], kind, h.weeks[last].Week)
	if err != nil {
		return nil, err
	}
	h.label = pick.Kind
	h.fill(all, tracker.SeriesKey(pick.Kind, pick.Params))
	return h, nil
}

// fill takes each week's record of the series key.
func (h *history) fill(all [][]*tracker.Experiment, key string) {
	h.exps = make([]*tracker.Experiment, len(all))
	for i, exps := range all {
		if e := newestOf(exps, key); e != nil {
			h.exps[i] = e
			h.width = max(h.width, len(e.Value))
		}
	}
}

// newestOf is a week's record of one method and settings. A week may hold
// several (run again on other data or with another seed): the newest
// speaks for the week, in every command.
func newestOf(exps []*tracker.Experiment, key string) *tracker.Experiment {
	var best *tracker.Experiment
	for _, e := range exps {
		if tracker.SeriesKey(e.Kind, e.Params) == key && (best == nil || e.CreatedAt.After(best.CreatedAt)) {
			best = e
		}
	}
	return best
}

func (h *history) weekLabels() []string {
	out := make([]string, len(h.weeks))
	for i, w := range h.weeks {
		out[i] = w.Week
	}
	return out
}

func (h *history) featureNames() []string {
	out := make([]string, h.width)
	for i := range out {
		out[i] = fmt.Sprint(i)
		if n := featureName(h.names, i); n != "" {
			out[i] = fmt.Sprintf("%d %s", i, n)
		}
	}
	return out
}

// values is week i's value per feature, NaN where not measured, or nil
// without a record.
func (h *history) values(i int) []float64 {
	e := h.exps[i]
	if e == nil {
		return nil
	}
	out := make([]float64, h.width)
	for f := range out {
		out[f] = math.NaN()
		if f < len(e.Value) && e.Rank[f] > 0 {
			out[f] = e.Value[f]
		}
	}
	return out
}

// ranksByFeature is ranks[feature][week], 0 where unknown.
func (h *history) ranksByFeature() [][]int {
	out := make([][]int, h.width)
	for f := range out {
		out[f] = make([]int, len(h.weeks))
		for w, e := range h.exps {
			if e != nil && f < len(e.Rank) {
				out[f][w] = e.Rank[f]
			}
		}
	}
	return out
}

// rankLines follows the newest week's top features back through the weeks.
func (h *history) rankLines(top int) []plotting.RankLine {
	ranks := h.ranksByFeature()
	newest := len(h.weeks) - 1
	var order []int
	for f := range ranks {
		if ranks[f][newest] > 0 {
			order = append(order, f)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return ranks[a][newest] - ranks[b][newest] })
	names := h.featureNames()
	var lines []plotting.RankLine
	for _, f := range order[:min(top, len(order))] {
		lines = append(lines, plotting.RankLine{Name: names[f], Ranks: ranks[f]})
	}
	return lines
}
