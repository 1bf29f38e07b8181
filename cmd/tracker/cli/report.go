package cli

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/plotting"
	"github.com/tracker-ml/tracker/plotting/report"
	"github.com/tracker-ml/tracker/tracker"
)

func newReportCmd(g *globals) *cobra.Command {
	var model, out string
	var weeks int
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
			if out == "" {
				return usagef("--out DIR is required")
			}
			if weeks < 0 {
				return usagef("--weeks %d: give a positive number (0 = all)", weeks)
			}
			path, err := writeReport(g, model, weeks, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.env.ErrOut, "wrote %s\n", path)
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().IntVar(&weeks, "weeks", 12, "the newest N weeks that have a version (0 = all)")
	cmd.Flags().StringVar(&out, "out", "", "directory to write index.html into (required)")
	return cmd
}

func writeReport(g *globals, model string, n int, dir string) (string, error) {
	store, err := g.open(true)
	if err != nil {
		return "", err
	}
	weeks, err := store.Weeks(model, n)
	if err != nil {
		store.Close()
		return "", err
	}
	if len(weeks) == 0 {
		store.Close()
		return "", fmt.Errorf("model %q has no versions: ingest one first", model)
	}
	names, err := store.Features(model)
	if err != nil {
		store.Close()
		return "", err
	}
	data := report.Data{Model: model, Weeks: len(weeks), First: weeks[0].Week, Last: weeks[len(weeks)-1].Week, Generated: g.env.Now().UTC().Format("2006-01-02 15:04 MST")}
	all := make([][]*tracker.Experiment, len(weeks))
	for i, wv := range weeks {
		if all[i], err = store.Experiments(model, wv.Version); err != nil {
			store.Close()
			return "", err
		}
		vi, err := store.Version(model, wv.Week)
		if err != nil {
			store.Close()
			return "", err
		}
		data.Versions = append(data.Versions, report.Version{Week: wv.Week, Version: wv.Version, Hash: vi.Hash[:12], Experiments: len(all[i])})
	}
	store.Close()

	last := len(weeks) - 1
	var newest []*tracker.Experiment // one record per method and settings
	seen := map[string]bool{}
	for _, e := range all[last] {
		if key := tracker.SeriesKey(e.Kind, e.Params); !seen[key] {
			seen[key] = true
			newest = append(newest, newestOf(all[last], key))
		}
	}
	slices.SortStableFunc(newest, func(a, b *tracker.Experiment) int {
		return cmp.Or(kindOrder(b.Kind)-kindOrder(a.Kind), cmp.Compare(tracker.SeriesKey(a.Kind, a.Params), tracker.SeriesKey(b.Kind, b.Params)))
	})
	var weightSum *tracker.Experiment
	for _, e := range newest {
		if e.Kind == experiments.KindWeightSum {
			weightSum = e
		}
	}
	for _, e := range newest {
		data.Methods = append(data.Methods, reportMethodFor(e, all, weeks, names, weightSum))
	}
	charts, err := reportCharts(all, weeks, names, newest)
	if err != nil {
		return "", err
	}
	data.Charts = charts

	var buf bytes.Buffer
	if err := report.Write(&buf, data); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "index.html")
	return path, writeFileAtomic(path, buf.Bytes())
}

// reportMethodFor builds one experiment's section: its ranking in the
// newest week and what changed since the week before.
func reportMethodFor(e *tracker.Experiment, all [][]*tracker.Experiment, weeks []tracker.WeekVersion, names []string, weightSum *tracker.Experiment) report.Method {
	key := tracker.SeriesKey(e.Kind, e.Params)
	find := func(w int) *tracker.Experiment { return newestOf(all[w], key) }
	m := report.Method{Label: e.Kind, Params: describeParams(e)}
	last := len(weeks) - 1
	var prev *tracker.Experiment
	if last > 0 {
		prev = find(last - 1)
		m.PrevWeek = weeks[last-1].Week
	}
	name := func(i int) string { return featureName(names, i) }
	for i := range e.Value {
		if e.Rank[i] == 0 {
			continue
		}
		r := report.Row{Rank: e.Rank[i], Index: i, Name: name(i), Value: num32(e.Value[i]), Spread: num32(e.Spread[i])}
		if prev != nil && i < len(prev.Rank) && prev.Rank[i] > 0 {
			r.Move = optInt(ptr(prev.Rank[i]-e.Rank[i]), true)
			mv := report.Move{Index: i, Name: name(i), From: prev.Rank[i], To: e.Rank[i]}
			// A mover's value must have moved by more than twice the
			// standard error of the difference, or it is noise reshuffling
			// features that matter equally little.
			noise := 2 * math.Hypot(standardError(e, i), standardError(prev, i))
			if math.Abs(e.Value[i]-prev.Value[i]) <= noise {
				m.Rows = append(m.Rows, r)
				continue
			}
			if d := mv.From - mv.To; d > 0 {
				m.Up = append(m.Up, mv)
			} else if d < 0 {
				m.Down = append(m.Down, mv)
			}
		}
		m.Rows = append(m.Rows, r)
	}
	slices.SortFunc(m.Rows, func(a, b report.Row) int { return a.Rank - b.Rank })
	slices.SortFunc(m.Up, func(a, b report.Move) int { return (b.From - b.To) - (a.From - a.To) })
	slices.SortFunc(m.Down, func(a, b report.Move) int { return (a.From - a.To) - (b.From - b.To) })
	m.Up, m.Down = m.Up[:min(5, len(m.Up))], m.Down[:min(5, len(m.Down))]

	// Gone to zero: negligible now (in the bottom half of the ranking and
	// under 10% of this week's largest |value|; behavioural methods never
	// read exactly zero), but clearly there in an earlier week of the
	// report: in the top quarter of the ranking (top 3 of a small model) and
	// over 20% of that week's largest value. The earlier week named is the one where it ranked best.
	peak := func(x *tracker.Experiment) float64 {
		p := 0.0
		for i, v := range x.Value {
			if x.Rank[i] > 0 {
				p = max(p, math.Abs(v))
			}
		}
		return p
	}
	now := peak(e)
	for i := range e.Value {
		if e.Rank[i] == 0 || e.Rank[i] <= len(e.Rank)/2 || math.Abs(e.Value[i]) > 0.1*now {
			continue
		}
		bestWeek := -1
		var best *tracker.Experiment
		for w := range last {
			x := find(w)
			if x == nil || i >= len(x.Value) || x.Rank[i] == 0 || x.Rank[i] > max(3, len(x.Rank)/4) || math.Abs(x.Value[i]) <= 0.2*peak(x) {
				continue
			}
			if best == nil || x.Rank[i] < best.Rank[i] {
				best, bestWeek = x, w
			}
		}
		if best != nil {
			m.Zeroed = append(m.Zeroed, report.Zeroed{Index: i, Name: name(i), Was: num32(best.Value[i]), Now: num32(e.Value[i]), WasWeek: weeks[bestWeek].Week, WasRank: best.Rank[i], To: e.Rank[i]})
		}
	}
	// The strongest first; a weight-based method on weekly retrains from
	// scratch can list many noise features, and ten tell the story.
	slices.SortStableFunc(m.Zeroed, func(a, b report.Zeroed) int { return a.WasRank - b.WasRank })
	m.Zeroed = m.Zeroed[:min(10, len(m.Zeroed))]
	if weightSum != nil && e.Kind != experiments.KindWeightSum && kindOrder(e.Kind) >= kindOrder(experiments.KindPerturb) {
		ws := experiments.Result{Value: weightSum.Value, Rank: weightSum.Rank}
		for _, d := range experiments.Disagreements(ws, experiments.Result{Value: e.Value, Rank: e.Rank}) {
			label := strconv.Itoa(d.Feature)
			if n := name(d.Feature); n != "" {
				label += " (" + n + ")"
			}
			m.Warnings = append(m.Warnings, d.Describe(label, e.Kind, len(e.Value)))
		}
	}
	return m
}

func ptr[T any](v T) *T { return &v }

// spreadOver names the parameter counting what a method's spread is taken
// over, so the standard error of its mean is spread/sqrt(count).
var spreadOver = map[string]string{
	experiments.KindPerturb: "pivots", experiments.KindPermutation: "repeats",
	experiments.KindGradient: "rows", experiments.KindDropRetrain: "seeds",
}

// standardError is the standard error of feature i's value: its spread
// over the method's samples divided by the square root of their number
// (the spread itself when the count is unknown or all rows were used).
func standardError(e *tracker.Experiment, i int) float64 {
	n, err := strconv.Atoi(e.Params[spreadOver[e.Kind]])
	if err != nil || n < 1 {
		n = 1
	}
	return e.Spread[i] / math.Sqrt(float64(n))
}

// reportCharts draws the rank heatmap and the top-10 ranks of the most
// telling method, the two newest weeks side by side, and the trajectory of
// the features that went to zero.
func reportCharts(all [][]*tracker.Experiment, weeks []tracker.WeekVersion, names []string, newest []*tracker.Experiment) ([]report.Chart, error) {
	if len(newest) == 0 {
		return nil, nil
	}
	best := newest[0] // sorted most telling first
	h := &history{weeks: weeks, label: best.Kind, names: names}
	h.fill(all, tracker.SeriesKey(best.Kind, best.Params))
	var charts []report.Chart
	add := func(title string, draw func(*bytes.Buffer) error) error {
		var buf bytes.Buffer
		if err := draw(&buf); err != nil {
			return fmt.Errorf("chart %q: %w", title, err)
		}
		charts = append(charts, report.Chart{Title: title, SVG: template.HTML(buf.String())})
		return nil
	}
	if err := add("Rank of every feature by "+h.label+", week by week", func(b *bytes.Buffer) error {
		return plotting.Heatmap(b, plotting.SVG, "Rank by "+h.label, h.weekLabels(), h.featureNames(), h.ranksByFeature())
	}); err != nil {
		return nil, err
	}
	if err := add("The newest week's top 10 by "+h.label+", across weeks", func(b *bytes.Buffer) error {
		return plotting.Ranks(b, plotting.SVG, "Top 10 by "+h.label, h.weekLabels(), h.rankLines(10))
	}); err != nil {
		return nil, err
	}
	if n := len(weeks); n >= 2 && h.exps[n-2] != nil && h.exps[n-1] != nil {
		a, b := h.values(n-2), h.values(n-1)
		if err := add(fmt.Sprintf("%s, %s against %s", h.label, weeks[n-2].Week, weeks[n-1].Week), func(buf *bytes.Buffer) error {
			return plotting.Compare(buf, plotting.SVG, h.label+": "+weeks[n-2].Week+" vs "+weeks[n-1].Week, weeks[n-2].Week, weeks[n-1].Week, h.featureNames(), a, b)
		}); err != nil {
			return nil, err
		}
	}
	return charts, nil
}
