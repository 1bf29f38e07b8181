package cli

import (
	"fmt"
	"io"
	"maps"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/plotting"
	"github.com/tracker-ml/tracker/tracker"
)

func newQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Ask how features' importance moved across weeks",
	}
	cmd.AddCommand(newQueryFeatureCmd(g), newQueryWeekCmd(g), newQueryNegligibleCmd(g), newQueryModelCmd(g), newQueryChecksCmd(g))
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
features (1 = most important) and the change from the previous week,
marked * when significant: beyond both the measurement's standard error
and the week-to-week noise the experiment's series has shown in the weeks
before, at a false discovery rate of 5% across the week's features. A
week with no record for an experiment has an empty cell. A summary line
follows the table. --plot also writes the chart.`,
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

// featureView is a feature's table with its name and, per week and
// series, compare's verdicts, as query and plot show them.
type featureView struct {
	*tracker.FeatureTable
	name     string
	verdicts [][]cellVerdict // [week][series]
}

// cellVerdict is what compare says of one cell: its change from the week
// before and its effect.
type cellVerdict struct {
	change    compare.Change
	modelWide bool // the week changed the series' whole model
	effect    experiments.Effect
	// modelEffect and dataEffect split the change where cross-records
	// exist (crossFeature); NaN where not.
	modelEffect, dataEffect float64
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
	h, from, err := store.HistoryBack(model, n, compare.Lookback)
	if err != nil {
		return nil, err
	}
	v := &featureView{FeatureTable: t, name: experiments.FeatureName(names, feature)}
	v.judge(h, from)
	return v, nil
}

// judge fills in the verdicts of every cell from h, whose weeks from from
// on are the table's and whose weeks before are their past.
func (t *featureView) judge(h *tracker.History, from int) {
	t.verdicts = make([][]cellVerdict, len(t.Weeks))
	for wi := range t.verdicts {
		t.verdicts[wi] = make([]cellVerdict, len(t.Series))
		for si := range t.verdicts[wi] {
			t.verdicts[wi][si].change = compare.Change{Delta: math.NaN(), SE: math.NaN(), P: math.NaN(), Noise: compare.Noise{Scale: math.NaN(), DF: math.NaN()}}
			t.verdicts[wi][si].modelEffect, t.verdicts[wi][si].dataEffect = math.NaN(), math.NaN()
		}
	}
	// Each series is judged on its own, so they are judged side by side:
	// judging, not reading, is most of the time of a long query.
	var wg sync.WaitGroup
	for si, s := range t.Series {
		wg.Go(func() { t.judgeSeries(h, from, si, s) })
	}
	wg.Wait()
}

// judgeSeries fills in series si's verdicts.
func (t *featureView) judgeSeries(h *tracker.History, from, si int, s *tracker.Series) {
	series := resultsOf(h.Follow(s.Key, s.Label).Records)
	season := compare.JudgeWeeks(series, from)
	for wi, wv := range t.Weeks {
		hw := from + wi
		if hw >= len(h.Weeks) || h.Weeks[hw] != wv || !t.Cells[wi][si].OK {
			continue // a week ingested between the two reads: no verdict
		}
		cv := &t.verdicts[wi][si]
		// A change the table shows is judged: not the first week's, whose
		// week before is past only.
		if cs := season[hw]; t.Feature < len(cs) && !math.IsNaN(t.Cells[wi][si].Delta) {
			cv.change, cv.modelWide = cs[t.Feature], cs.ModelWide()
		}
		if e := compare.JudgeEffects(series[hw]); t.Feature < len(e.Effect) {
			cv.effect = e.Effect[t.Feature]
		}
		if hw > 0 {
			cv.modelEffect, cv.dataEffect = crossFeature(h.Records[hw-1], h.Records[hw], s, t.Feature)
		}
	}
}

// crossFeature splits feature f's change in series s (a series on each
// week's own rows) from week A to week B, whose records are a and b, as
// crossEffects does for quality: the model effect is s on B's model and
// A's rows (data role previous, recorded against B) less s on A's; the
// data effect is s on A's model and B's rows (data role next, recorded
// against A) less s on A's. Each is NaN unless its record exists on the
// very rows of the weeks' own records.
func crossFeature(a, b []*tracker.Experiment, s *tracker.Series, f int) (modelEffect, dataEffect float64) {
	modelEffect, dataEffect = math.NaN(), math.NaN()
	if tracker.RoleOf(&tracker.Experiment{Params: s.Params}) != tracker.DefaultRole {
		return
	}
	role := func(r string) string {
		p := maps.Clone(s.Params)
		if p == nil {
			p = map[string]string{}
		}
		p[tracker.RoleParam] = r
		return tracker.SeriesKey(s.Kind, p)
	}
	aOwn, bOwn := tracker.SeriesRecord(a, s.Key), tracker.SeriesRecord(b, s.Key)
	if aOwn == nil || f >= len(aOwn.Value) {
		return
	}
	if x := tracker.SeriesRecord(b, role(runs.RolePrevious)); x != nil && x.DataSHA256 == aOwn.DataSHA256 && f < len(x.Value) {
		modelEffect = x.Value[f] - aOwn.Value[f]
	}
	if x := tracker.SeriesRecord(a, role(runs.RoleNext)); x != nil && bOwn != nil && x.DataSHA256 == bOwn.DataSHA256 && f < len(x.Value) {
		dataEffect = x.Value[f] - aOwn.Value[f]
	}
	return modelEffect, dataEffect
}

func (t *featureView) write(w io.Writer, format string) error {
	switch format {
	case formatJSON:
		return writeJSON(w, t.jsonRows())
	case formatCSV:
		tab := table.Table{Header: []string{"week", "version"}}
		for _, s := range t.Series {
			tab.Header = append(tab.Header, s.Label+" value", s.Label+" rank", s.Label+" change", s.Label+" significant")
		}
		t.fill(&tab, formatCSV)
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
	t.fill(&tab, formatTable)
	if err := writeTable(w, &tab, formatTable); err != nil {
		return err
	}
	for _, line := range t.legend() {
		fmt.Fprintln(w, line)
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
	// Significant: the change stands out against both the standard error
	// and the learned noise; false when not (or not judged: Noise null).
	Significant bool     `json:"significant"`
	Noise       *float64 `json:"noise"`      // the learned week-to-week noise of a change; null while not learned
	Negligible  *bool    `json:"negligible"` // null: cannot be judged
	// ModelEffect and DataEffect split the change where the week's
	// cross-records exist (docs/METHODS.md, "Model change or data change").
	ModelEffect *float64 `json:"model_effect,omitempty"`
	DataEffect  *float64 `json:"data_effect,omitempty"`
}

func (t *featureView) jsonRows() []featureJSON {
	rows := make([]featureJSON, len(t.Weeks))
	for wi, wv := range t.Weeks {
		rows[wi] = featureJSON{Week: wv.Week, Version: wv.Version, Experiments: map[string]*featureCell{}}
		for si, s := range t.Series {
			c, v := t.Cells[wi][si], t.verdicts[wi][si]
			if !c.OK {
				rows[wi].Experiments[s.Label] = nil
				continue
			}
			e := &featureCell{Value: roundTrip32(c.Value), Significant: v.change.Significant, Noise: jsonNum(v.change.Noise.Scale), Negligible: negligibleOf(v.effect),
				ModelEffect: jsonNum(v.modelEffect), DataEffect: jsonNum(v.dataEffect)}
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

// jsonNum is v for JSON, nil (null) for NaN, at float32 precision.
func jsonNum(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	r := roundTrip32(v)
	return &r
}

// negligibleOf is a verdict as JSON says it: true negligible, false
// clearly there, nil (null) cannot be judged.
func negligibleOf(e experiments.Effect) *bool {
	if e == experiments.EffectUnknown {
		return nil
	}
	b := e == experiments.EffectNone
	return &b
}

// significantCell is a change's verdict in a CSV cell: true or false, or
// empty when it was not judged.
func significantCell(c compare.Change) string {
	if !c.Judged() {
		return ""
	}
	return strconv.FormatBool(c.Significant)
}

func (t *featureView) fill(tab *table.Table, format string) {
	for wi, wv := range t.Weeks {
		cells := []any{wv.Week, wv.Version}
		for si := range t.Series {
			c, v := t.Cells[wi][si], t.verdicts[wi][si]
			if !c.OK {
				cells = append(cells, "", "", "")
				if format == formatCSV {
					cells = append(cells, "")
				}
				continue
			}
			rank := ""
			if c.Rank > 0 {
				rank = strconv.Itoa(c.Rank)
			}
			change := signed32(c.Delta)
			if format == formatCSV {
				cells = append(cells, num32(c.Value), rank, change, significantCell(v.change))
				continue
			}
			if v.change.Significant {
				change += "*"
			}
			cells = append(cells, num32(c.Value), rank, change)
		}
		tab.Add(cells...)
	}
}

// legend explains the marks, and says which series' changes were not
// judged because their noise was not learned yet.
func (t *featureView) legend() []string {
	out := []string{fmt.Sprintf("* significant: beyond both the standard error and the week-to-week noise learned from the weeks before, false discovery rate %g%%", 100*compare.Q)}
	for si, s := range t.Series {
		var weeks []string
		for wi, wv := range t.Weeks {
			if c := t.verdicts[wi][si].change; !math.IsNaN(c.Delta) && !c.Judged() {
				weeks = append(weeks, wv.Week)
			}
		}
		switch len(weeks) {
		case 0:
		case 1:
			out = append(out, fmt.Sprintf("%s: noise not learned yet in week %s: its change is not judged", s.Label, weeks[0]))
		default:
			out = append(out, fmt.Sprintf("%s: noise not learned yet in %d weeks, %s to %s: their changes are not judged", s.Label, len(weeks), weeks[0], weeks[len(weeks)-1]))
		}
		for wi, wv := range t.Weeks {
			v := t.verdicts[wi][si]
			if math.IsNaN(v.modelEffect) && math.IsNaN(v.dataEffect) {
				continue
			}
			out = append(out, fmt.Sprintf("%s, week %s: change %s; %s", s.Label, wv.Week, signed32(t.Cells[wi][si].Delta), effectSplit(v.modelEffect, v.dataEffect)))
		}
	}
	return out
}

// summary says in a line or two where each experiment went and which
// significant move stood out most against its own noise (so methods on
// different scales compare, and no single noisy method speaks for all).
func (t *featureView) summary() []string {
	tracks := make([]compare.Track, len(t.Series))
	for si, s := range t.Series {
		tracks[si] = compare.Track{Label: s.Label, Points: make([]compare.Point, len(t.Weeks))}
		for wi := range t.Weeks {
			c, v := t.Cells[wi][si], t.verdicts[wi][si]
			tracks[si].Points[wi] = compare.Point{OK: c.OK, Value: c.Value, Delta: c.Delta, Rank: c.Rank,
				Significant: v.change.Significant, Score: v.change.Score(), ModelWide: v.modelWide}
		}
	}
	weeks := make([]string, len(t.Weeks))
	for i, w := range t.Weeks {
		weeks[i] = w.Week
	}
	sum := compare.Summarize(weeks, tracks)
	if len(sum.Trends) == 0 {
		return []string{"no experiment has a value for this feature in these weeks"}
	}
	parts := make([]string, len(sum.Trends))
	for i, tr := range sum.Trends {
		parts[i] = fmt.Sprintf("%s %s -> %s", tr.Label, num32(tr.First.Value), num32(tr.Last.Value))
		if tr.First.Rank > 0 && tr.Last.Rank > 0 {
			parts[i] += fmt.Sprintf(" (rank %d -> %d)", tr.First.Rank, tr.Last.Rank)
		}
	}
	out := []string{"trend: " + strings.Join(parts, "; ")}
	switch {
	case sum.Largest != nil:
		out = append(out, "largest significant move: "+describeMove(*sum.Largest))
	case sum.Judged > 0:
		out = append(out, fmt.Sprintf("no significant move: none of the %d changes judged stands out against the noise", sum.Judged))
	default:
		out = append(out, "no change judged: the week-to-week noise is not learned yet")
	}
	for _, m := range sum.Wide {
		out = append(out, fmt.Sprintf("week %s changed the whole %s model (most features moved at once), not this feature alone: %s %s", m.Week, m.Label, m.Label, signed32(m.Delta)))
	}
	return out
}

// describeMove is a move in a summary line.
func describeMove(m compare.Move) string {
	line := fmt.Sprintf("%s %s in week %s", m.Label, signed32(m.Delta), m.Week)
	if m.From > 0 && m.To > 0 {
		line += fmt.Sprintf(" (rank %d -> %d)", m.From, m.To)
	}
	return line + fmt.Sprintf(", %.3g times its week-to-week noise", m.Score)
}

// queryWeekOptions are query week's flags and argument.
type queryWeekOptions struct {
	model, format, kind, week, role string
	top                             int
}

func newQueryWeekCmd(g *globals) *cobra.Command {
	opts := &queryWeekOptions{}
	cmd := &cobra.Command{
		Use:   "week [WEEK] [--experiment KIND] [--top K] [--format table|csv|json]",
		Short: "Every feature of one week ranked, with its changes and verdicts",
		Long: `All features of one week (default the newest) ranked by one experiment, with
their names, values, standard errors, how their rank moved since the
previous week that has a version (positive: moved up), the change in
value, whether that change is significant (beyond both the standard error
and the week-to-week noise learned from the weeks before, at a false
discovery rate of 5% across the week's features), and whether the
feature's effect is negligible (empty where it cannot be judged: always
for the weight-based methods, and for perturb and gradient, whose
sensitivities have no null to test against). Without --experiment the
most telling method recorded is used: drop-retrain, permutation, perturb,
gradient, then the weight-based ones.`,
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
	cmd.Flags().StringVar(&opts.role, "data-role", tracker.DefaultRole, "rank the records of this data role (week: the week's own data)")
	cmd.Flags().IntVar(&opts.top, "top", 0, "show only the K most important features (0 = all)")
	cmd.Flags().StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	return cmd
}

// weekRow is one feature in query week's output. Its JSON names are a
// contract (scripts and the proof tests read them): null where unknown.
type weekRow struct {
	Rank       int      `json:"rank"`
	Index      int      `json:"index"`
	Name       string   `json:"name"`
	Value      float64  `json:"value"`
	Spread     float64  `json:"spread"`
	SE         *float64 `json:"se"`          // the value's standard error
	Was        *int     `json:"was"`         // the rank the week before
	RankChange *int     `json:"rank_change"` // was minus rank: positive moved up
	Change     *float64 `json:"change"`      // value minus the week before's
	Noise      *float64 `json:"noise"`       // the learned week-to-week noise of a change; null while not learned
	// Significant: the change stands out against both the standard error
	// and the learned noise after FDR control; false when not judged.
	Significant bool  `json:"significant"`
	Negligible  *bool `json:"negligible"` // true negligible, false clearly there, null cannot be judged
	judged      bool  // the change was tested
}

// weekVerdicts is what compare says of the week: each feature's change
// and effect.
type weekVerdicts struct {
	changes compare.Changes
	effects compare.Effects
}

func runQueryWeek(g *globals, opts *queryWeekOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if opts.top < 0 {
		return usagef("--top %d: give a positive number (0 = all)", opts.top)
	}
	v, verdicts, err := queryWeek(g, opts)
	if err != nil {
		return err
	}
	se := experiments.StandardErrors(resultOf(v.Record))
	var rows []weekRow
	for _, r := range v.Rows() {
		c := verdicts.changes[r.Index]
		rows = append(rows, weekRow{Rank: r.Rank, Index: r.Index, Name: experiments.FeatureName(v.Names, r.Index),
			Value: roundTrip32(r.Value), Spread: roundTrip32(r.Spread), SE: jsonNum(se[r.Index]), Was: r.PrevRank, RankChange: r.RankChange,
			Change: jsonNum(c.Delta), Noise: jsonNum(c.Noise.Scale), Significant: c.Significant, judged: c.Judged(),
			Negligible: negligibleOf(verdicts.effects.Effect[r.Index])})
	}
	if opts.top > 0 && len(rows) > opts.top {
		rows = rows[:opts.top]
	}
	return writeWeek(g.env.Out, format, v, verdicts, rows)
}

// queryWeek reads the week's view and judges it against the series' past.
func queryWeek(g *globals, opts *queryWeekOptions) (*tracker.WeekView, weekVerdicts, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, weekVerdicts{}, err
	}
	defer store.Close()
	v, err := store.WeekView(opts.model, opts.week, opts.kind, opts.role, experiments.MoreTelling)
	if err != nil {
		return nil, weekVerdicts{}, err
	}
	past, err := store.SeriesUpTo(opts.model, v.Version.Week, tracker.SeriesKey(v.Record.Kind, v.Record.Params), v.Record.Kind, compare.Lookback)
	if err != nil {
		return nil, weekVerdicts{}, err
	}
	series := resultsOf(past.Records)
	// The week's own record, as the view picked it, speaks for the week.
	series[len(series)-1] = resultOf(v.Record)
	return v, weekVerdicts{changes: compare.JudgeChanges(series, len(series)-1), effects: compare.JudgeEffects(series[len(series)-1])}, nil
}

func writeWeek(w io.Writer, format string, v *tracker.WeekView, verdicts weekVerdicts, rows []weekRow) error {
	cur := v.Record
	switch format {
	case formatJSON:
		return writeJSON(w, rows)
	case formatCSV:
		tab := table.Table{Header: []string{"week", "experiment", "rank", "index", "name", "value", "spread", "se", "previous_rank", "rank_change", "change", "significant", "negligible"}}
		for _, r := range rows {
			tab.Add(v.Version.Week, cur.Kind, r.Rank, r.Index, table.User(r.Name), num32(r.Value), num32(r.Spread), optNum(r.SE), optInt(r.Was, false), optInt(r.RankChange, false),
				signedOpt(r.Change), r.significantCell(), boolCell(r.Negligible))
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
	tab := table.Table{Header: []string{"rank", "index", "name", "value", "spread", "se", "was", "move", "change", "significant", "negligible"}}
	for _, r := range rows {
		sig := ""
		if r.judged {
			sig = yesNo(r.Significant)
		}
		neg := ""
		if r.Negligible != nil {
			neg = yesNo(*r.Negligible)
		}
		tab.Add(r.Rank, r.Index, dash(r.Name), num32(r.Value), num32(r.Spread), optNum(r.SE), optInt(r.Was, false), optInt(r.RankChange, true), signedOpt(r.Change), sig, neg)
	}
	if err := writeTable(w, &tab, formatTable); err != nil {
		return err
	}
	for _, line := range weekNotes(v, verdicts) {
		fmt.Fprintln(w, line)
	}
	return nil
}

// weekNotes say how the week's verdicts were reached, and why any could
// not be.
func weekNotes(v *tracker.WeekView, verdicts weekVerdicts) []string {
	cs := verdicts.changes
	var out []string
	switch why := cs.Unjudged(); {
	case v.Prev == nil:
	case why != "":
		out = append(out, "significant: not judged, "+why)
	default:
		out = append(out, fmt.Sprintf("significant: %d of %d changes, beyond both the standard error and the week-to-week noise learned from the weeks before, false discovery rate %g%%", cs.Significant(), cs.Judged(), 100*compare.Q))
		if cs.ModelWide() {
			out = append(out, "most features changed at once: the whole model changed since "+v.PrevWeek+" (a broken or very different retrain), which says nothing about single features")
		}
	}
	switch why := verdicts.effects.Why; {
	case why != "" && verdicts.effects.Any():
		out = append(out, "negligible: judged only where the value is zero (the output never moved): "+why)
	case why != "":
		out = append(out, "negligible: not judged, "+why)
	default:
		bound := fmt.Sprintf("%g%% of the largest value", 100*compare.NegligibleShare)
		if verdicts.effects.Partial {
			bound = fmt.Sprintf("%g, in the metric's units, as the record measured only some features", verdicts.effects.Bound)
		}
		out = append(out, fmt.Sprintf("negligible: indistinguishable from no effect (one-sided, false discovery rate %g%%) with an upper bound under %s; empty where it cannot be judged", 100*compare.Q, bound))
	}
	return out
}

func (r weekRow) significantCell() string {
	if !r.judged {
		return ""
	}
	return strconv.FormatBool(r.Significant)
}

// boolCell is an optional verdict in a CSV cell: true, false or empty.
func boolCell(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// optNum prints an optional number, empty when nil.
func optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return num32(*v)
}

// signedOpt prints an optional change with its sign, empty when nil.
func signedOpt(v *float64) string {
	if v == nil {
		return ""
	}
	return signed32(*v)
}
