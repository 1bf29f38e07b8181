package cli

import (
	"bytes"
	"fmt"
	"math"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/safefile"
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
	return safefile.WriteFile(path, buf.Bytes())
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

func trajectoryChart(t *featureView, path string, normalize bool) error {
	format, err := plotting.FormatFor(path)
	if err != nil {
		return usageError{err}
	}
	weeks, series := t.chartSeries()
	return saveChart(path, func(b *bytes.Buffer) error {
		return plotting.Trajectory(b, format, "Importance of "+t.title(), weeks, series, normalize)
	})
}

func (t *featureView) title() string {
	if t.name != "" {
		return fmt.Sprintf("feature %d (%s)", t.Feature, t.name)
	}
	return fmt.Sprintf("feature %d", t.Feature)
}

// chartSeries is the table as chart lines: NaN where a week has no record.
func (t *featureView) chartSeries() ([]string, []plotting.Series) {
	weeks := make([]string, len(t.Weeks))
	for i, w := range t.Weeks {
		weeks[i] = w.Week
	}
	series := make([]plotting.Series, len(t.Series))
	for si, s := range t.Series {
		series[si] = plotting.Series{Name: s.Label, Values: make([]float64, len(t.Weeks))}
		for wi := range t.Weeks {
			series[si].Values[wi] = math.NaN()
			if c := t.Cells[wi][si]; c.OK {
				series[si].Values[wi] = c.Value
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
			a, b := h.Values(0), h.Values(1)
			if a == nil || b == nil {
				missing := h.Weeks[0].Week
				if a != nil {
					missing = h.Weeks[1].Week
				}
				return fmt.Errorf("week %s has no %s record with these parameters: run it there, or choose another --experiment", missing, h.Label)
			}
			title := fmt.Sprintf("%s: %s vs %s", h.Label, h.Weeks[0].Week, h.Weeks[1].Week)
			return saveChart(f.out, func(buf *bytes.Buffer) error {
				return plotting.Compare(buf, format, title, h.Weeks[0].Week, h.Weeks[1].Week, h.FeatureLabels(), a, b)
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
			title := fmt.Sprintf("Rank by %s, %s to %s", h.Label, h.Weeks[0].Week, h.Weeks[len(h.Weeks)-1].Week)
			return saveChart(f.out, func(buf *bytes.Buffer) error {
				return plotting.Heatmap(buf, format, title, h.WeekLabels(), h.FeatureLabels(), h.RanksByFeature())
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
			title := fmt.Sprintf("Top %d features by %s", top, h.Label)
			return saveChart(f.out, func(buf *bytes.Buffer) error {
				return plotting.Ranks(buf, format, title, h.WeekLabels(), rankLines(h, top))
			})
		},
	}
	f.register(cmd, true)
	cmd.Flags().IntVar(&top, "top", 10, "how many features")
	cmd.Flags().StringVar(&f.kind, "experiment", "", "experiment kind to rank by")
	return cmd
}

// loadHistory follows one method across weeks: kind's record on the
// newest of the weeks (the most telling one without kind), found in every
// week. With explicit weeks it reads those; otherwise the newest n.
func loadHistory(g *globals, model string, explicit []string, n int, kind string) (*tracker.SeriesHistory, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var h *tracker.History
	if explicit == nil {
		h, err = store.History(model, n)
	} else {
		var weeks []tracker.WeekVersion
		for _, w := range explicit {
			vi, err := store.VersionAt(model, w)
			if err != nil {
				return nil, err
			}
			weeks = append(weeks, tracker.WeekVersion{Week: vi.Week, Version: vi.Version})
		}
		h, err = store.HistoryOf(model, weeks)
	}
	if err != nil {
		return nil, err
	}
	last := h.Newest()
	pick, err := tracker.RankBy(h.Records[last], kind, tracker.DefaultRole, h.Weeks[last].Week, experiments.MoreTelling)
	if err != nil {
		return nil, err
	}
	return h.Follow(tracker.SeriesKey(pick.Kind, pick.Params), pick.Kind), nil
}

// rankLines follows the newest week's top features back through the weeks.
func rankLines(h *tracker.SeriesHistory, top int) []plotting.RankLine {
	ranks, names := h.RanksByFeature(), h.FeatureLabels()
	var lines []plotting.RankLine
	for _, f := range h.TopAt(len(h.Weeks)-1, top) {
		lines = append(lines, plotting.RankLine{Name: names[f], Ranks: ranks[f]})
	}
	return lines
}
