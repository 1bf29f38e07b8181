package cli

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
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
the newest week with each feature's standard error, change and verdicts,
the features that moved with a significant change since the week before
(beyond both the standard error and the week-to-week noise learned from
the weeks before), features whose effect went to zero and the week they
dropped, disagreements between the weight-sum and the behavioural
methods, and charts (inline SVG). The page loads nothing from the network
and runs no script; open it in any browser or mail it.`,
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
	h, from, err := readHistory(g, opts.model, opts.weeks)
	if err != nil {
		return err
	}
	data, err := reportData(h, from, g.env.Now())
	if err != nil {
		return err
	}
	if err := reportChecks(g, opts.model, &data); err != nil {
		return err
	}
	if data.Quality, err = reportQuality(g, opts.model, opts.weeks); err != nil {
		return err
	}
	// Drifted features show their importance change by the most telling
	// method whose changes into the newest week were judged.
	var telling *report.Method
	for i := range data.Methods {
		if m := &data.Methods[i]; m.PrevWeek != "" && m.Unjudged == "" {
			telling = m
			break
		}
	}
	if data.Drift, err = reportDrift(g, opts.model, data.Last, telling); err != nil {
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

// readHistory reads the newest n weeks of model, and the weeks before them
// that their changes are judged by, from a store opened read-only and
// closed before anything is drawn; from is the first of the n.
func readHistory(g *globals, model string, n int) (h *tracker.History, from int, err error) {
	store, err := g.open(true)
	if err != nil {
		return nil, 0, err
	}
	defer store.Close()
	return store.HistoryBack(model, n, compare.Lookback)
}

// reportData maps a history into the page: the weeks covered (from week
// from on; the weeks before are the past the verdicts learn from), a
// section for each series of the newest week, and the charts of the most
// telling.
func reportData(full *tracker.History, from int, now time.Time) (report.Data, error) {
	h := full.Since(from)
	last := h.Newest()
	data := report.Data{Model: h.Model, Weeks: len(h.Weeks), First: h.Weeks[0].Week, Last: h.Weeks[last].Week, Generated: now.UTC().Format("2006-01-02 15:04 MST"),
		FDR: fmt.Sprintf("%g%%", 100*compare.Q)}
	for i, wv := range h.Weeks {
		data.Versions = append(data.Versions, report.Version{Week: wv.Week, Version: wv.Version, Hash: h.Versions[i].Hash[:12], Experiments: len(h.Records[i])})
	}
	newest := tracker.SeriesRecords(h.Records[last], experiments.TellingOf)
	var weightSum experiments.Result
	for _, e := range newest {
		if e.Kind == experiments.KindWeightSum {
			weightSum = resultOf(e)
		}
	}
	for _, e := range newest {
		m := reportMethod(full.Follow(tracker.SeriesKey(e.Kind, e.Params), e.Kind), from, weightSum)
		if last > 0 {
			m.Effects = crossNotes(h.Records[last-1], h.Records[last], e, append(m.Up, m.Down...), h.Names)
		}
		data.Methods = append(data.Methods, m)
	}
	if len(newest) == 0 {
		return data, nil
	}
	best := newest[0]
	var err error
	data.Charts, err = reportCharts(h.Follow(tracker.SeriesKey(best.Kind, best.Params), best.Kind))
	return data, err
}

// crossNotes say, for each of a series' significant movers into the
// newest week, how its change splits into the model's part and the
// data's, where a --previous-data run recorded the cross-records
// (crossFeature); none where it did not.
func crossNotes(prev, cur []*tracker.Experiment, e *tracker.Experiment, moves []report.Move, names []string) []string {
	s := &tracker.Series{Kind: e.Kind, Params: e.Params, Key: tracker.SeriesKey(e.Kind, e.Params)}
	var out []string
	for _, mv := range moves {
		m, d := crossFeature(prev, cur, s, mv.Index)
		if math.IsNaN(m) && math.IsNaN(d) {
			continue
		}
		out = append(out, fmt.Sprintf("%s changed %s: %s", experiments.FeatureLabel(names, mv.Index), mv.Change, effectSplit(m, d)))
	}
	return out
}

// resultOf is a record as compare reads it; nil (a week without a record)
// is the empty result.
func resultOf(e *tracker.Experiment) experiments.Result {
	if e == nil {
		return experiments.Result{}
	}
	return experiments.Result{Kind: e.Kind, Params: e.Params, Value: e.Value, Spread: e.Spread, Rank: e.Rank, Extra: e.Extra}
}

// resultsOf is a series' records, one per week, as compare reads them.
func resultsOf(records []*tracker.Experiment) []experiments.Result {
	out := make([]experiments.Result, len(records))
	for i, e := range records {
		out[i] = resultOf(e)
	}
	return out
}

// reportMethod is one series' section: its ranking in the newest week of
// s and, as compare judges them, what changed since the weeks before. The
// weeks of s before from are the past the changes are judged by; the
// report shows from on.
func reportMethod(s *tracker.SeriesHistory, from int, weightSum experiments.Result) report.Method {
	series := resultsOf(s.Records)
	last := len(series) - 1
	e, cur := s.Records[last], series[last]
	m := report.Method{Label: e.Kind, Params: describeParams(e)}
	moves := compare.Movers(series)
	if last > from {
		m.PrevWeek = s.Weeks[last-1].Week
		m.Up, m.Down = reportMoves(moves.Up, s.Names), reportMoves(moves.Down, s.Names)
		m.Unjudged = moves.Changes.Unjudged()
		m.Significant, m.Compared, m.ModelWide = moves.Changes.Significant(), moves.Changes.Compared(), moves.Changes.ModelWide()
	}
	effects := compare.JudgeEffects(cur)
	m.Negligible = effects.Why
	if effects.Why != "" && effects.Any() {
		m.Negligible += " (a value of zero, where the output never moved, is negligible)"
	}
	var prev *tracker.Experiment
	if m.PrevWeek != "" {
		prev = s.Records[last-1]
	}
	m.Rows = reportRows(e, prev, cur, moves.Changes, effects, s.Names)
	for _, z := range compare.GoneToZero(series[from:]) {
		m.Zeroed = append(m.Zeroed, report.Zeroed{Index: z.Feature, Name: experiments.FeatureName(s.Names, z.Feature), Was: num32(z.Was), Now: num32(z.Now),
			ThereWeek: s.Weeks[from+z.There].Week, DroppedWeek: s.Weeks[from+z.Dropped].Week, WasRank: z.WasRank, To: z.Rank})
	}
	m.Warnings = compare.Warnings(weightSum, cur, s.Names)
	return m
}

// reportRows is e's ranking, best first, each feature with its standard
// error, the verdict on its effect and, when the report has the week
// before's record prev, the places it climbed and its judged change.
func reportRows(e, prev *tracker.Experiment, cur experiments.Result, changes compare.Changes, effects compare.Effects, names []string) []report.Row {
	se := experiments.StandardErrors(cur)
	var rows []report.Row
	for i := range e.Value {
		if e.Rank[i] == 0 {
			continue
		}
		r := report.Row{Rank: e.Rank[i], Index: i, Name: experiments.FeatureName(names, i), Value: num32(e.Value[i]), Spread: num32(e.Spread[i]), SE: num32(se[i]),
			Negligible: verdictWord(effects.Effect[i])}
		if prev != nil && i < len(prev.Rank) && prev.Rank[i] > 0 {
			rise := prev.Rank[i] - e.Rank[i]
			r.Move = optInt(&rise, true)
		}
		if c := changes[i]; prev != nil && !math.IsNaN(c.Delta) {
			r.Change, r.Significant = signed32(c.Delta), c.Significant
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b report.Row) int { return a.Rank - b.Rank })
	return rows
}

// verdictWord is an effect verdict as a table shows it: "yes" negligible,
// "no" clearly there, "" cannot be judged.
func verdictWord(e experiments.Effect) string {
	switch e {
	case experiments.EffectNone:
		return "yes"
	case experiments.EffectClear:
		return "no"
	}
	return ""
}

func reportMoves(ms []compare.Mover, names []string) []report.Move {
	var out []report.Move
	for _, m := range ms {
		out = append(out, report.Move{Index: m.Feature, Name: experiments.FeatureName(names, m.Feature), From: m.From, To: m.To, Change: signed32(m.Delta)})
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
