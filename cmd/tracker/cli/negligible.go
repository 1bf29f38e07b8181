package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/tracker"
)

// queryNegligibleOptions are query negligible's flags.
type queryNegligibleOptions struct {
	model, format string
	weeks         int
	kinds         []string
}

func newQueryNegligibleCmd(g *globals) *cobra.Command {
	opts := &queryNegligibleOptions{}
	cmd := &cobra.Command{
		Use:   "negligible [--weeks N] [--experiment KIND,...] [--model NAME] [--format table|csv|json]",
		Short: "Features whose effect is negligible week after week: candidates for removal",
		Long: `The features negligible in every one of the newest N weeks (default 4) under
every behavioural method recorded for those weeks that can judge them,
with the weeks and methods that support it. Negligible: indistinguishable
from no effect against the record's own standard error (one-sided, at a
false discovery rate of 5% across the week's features), with an upper
bound under a tenth of the week's largest value. Permutation and
drop-retrain can judge; perturb and gradient measure a sensitivity with no
null to test against, and weight-based methods cannot judge at all. A
method that measured only some features (drop-retrain --features) makes no
claim about the others; a record whose uncertainty is unknown (one seed or
repeat), or in which no feature is clearly there (a broken retrain),
judges nothing. A week where nothing could judge a feature counts neither
for nor against it, and is named; a feature needs at least one week that
judged it. Where drop-retrain records exist for a candidate its result is
shown; retrain without the candidates to confirm them.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runQueryNegligible(g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.IntVar(&opts.weeks, "weeks", 4, "the newest N weeks that have a version")
	f.StringSliceVar(&opts.kinds, "experiment", nil, "only these behavioural kinds judge (comma-separated; default: every one recorded)")
	f.StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	return cmd
}

// negligibleRow is one candidate in query negligible's output. Its JSON
// names are a contract, as query week's are.
type negligibleRow struct {
	Index       int                `json:"index"`
	Name        string             `json:"name"`
	Support     []negligibleWeek   `json:"support"`      // per week that judged it, the methods that found it negligible
	NotJudged   []string           `json:"not_judged"`   // the weeks where nothing could judge it, passed over
	DropRetrain *negligibleRetrain `json:"drop_retrain"` // the newest drop-retrain result for it, null when none
}

type negligibleWeek struct {
	Week    string   `json:"week"`
	Methods []string `json:"methods"`
}

type negligibleRetrain struct {
	Week       string   `json:"week"`
	Experiment string   `json:"experiment"`
	Value      float64  `json:"value"`
	SE         *float64 `json:"se"`
	Negligible *bool    `json:"negligible"`
}

// negligibleList is what query negligible found: the candidates over the
// weeks, and the records that could not judge.
type negligibleList struct {
	weeks  []string
	rows   []negligibleRow
	unable []compare.Unable
}

func runQueryNegligible(g *globals, opts *queryNegligibleOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if opts.weeks < 1 {
		return usagef("--weeks %d: give a positive number of weeks", opts.weeks)
	}
	for _, k := range opts.kinds {
		if k == experiments.KindWeightSum || k == experiments.KindGarson || k == experiments.KindOlden {
			return usagef("--experiment %s: no negligible verdict is possible from weights alone; choose behavioural methods such as permutation or drop-retrain", k)
		}
	}
	l, err := queryNegligible(g, opts)
	if err != nil {
		return err
	}
	return l.write(g.env.Out, g.env.ErrOut, format)
}

func queryNegligible(g *globals, opts *queryNegligibleOptions) (*negligibleList, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	h, err := store.History(opts.model, opts.weeks)
	if err != nil {
		return nil, err
	}
	all := h.AllSeries(experiments.OrderOf)
	if len(opts.kinds) > 0 {
		recorded := map[string]bool{}
		for _, s := range all {
			recorded[s.Kind] = true
		}
		if !slices.ContainsFunc(opts.kinds, func(k string) bool { return recorded[k] }) {
			return nil, fact.Errorf(tracker.ErrNoRecord, "no %s experiment is recorded in these weeks; recorded: %s", strings.Join(opts.kinds, " or "), strings.Join(slices.Sorted(maps.Keys(recorded)), ", "))
		}
	}
	weeks := make([][]compare.Labeled, len(h.Weeks))
	for w, exps := range h.Records {
		for _, s := range all {
			if e := tracker.SeriesRecord(exps, s.Key); e != nil {
				weeks[w] = append(weeks[w], compare.Labeled{Label: s.Label, Result: resultOf(e)})
			}
		}
	}
	cands, unable := compare.NegligibleAcross(weeks, opts.kinds)
	l := &negligibleList{unable: unable}
	for _, wv := range h.Weeks {
		l.weeks = append(l.weeks, wv.Week)
	}
	for _, c := range cands {
		r := negligibleRow{Index: c.Feature, Name: experiments.FeatureName(h.Names, c.Feature), NotJudged: []string{}}
		for w, methods := range c.Support {
			if slices.Contains(c.Passed, w) {
				r.NotJudged = append(r.NotJudged, l.weeks[w])
				continue
			}
			r.Support = append(r.Support, negligibleWeek{Week: l.weeks[w], Methods: methods})
		}
		if d := c.Retrained; d != nil {
			r.DropRetrain = &negligibleRetrain{Week: l.weeks[d.Week], Experiment: d.Label, Value: roundTrip32(d.Value), SE: jsonNum(d.SE), Negligible: negligibleOf(d.Effect)}
		}
		l.rows = append(l.rows, r)
	}
	return l, nil
}

func (l *negligibleList) write(w, errOut io.Writer, format string) error {
	switch format {
	case formatJSON:
		rows := l.rows
		if rows == nil {
			rows = []negligibleRow{}
		}
		if err := writeJSON(w, rows); err != nil {
			return err
		}
	case formatCSV:
		tab := table.Table{Header: []string{"index", "name", "weeks", "methods", "drop_retrain_week", "drop_retrain_value", "drop_retrain_se", "drop_retrain_negligible", "not_judged"}}
		for _, r := range l.rows {
			var weeks []string
			for _, s := range r.Support {
				weeks = append(weeks, s.Week)
			}
			cells := []any{r.Index, table.User(r.Name), strings.Join(weeks, ";"), strings.Join(r.methods(), ";")}
			if d := r.DropRetrain; d != nil {
				cells = append(cells, d.Week, num32(d.Value), optNum(d.SE), boolCell(d.Negligible))
			} else {
				cells = append(cells, "", "", "", "")
			}
			tab.Add(append(cells, strings.Join(r.NotJudged, ";"))...)
		}
		if err := writeTable(w, &tab, formatCSV); err != nil {
			return err
		}
	default:
		fmt.Fprintf(w, "features negligible in each of the %d weeks %s to %s under every behavioural method that can judge them\n", len(l.weeks), l.weeks[0], l.weeks[len(l.weeks)-1])
		if len(l.rows) > 0 {
			tab := table.Table{Header: []string{"index", "name", "methods", "drop-retrain"}}
			for _, r := range l.rows {
				tab.Add(r.Index, dash(r.Name), r.describeSupport(), r.describeRetrain())
			}
			if err := writeTable(w, &tab, formatTable); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(w, "none")
		}
	}
	// The notes go with the table on a terminal, and to stderr when the
	// output is data for another program.
	notes := w
	if format != formatTable {
		notes = errOut
	}
	for _, line := range l.notes() {
		fmt.Fprintln(notes, line)
	}
	return nil
}

// methods are the labels that support the row in any week, in the order
// they first appear.
func (r negligibleRow) methods() []string {
	var out []string
	for _, s := range r.Support {
		for _, m := range s.Methods {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// describeSupport is each supporting method with the weeks it supports,
// when not all of those that judged the feature.
func (r negligibleRow) describeSupport() string {
	weeks := len(r.Support)
	var parts []string
	for _, m := range r.methods() {
		n := 0
		for _, s := range r.Support {
			if slices.Contains(s.Methods, m) {
				n++
			}
		}
		if n == weeks {
			parts = append(parts, m)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%d of %d weeks)", m, n, weeks))
	}
	return strings.Join(parts, ", ")
}

func (r negligibleRow) describeRetrain() string {
	d := r.DropRetrain
	if d == nil {
		return "not run"
	}
	out := fmt.Sprintf("%s in %s", num32(d.Value), d.Week)
	if d.SE != nil {
		out = fmt.Sprintf("%s ± %.2g in %s", num32(d.Value), *d.SE, d.Week)
	}
	switch {
	case d.SE == nil:
		return out + ", uncertainty unknown"
	case d.Negligible == nil:
		return out + ", cannot be judged"
	case *d.Negligible:
		return out + ", negligible"
	}
	return out + ", clearly there"
}

// notes say which records could not judge, and how to confirm the
// candidates.
func (l *negligibleList) notes() []string {
	type key struct{ label, why string }
	in := map[key][]string{}
	var order []key
	for _, u := range l.unable {
		k := key{u.Label, u.Why}
		if in[k] == nil {
			order = append(order, k)
		}
		in[k] = append(in[k], l.weeks[u.Week])
	}
	var out []string
	for _, k := range order {
		out = append(out, fmt.Sprintf("not judged: %s in %d of %d weeks (%s): %s", k.label, len(in[k]), len(l.weeks), strings.Join(in[k], ", "), k.why))
	}
	var passed []string
	for _, r := range l.rows {
		for _, w := range r.NotJudged {
			if !slices.Contains(passed, w) {
				passed = append(passed, w)
			}
		}
	}
	if len(passed) > 0 {
		slices.Sort(passed)
		out = append(out, "passed over: "+strings.Join(passed, ", ")+", where nothing could judge a feature, counts neither for nor against it")
	}
	var unconfirmed []string
	for _, r := range l.rows {
		if r.DropRetrain == nil || r.DropRetrain.Negligible == nil {
			unconfirmed = append(unconfirmed, strconv.Itoa(r.Index))
		}
	}
	if len(unconfirmed) > 0 {
		out = append(out, "confirm by retraining without them: tracker run drop-retrain --features "+strings.Join(unconfirmed, ",")+" --data FILE --label COL")
	}
	return out
}
