package cli

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
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

// methodOrder is how experiment kinds are laid out: weight-based first,
// then behavioural, the costliest last.
var methodOrder = []string{
	experiments.KindWeightSum, experiments.KindGarson, experiments.KindOlden,
	experiments.KindPerturb, experiments.KindPermutation, experiments.KindGradient, experiments.KindDropRetrain,
}

func kindOrder(kind string) int {
	if i := slices.Index(methodOrder, kind); i >= 0 {
		return i
	}
	return len(methodOrder)
}

// num32 prints a value with the fewest digits that read back as the same
// float32: the precision the weights have, without float64 noise.
func num32(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 32)
}

// series is one experiment, as kind and parameters, followed across weeks.
type series struct {
	kind   string
	params map[string]string
	key    string // tracker.SeriesKey
	label  string
}

// labelSeries names each series by its kind, adding the parameters that
// tell apart several series of one kind (olden's output, two perturb noise
// levels).
func labelSeries(all []*series) {
	byKind := map[string][]*series{}
	for _, s := range all {
		byKind[s.kind] = append(byKind[s.kind], s)
	}
	for kind, group := range byKind {
		if len(group) == 1 {
			group[0].label = kind
			continue
		}
		keys := map[string]bool{}
		for _, s := range group {
			for k, v := range s.params {
				if v != group[0].params[k] {
					keys[k] = true
				}
			}
			for k := range group[0].params {
				if s.params[k] != group[0].params[k] {
					keys[k] = true
				}
			}
		}
		for _, s := range group {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				parts = append(parts, k+"="+s.params[k])
			}
			s.label = kind + "(" + strings.Join(parts, ",") + ")"
		}
	}
	slices.SortFunc(all, func(a, b *series) int {
		return cmp.Or(cmp.Compare(kindOrder(a.kind), kindOrder(b.kind)), cmp.Compare(a.label, b.label))
	})
}

// cell is one series' numbers in one week; ok is false where the week has
// no record.
type cell struct {
	ok           bool
	value, delta float64 // delta is NaN without a previous week's value
	rank         int
}

// featureTable is query feature's result.
type featureTable struct {
	feature int
	name    string
	weeks   []tracker.WeekVersion
	series  []*series
	cells   [][]cell // [week][series]
}

func newQueryFeatureCmd(g *globals) *cobra.Command {
	var model, format, plot string
	var weeks int
	var kinds []string
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
			f, err := pickFormat(format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
			if err != nil {
				return err
			}
			if weeks < 0 {
				return usagef("--weeks %d: give a positive number (0 = every week)", weeks)
			}
			if plot != "" {
				if _, err := plotting.FormatFor(plot); err != nil {
					return usageError{err}
				}
			}
			t, err := queryFeature(g, model, args[0], weeks, kinds)
			if err != nil {
				return err
			}
			if plot != "" {
				if err := trajectoryChart(t, plot, false); err != nil {
					return err
				}
			}
			return t.write(g, f)
		},
	}
	cmd.Flags().StringVar(&model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().IntVar(&weeks, "weeks", 12, "the newest N weeks that have a version (0 = all)")
	cmd.Flags().StringSliceVar(&kinds, "experiment", nil, "only these experiment kinds (comma-separated)")
	cmd.Flags().StringVar(&format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	cmd.Flags().StringVar(&plot, "plot", "", "also write the chart to FILE.png or FILE.svg")
	return cmd
}

func queryFeature(g *globals, model, spec string, n int, kinds []string) (*featureTable, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	names, err := store.Features(model)
	if err != nil {
		return nil, err
	}
	feature, err := featureIndex(spec, names, -1)
	if err != nil {
		return nil, err
	}
	weeks, points, err := store.FeatureHistory(model, feature, n)
	if err != nil {
		return nil, err
	}
	if len(weeks) == 0 {
		return nil, fmt.Errorf("model %q has no versions: ingest one first", model)
	}
	if len(points) == 0 {
		newest, err := store.Version(model, weeks[len(weeks)-1].Week)
		if err == nil && feature >= newest.Inputs {
			return nil, usagef("feature %d: model %q's newest version has features 0 to %d", feature, model, newest.Inputs-1)
		}
	}
	if len(kinds) > 0 {
		recorded := map[string]bool{}
		points = slices.DeleteFunc(points, func(p tracker.FeaturePoint) bool {
			recorded[p.Kind] = true
			return !slices.Contains(kinds, p.Kind)
		})
		if len(points) == 0 {
			return nil, usagef("no %s experiment is recorded in these weeks; recorded: %s", strings.Join(kinds, " or "), strings.Join(slices.Sorted(maps.Keys(recorded)), ", "))
		}
	}
	t := &featureTable{feature: feature, name: featureName(names, feature), weeks: weeks}
	index := map[string]int{}
	at := map[tracker.WeekVersion]int{}
	for i, w := range weeks {
		at[w] = i
	}
	for _, p := range points {
		if _, ok := index[p.Series]; !ok {
			index[p.Series] = len(t.series)
			t.series = append(t.series, &series{kind: p.Kind, params: p.Params, key: p.Series})
		}
	}
	labelSeries(t.series)
	for i, s := range t.series {
		index[s.key] = i
	}
	t.cells = make([][]cell, len(weeks))
	for i := range t.cells {
		t.cells[i] = make([]cell, len(t.series))
	}
	for _, p := range points {
		if p.Rank == 0 && math.IsNaN(p.Value) {
			continue // the experiment did not measure this feature
		}
		t.cells[at[p.WeekVersion]][index[p.Series]] = cell{ok: true, value: p.Value, rank: p.Rank}
	}
	for si := range t.series {
		for wi := range weeks {
			c := &t.cells[wi][si]
			c.delta = math.NaN()
			if wi > 0 && c.ok && t.cells[wi-1][si].ok {
				c.delta = c.value - t.cells[wi-1][si].value
			}
		}
	}
	return t, nil
}

func (t *featureTable) write(g *globals, format string) error {
	w := g.env.Out
	switch format {
	case formatJSON:
		type entry struct {
			Value  float64  `json:"value"`
			Rank   *int     `json:"rank"`
			Change *float64 `json:"change"`
		}
		type row struct {
			Week        string            `json:"week"`
			Version     uint64            `json:"version"`
			Experiments map[string]*entry `json:"experiments"`
		}
		rows := make([]row, len(t.weeks))
		for wi, wv := range t.weeks {
			rows[wi] = row{Week: wv.Week, Version: wv.Version, Experiments: map[string]*entry{}}
			for si, s := range t.series {
				c := t.cells[wi][si]
				if !c.ok {
					rows[wi].Experiments[s.label] = nil
					continue
				}
				e := &entry{Value: roundTrip32(c.value)}
				if c.rank > 0 {
					e.Rank = &c.rank
				}
				if !math.IsNaN(c.delta) {
					d := roundTrip32(c.delta)
					e.Change = &d
				}
				rows[wi].Experiments[s.label] = e
			}
		}
		return writeJSON(w, rows)
	case formatCSV:
		tab := table{header: []string{"week", "version"}}
		for _, s := range t.series {
			tab.header = append(tab.header, s.label+" value", s.label+" rank", s.label+" change")
		}
		t.fill(&tab)
		return tab.write(w, formatCSV)
	}
	name := ""
	if t.name != "" {
		name = " (" + t.name + ")"
	}
	fmt.Fprintf(w, "feature %d%s, %d weeks %s to %s\n", t.feature, name, len(t.weeks), t.weeks[0].Week, t.weeks[len(t.weeks)-1].Week)
	tab := table{header: []string{"week", "version"}}
	for _, s := range t.series {
		tab.header = append(tab.header, s.label, "rank", "change")
	}
	t.fill(&tab)
	if err := tab.write(w, formatTable); err != nil {
		return err
	}
	for _, line := range t.summary() {
		fmt.Fprintln(w, line)
	}
	return nil
}

// roundTrip32 rounds to float32, so JSON prints the same digits as CSV.
func roundTrip32(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	f, _ := strconv.ParseFloat(num32(v), 64)
	return f
}

func (t *featureTable) fill(tab *table) {
	for wi, wv := range t.weeks {
		cells := []any{wv.Week, wv.Version}
		for si := range t.series {
			c := t.cells[wi][si]
			if !c.ok {
				cells = append(cells, "", "", "")
				continue
			}
			rank := ""
			if c.rank > 0 {
				rank = strconv.Itoa(c.rank)
			}
			cells = append(cells, num32(c.value), rank, signed32(c.delta))
		}
		tab.add(cells...)
	}
}

// signed32 is num32 with a + on positive changes.
func signed32(v float64) string {
	s := num32(v)
	if v > 0 {
		s = "+" + s
	}
	return s
}

// summary says in a line or two where each experiment went and which move
// was largest (relative to the series' own scale, so methods compare).
func (t *featureTable) summary() []string {
	var trends []string
	type move struct {
		series *series
		week   string
		delta  float64
		rel    float64
		from   int
		to     int
	}
	var largest *move
	for si, s := range t.series {
		first, last := -1, -1
		peak := 0.0
		for wi := range t.weeks {
			if c := t.cells[wi][si]; c.ok {
				if first < 0 {
					first = wi
				}
				last = wi
				peak = max(peak, math.Abs(c.value))
			}
		}
		if first < 0 {
			continue
		}
		a, b := t.cells[first][si], t.cells[last][si]
		trend := fmt.Sprintf("%s %s -> %s", s.label, num32(a.value), num32(b.value))
		if a.rank > 0 && b.rank > 0 {
			trend += fmt.Sprintf(" (rank %d -> %d)", a.rank, b.rank)
		}
		trends = append(trends, trend)
		for wi := range t.weeks {
			c := t.cells[wi][si]
			if !c.ok || math.IsNaN(c.delta) || peak == 0 {
				continue
			}
			if rel := math.Abs(c.delta) / peak; largest == nil || rel > largest.rel {
				largest = &move{s, t.weeks[wi].Week, c.delta, rel, t.cells[wi-1][si].rank, c.rank}
			}
		}
	}
	if len(trends) == 0 {
		return []string{"no experiment has a value for this feature in these weeks"}
	}
	out := []string{"trend: " + strings.Join(trends, "; ")}
	if largest != nil && largest.delta != 0 {
		line := fmt.Sprintf("largest move: %s %s in week %s", largest.series.label, signed32(largest.delta), largest.week)
		if largest.from > 0 && largest.to > 0 {
			line += fmt.Sprintf(" (rank %d -> %d)", largest.from, largest.to)
		}
		out = append(out, line)
	}
	return out
}

func newQueryWeekCmd(g *globals) *cobra.Command {
	var model, format, kind string
	var top int
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
			f, err := pickFormat(format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
			if err != nil {
				return err
			}
			if top < 0 {
				return usagef("--top %d: give a positive number (0 = all)", top)
			}
			week := "latest"
			if len(args) == 1 {
				week = args[0]
			}
			return queryWeek(g, model, week, kind, top, f)
		},
	}
	cmd.Flags().StringVar(&model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().StringVar(&kind, "experiment", "", "experiment kind to rank by")
	cmd.Flags().IntVar(&top, "top", 0, "show only the K most important features (0 = all)")
	cmd.Flags().StringVar(&format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
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

func queryWeek(g *globals, model, week, kind string, top int, format string) error {
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	vi, err := versionFor(store, model, week)
	if err != nil {
		return err
	}
	names, err := store.Features(model)
	if err != nil {
		return err
	}
	exps, err := store.Experiments(model, vi.Version)
	if err != nil {
		return err
	}
	cur, err := pickExperiment(exps, kind, vi.Week)
	if err != nil {
		return err
	}
	// The previous week that has a version, and its record of the same
	// method and parameters.
	var prev *tracker.Experiment
	var prevWeek string
	weeks, err := store.Weeks(model, 0)
	if err != nil {
		return err
	}
	for i, wv := range weeks {
		if wv.Week == vi.Week && i > 0 {
			prevWeek = weeks[i-1].Week
			pexps, err := store.Experiments(model, weeks[i-1].Version)
			if err != nil {
				return err
			}
			prev = newestOf(pexps, tracker.SeriesKey(cur.Kind, cur.Params))
		}
	}
	var rows []weekRow
	for i := range cur.Value {
		if cur.Rank[i] == 0 {
			continue
		}
		r := weekRow{Rank: cur.Rank[i], Index: i, Name: featureName(names, i), Value: roundTrip32(cur.Value[i]), Spread: roundTrip32(cur.Spread[i])}
		if prev != nil && i < len(prev.Rank) && prev.Rank[i] > 0 {
			p, d := prev.Rank[i], prev.Rank[i]-cur.Rank[i]
			r.PrevRank, r.RankChange = &p, &d
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b weekRow) int { return a.Rank - b.Rank })
	if top > 0 && len(rows) > top {
		rows = rows[:top]
	}
	w := g.env.Out
	switch format {
	case formatJSON:
		return writeJSON(w, rows)
	case formatCSV:
		tab := table{header: []string{"week", "experiment", "rank", "index", "name", "value", "spread", "previous_rank", "rank_change"}}
		for _, r := range rows {
			tab.add(vi.Week, cur.Kind, r.Rank, r.Index, userText(r.Name), num32(r.Value), num32(r.Spread), optInt(r.PrevRank, false), optInt(r.RankChange, false))
		}
		return tab.write(w, formatCSV)
	}
	vs := "no earlier week"
	switch {
	case prev != nil:
		vs = "rank changes since " + prevWeek
	case prevWeek != "":
		vs = "no " + cur.Kind + " record with these parameters in " + prevWeek
	}
	method := cur.Kind
	if p := describeParams(cur); p != "" {
		method += " " + p
	}
	fmt.Fprintf(w, "week %s (version %d), %s, %s\n", vi.Week, vi.Version, method, vs)
	tab := table{header: []string{"rank", "index", "name", "value", "spread", "was", "move"}}
	for _, r := range rows {
		tab.add(r.Rank, r.Index, dash(r.Name), num32(r.Value), num32(r.Spread), optInt(r.PrevRank, false), optInt(r.RankChange, true))
	}
	return tab.write(w, formatTable)
}

// optInt prints an optional integer; signed adds + to positive ones.
func optInt(v *int, signed bool) string {
	if v == nil {
		return ""
	}
	if signed && *v > 0 {
		return "+" + strconv.Itoa(*v)
	}
	return strconv.Itoa(*v)
}

// pickExperiment chooses the record to rank a week by: the newest of kind,
// or without a kind the most telling method recorded.
func pickExperiment(exps []*tracker.Experiment, kind, week string) (*tracker.Experiment, error) {
	var best *tracker.Experiment
	for _, e := range exps {
		if kind != "" && e.Kind != kind {
			continue
		}
		if best == nil {
			best = e
			continue
		}
		// Behavioural before weight-based; then the newest record.
		if kind == "" && kindOrder(e.Kind) != kindOrder(best.Kind) {
			if kindOrder(e.Kind) > kindOrder(best.Kind) {
				best = e
			}
			continue
		}
		if e.CreatedAt.After(best.CreatedAt) {
			best = e
		}
	}
	if best == nil {
		var have []string
		for _, e := range exps {
			if !slices.Contains(have, e.Kind) {
				have = append(have, e.Kind)
			}
		}
		return nil, usagef("week %s has no %s experiment; it has %s", week, kind, strings.Join(have, ", "))
	}
	return best, nil
}
