package cli

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/plotting"
	"github.com/tracker-ml/tracker/plotting/report"
	"github.com/tracker-ml/tracker/tracker"
)

type reportOptions struct {
	model string
	weeks int    // the newest N weeks, 0 = all
	out   string // the directory index.html goes into
}

func newReportCmd(g *globals) *cobra.Command {
	opts := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report [--model NAME] [--weeks N] --out DIR",
		Short: "Write a self-contained HTML report of the newest weeks",
		Long: `Write DIR/index.html: the weeks covered, a ranked table per experiment for
the newest week, the top movers between the last two weeks, features whose
importance went to zero, disagreements between the weight-sum and the
behavioural methods, and charts (inline SVG). The page loads nothing from
the network and runs no script; open it in any browser or mail it.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReport(g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().IntVar(&opts.weeks, "weeks", 12, "the newest N weeks that have a version (0 = all)")
	cmd.Flags().StringVar(&opts.out, "out", "", "directory to write index.html into (required)")
	return cmd
}

// runReport reads the newest weeks, has them judged and drawn, and writes
// the page in one piece: a failure leaves no half-written index.html.
func runReport(g *globals, opts *reportOptions) error {
	if opts.out == "" {
		return usagef("--out DIR is required")
	}
	if opts.weeks < 0 {
		return usagef("--weeks %d: give a positive number (0 = all)", opts.weeks)
	}
	h, err := readHistory(g, opts.model, opts.weeks)
	if err != nil {
		return err
	}
	data, err := reportData(h, g.env.Now())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, data); err != nil {
		return err
	}
	if err := os.MkdirAll(opts.out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(opts.out, "index.html")
	if err := safefile.WriteFile(path, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(g.env.ErrOut, "wrote %s\n", path)
	return nil
}

// readHistory reads the newest n weeks of model from a store opened
// read-only and closed before anything is drawn.
func readHistory(g *globals, model string, n int) (*tracker.History, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	return store.History(model, n)
}

// reportData maps a history into the page: the weeks covered, a section
// for each series of the newest week, and the charts of the most telling.
func reportData(h *tracker.History, now time.Time) (report.Data, error) {
	last := h.Newest()
	data := report.Data{Model: h.Model, Weeks: len(h.Weeks), First: h.Weeks[0].Week, Last: h.Weeks[last].Week, Generated: now.UTC().Format("2006-01-02 15:04 MST")}
	for i, wv := range h.Weeks {
		data.Versions = append(data.Versions, report.Version{Week: wv.Week, Version: wv.Version, Hash: h.Versions[i].Hash[:12], Experiments: len(h.Records[i])})
	}
	newest := tracker.SeriesRecords(h.Records[last], experiments.OrderOf)
	var weightSum experiments.Result
	for _, e := range newest {
		if e.Kind == experiments.KindWeightSum {
			weightSum = resultOf(e)
		}
	}
	for _, e := range newest {
		data.Methods = append(data.Methods, reportMethod(h.Follow(tracker.SeriesKey(e.Kind, e.Params), e.Kind), weightSum))
	}
	if len(newest) == 0 {
		return data, nil
	}
	best := newest[0]
	var err error
	data.Charts, err = reportCharts(h.Follow(tracker.SeriesKey(best.Kind, best.Params), best.Kind))
	return data, err
}

// resultOf is a record as compare reads it; nil (a week without a record)
// is the empty result.
func resultOf(e *tracker.Experiment) experiments.Result {
	if e == nil {
		return experiments.Result{}
	}
	return experiments.Result{Kind: e.Kind, Params: e.Params, Value: e.Value, Spread: e.Spread, Rank: e.Rank}
}

// reportMethod is one series' section: its ranking in the newest week of
// s and, as compare judges them, what changed since the weeks before.
func reportMethod(s *tracker.SeriesHistory, weightSum experiments.Result) report.Method {
	last := len(s.Records) - 1
	e := s.Records[last]
	cur := resultOf(e)
	m := report.Method{Label: e.Kind, Params: describeParams(e)}
	var prev *tracker.Experiment
	if last > 0 {
		prev = s.Records[last-1]
		m.PrevWeek = s.Weeks[last-1].Week
	}
	m.Rows = reportRows(e, prev, s.Names)
	up, down := compare.Movers(resultOf(prev), cur)
	m.Up, m.Down = reportMoves(up, s.Names), reportMoves(down, s.Names)
	earlier := make([]experiments.Result, last)
	for w := range earlier {
		earlier[w] = resultOf(s.Records[w])
	}
	for _, z := range compare.GoneToZero(cur, earlier) {
		m.Zeroed = append(m.Zeroed, report.Zeroed{Index: z.Feature, Name: experiments.FeatureName(s.Names, z.Feature), Was: num32(z.Was), Now: num32(z.Now), WasWeek: s.Weeks[z.Week].Week, WasRank: z.WasRank, To: z.Rank})
	}
	m.Warnings = compare.Warnings(weightSum, cur, s.Names)
	return m
}

// reportRows is e's ranking, best first, each feature with the places it
// climbed since prev (nil without a record the week before).
func reportRows(e, prev *tracker.Experiment, names []string) []report.Row {
	var rows []report.Row
	for i := range e.Value {
		if e.Rank[i] == 0 {
			continue
		}
		r := report.Row{Rank: e.Rank[i], Index: i, Name: experiments.FeatureName(names, i), Value: num32(e.Value[i]), Spread: num32(e.Spread[i])}
		if prev != nil && i < len(prev.Rank) && prev.Rank[i] > 0 {
			rise := prev.Rank[i] - e.Rank[i]
			r.Move = optInt(&rise, true)
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b report.Row) int { return a.Rank - b.Rank })
	return rows
}

func reportMoves(ms []compare.Mover, names []string) []report.Move {
	var out []report.Move
	for _, m := range ms {
		out = append(out, report.Move{Index: m.Feature, Name: experiments.FeatureName(names, m.Feature), From: m.From, To: m.To})
	}
	return out
}

// reportCharts draws the rank heatmap and the top-10 ranks of the most
// telling series s, and its two newest weeks side by side.
func reportCharts(s *tracker.SeriesHistory) ([]report.Chart, error) {
	var charts []report.Chart
	add := func(title string, draw func(*bytes.Buffer) error) error {
		var buf bytes.Buffer
		if err := draw(&buf); err != nil {
			return fmt.Errorf("chart %q: %w", title, err)
		}
		charts = append(charts, report.Chart{Title: title, SVG: template.HTML(buf.String())})
		return nil
	}
	weeks, features := s.WeekLabels(), s.FeatureLabels()
	if err := add("Rank of every feature by "+s.Label+", week by week", func(b *bytes.Buffer) error {
		return plotting.Heatmap(b, plotting.SVG, "Rank by "+s.Label, weeks, features, s.RanksByFeature())
	}); err != nil {
		return nil, err
	}
	newest := len(weeks) - 1
	ranks := s.RanksByFeature()
	var lines []plotting.RankLine
	for _, f := range s.TopAt(newest, 10) {
		lines = append(lines, plotting.RankLine{Name: features[f], Ranks: ranks[f]})
	}
	if err := add("The newest week's top 10 by "+s.Label+", across weeks", func(b *bytes.Buffer) error {
		return plotting.Ranks(b, plotting.SVG, "Top 10 by "+s.Label, weeks, lines)
	}); err != nil {
		return nil, err
	}
	if newest < 1 || s.Records[newest-1] == nil || s.Records[newest] == nil {
		return charts, nil
	}
	was, now := weeks[newest-1], weeks[newest]
	if err := add(fmt.Sprintf("%s, %s against %s", s.Label, was, now), func(b *bytes.Buffer) error {
		return plotting.Compare(b, plotting.SVG, s.Label+": "+was+" vs "+now, was, now, features, s.Values(newest-1), s.Values(newest))
	}); err != nil {
		return nil, err
	}
	return charts, nil
}
