package cli

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/plotting"
	"github.com/tracker-ml/tracker/tracker"
)

func newQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Ask how features' importance moved across weeks",
	}
	cmd.AddCommand(newQueryFeatureCmd(g), newQueryWeekCmd(g))
	return cmd
}

// queryFeatureOptions are query feature's flags and argument.
type queryFeatureOptions struct {
	model, format, plot string
	weeks               int
	kinds               []string
	feature             string
}

func newQueryFeatureCmd(g *globals) *cobra.Command {
	opts := &queryFeatureOptions{}
	cmd := &cobra.Command{
		Use:   "feature IDX|NAME [--model NAME] [--weeks N] [--experiment KIND,...] [--format table|csv|json] [--plot FILE.png|FILE.svg]",
		Short: "One feature's importance, week by week, for every experiment recorded",
		Long: `One row per week for the newest N weeks that have a version, oldest first:
for each experiment recorded, the feature's value, its rank among all
features (1 = most important) and the change from the previous week. A week
with no record for an experiment has an empty cell. A summary line follows
the table. --plot also writes the chart.`,
		Args: exactArgs(1, "a feature index or name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.feature = args[0]
			return runQueryFeature(g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.IntVar(&opts.weeks, "weeks", 12, "the newest N weeks that have a version (0 = all)")
	f.StringSliceVar(&opts.kinds, "experiment", nil, "only these experiment kinds (comma-separated)")
	f.StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	f.StringVar(&opts.plot, "plot", "", "also write the chart to FILE.png or FILE.svg")
	return cmd
}

func runQueryFeature(g *globals, opts *queryFeatureOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if opts.weeks < 0 {
		return usagef("--weeks %d: give a positive number (0 = every week)", opts.weeks)
	}
	if opts.plot != "" {
		if _, err := plotting.FormatFor(opts.plot); err != nil {
			return usageError{err}
		}
	}
	t, err := queryFeature(g, opts.model, opts.feature, opts.weeks, opts.kinds)
	if err != nil {
		return err
	}
	if opts.plot != "" {
		if err := trajectoryChart(t, opts.plot, false); err != nil {
			return err
		}
	}
	return t.write(g.env.Out, format)
}

// featureView is a feature's table with its name, as query and plot show it.
type featureView struct {
	*tracker.FeatureTable
	name string
}

func queryFeature(g *globals, model, spec string, n int, kinds []string) (*featureView, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	names, err := store.Features(model)
	if err != nil {
		return nil, err
	}
	feature, err := experiments.FeatureIndex(spec, names, -1)
	if err != nil {
		return nil, err
	}
	t, err := store.FeatureTable(model, feature, n, kinds, experiments.OrderOf)
	if err != nil {
		return nil, err
	}
	return &featureView{t, experiments.FeatureName(names, feature)}, nil
}

func (t *featureView) write(w io.Writer, format string) error {
	switch format {
	case formatJSON:
		return writeJSON(w, t.jsonRows())
	case formatCSV:
		tab := table.Table{Header: []string{"week", "version"}}
		for _, s := range t.Series {
			tab.Header = append(tab.Header, s.Label+" value", s.Label+" rank", s.Label+" change")
		}
		t.fill(&tab)
		return writeTable(w, &tab, formatCSV)
	}
	name := ""
	if t.name != "" {
		name = " (" + t.name + ")"
	}
	fmt.Fprintf(w, "feature %d%s, %d weeks %s to %s\n", t.Feature, name, len(t.Weeks), t.Weeks[0].Week, t.Weeks[len(t.Weeks)-1].Week)
	tab := table.Table{Header: []string{"week", "version"}}
	for _, s := range t.Series {
		tab.Header = append(tab.Header, s.Label, "rank", "change")
	}
	t.fill(&tab)
	if err := writeTable(w, &tab, formatTable); err != nil {
		return err
	}
	for _, line := range t.summary() {
		fmt.Fprintln(w, line)
	}
	return nil
}

// featureJSON is one week of query feature --format json.
type featureJSON struct {
	Week        string                  `json:"week"`
	Version     uint64                  `json:"version"`
	Experiments map[string]*featureCell `json:"experiments"`
}

type featureCell struct {
	Value  float64  `json:"value"`
	Rank   *int     `json:"rank"`
	Change *float64 `json:"change"`
}

func (t *featureView) jsonRows() []featureJSON {
	rows := make([]featureJSON, len(t.Weeks))
	for wi, wv := range t.Weeks {
		rows[wi] = featureJSON{Week: wv.Week, Version: wv.Version, Experiments: map[string]*featureCell{}}
		for si, s := range t.Series {
			c := t.Cells[wi][si]
			if !c.OK {
				rows[wi].Experiments[s.Label] = nil
				continue
			}
			e := &featureCell{Value: roundTrip32(c.Value)}
			if c.Rank > 0 {
				e.Rank = &c.Rank
			}
			if !math.IsNaN(c.Delta) {
				d := roundTrip32(c.Delta)
				e.Change = &d
			}
			rows[wi].Experiments[s.Label] = e
		}
	}
	return rows
}

func (t *featureView) fill(tab *table.Table) {
	for wi, wv := range t.Weeks {
		cells := []any{wv.Week, wv.Version}
		for si := range t.Series {
			c := t.Cells[wi][si]
			if !c.OK {
				cells = append(cells, "", "", "")
				continue
			}
			rank := ""
			if c.Rank > 0 {
				rank = strconv.Itoa(c.Rank)
			}
			cells = append(cells, num32(c.Value), rank, signed32(c.Delta))
		}
		tab.Add(cells...)
	}
}

// summary says in a line or two where each experiment went and which move
// was largest (relative to the series' own scale, so methods compare).
func (t *featureView) summary() []string {
	tracks := make([]compare.Track, len(t.Series))
	for si, s := range t.Series {
		tracks[si] = compare.Track{Label: s.Label, Points: make([]compare.Point, len(t.Weeks))}
		for wi := range t.Weeks {
			c := t.Cells[wi][si]
			tracks[si].Points[wi] = compare.Point{OK: c.OK, Value: c.Value, Delta: c.Delta, Rank: c.Rank}
		}
	}
	weeks := make([]string, len(t.Weeks))
	for i, w := range t.Weeks {
		weeks[i] = w.Week
	}
	trends, largest := compare.Summarize(weeks, tracks)
	if len(trends) == 0 {
		return []string{"no experiment has a value for this feature in these weeks"}
	}
	parts := make([]string, len(trends))
	for i, tr := range trends {
		parts[i] = fmt.Sprintf("%s %s -> %s", tr.Label, num32(tr.First.Value), num32(tr.Last.Value))
		if tr.First.Rank > 0 && tr.Last.Rank > 0 {
			parts[i] += fmt.Sprintf(" (rank %d -> %d)", tr.First.Rank, tr.Last.Rank)
		}
	}
	out := []string{"trend: " + strings.Join(parts, "; ")}
	if largest != nil {
		line := fmt.Sprintf("largest move: %s %s in week %s", largest.Label, signed32(largest.Delta), largest.Week)
		if largest.From > 0 && largest.To > 0 {
			line += fmt.Sprintf(" (rank %d -> %d)", largest.From, largest.To)
		}
		out = append(out, line)
	}
	return out
}

// queryWeekOptions are query week's flags and argument.
type queryWeekOptions struct {
	model, format, kind, week string
	top                       int
}

func newQueryWeekCmd(g *globals) *cobra.Command {
	opts := &queryWeekOptions{}
	cmd := &cobra.Command{
		Use:   "week [WEEK] [--experiment KIND] [--top K] [--format table|csv|json]",
		Short: "Every feature of one week ranked, with rank changes from the week before",
		Long: `All features of one week (default the newest) ranked by one experiment, with
their names, values and how their rank moved since the previous week that
has a version (positive: moved up). Without --experiment the most telling
method recorded is used: drop-retrain, permutation, perturb, gradient, then
the weight-based ones.`,
		Args: maxArgs(1, "at most one WEEK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.week = "latest"
			if len(args) == 1 {
				opts.week = args[0]
			}
			return runQueryWeek(g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().StringVar(&opts.kind, "experiment", "", "experiment kind to rank by")
	cmd.Flags().IntVar(&opts.top, "top", 0, "show only the K most important features (0 = all)")
	cmd.Flags().StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	return cmd
}

// weekRow is one feature in query week's output.
type weekRow struct {
	Rank       int     `json:"rank"`
	Index      int     `json:"index"`
	Name       string  `json:"name"`
	Value      float64 `json:"value"`
	Spread     float64 `json:"spread"`
	PrevRank   *int    `json:"previous_rank"`
	RankChange *int    `json:"rank_change"` // previous rank minus this one: positive moved up
}

func runQueryWeek(g *globals, opts *queryWeekOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if opts.top < 0 {
		return usagef("--top %d: give a positive number (0 = all)", opts.top)
	}
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := store.WeekView(opts.model, opts.week, opts.kind, experiments.MoreTelling)
	if err != nil {
		return err
	}
	var rows []weekRow
	for _, r := range v.Rows() {
		rows = append(rows, weekRow{Rank: r.Rank, Index: r.Index, Name: experiments.FeatureName(v.Names, r.Index),
			Value: roundTrip32(r.Value), Spread: roundTrip32(r.Spread), PrevRank: r.PrevRank, RankChange: r.RankChange})
	}
	if opts.top > 0 && len(rows) > opts.top {
		rows = rows[:opts.top]
	}
	return writeWeek(g.env.Out, format, v, rows)
}

func writeWeek(w io.Writer, format string, v *tracker.WeekView, rows []weekRow) error {
	cur := v.Record
	switch format {
	case formatJSON:
		return writeJSON(w, rows)
	case formatCSV:
		tab := table.Table{Header: []string{"week", "experiment", "rank", "index", "name", "value", "spread", "previous_rank", "rank_change"}}
		for _, r := range rows {
			tab.Add(v.Version.Week, cur.Kind, r.Rank, r.Index, table.User(r.Name), num32(r.Value), num32(r.Spread), optInt(r.PrevRank, false), optInt(r.RankChange, false))
		}
		return writeTable(w, &tab, formatCSV)
	}
	vs := "no earlier week"
	switch {
	case v.Prev != nil:
		vs = "rank changes since " + v.PrevWeek
	case v.PrevWeek != "":
		vs = "no " + cur.Kind + " record with these parameters in " + v.PrevWeek
	}
	method := cur.Kind
	if p := describeParams(cur); p != "" {
		method += " " + p
	}
	fmt.Fprintf(w, "week %s (version %d), %s, %s\n", v.Version.Week, v.Version.Version, method, vs)
	tab := table.Table{Header: []string{"rank", "index", "name", "value", "spread", "was", "move"}}
	for _, r := range rows {
		tab.Add(r.Rank, r.Index, dash(r.Name), num32(r.Value), num32(r.Spread), optInt(r.PrevRank, false), optInt(r.RankChange, true))
	}
	return writeTable(w, &tab, formatTable)
}
