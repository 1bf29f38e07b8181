package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/profile"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/internal/weekpath"
	"github.com/tracker-ml/tracker/tracker"
)

// ingestDataOptions are ingest-data's flags.
type ingestDataOptions struct {
	model, week, format string
	data                dataOptions
	record              recordFlags
}

func newIngestDataCmd(g *globals) *cobra.Command {
	opts := &ingestDataOptions{}
	cmd := &cobra.Command{
		Use:   "ingest-data FILE.csv [--week W] [--model NAME] [--label COL] [--drop COL,...] [--data-role R]",
		Short: "Store a compact profile of a week's data, for drift",
		Long: `Read a week's data file once, streaming, and store a profile of it against the
week: per feature its count, missing cells, mean, standard deviation, min,
max, quantiles and a histogram on the series' bins (fixed by its first
profile), and the label's class counts; never the rows. The week comes from
--week or a date in the file's name or folder (Data/20190114_train.csv). The
role defaults to train: the rows the week's model was trained on. The
columns must be the series' features, matched by name in any order.
Profiling the same file again stores nothing; another file for the same
week and role is refused unless --replace. tracker drift compares weeks.`,
		Args: exactArgs(1, "one data file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.data.path = args[0]
			return runIngestData(g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.StringVar(&opts.week, "week", "", "the week the data belongs to, YYYY-MM-DD (default: the date in its path)")
	f.StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	f.StringVar(&opts.data.label, "label", "", "label column, by name or 0-based index: its classes are counted, not profiled as a feature")
	f.StringSliceVar(&opts.data.drop, "drop", nil, "columns to ignore, such as ids, by name or 0-based index (comma-separated)")
	f.StringSliceVar(&opts.data.classes, "classes", nil, "label values in class order, class 0 first (default: numbers as they are, words sorted)")
	opts.record.register(cmd, false)
	f.StringVar(&opts.record.role, "data-role", runs.RoleTrain, "what the data is to the week: train (the rows its model was trained on) or a name such as holdout")
	return cmd
}

func runIngestData(g *globals, opts *ingestDataOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if err := opts.record.validate(); err != nil {
		return err
	}
	week := opts.week
	if week == "" {
		var ok bool
		if week, ok = weekpath.OfData(opts.data.path); !ok {
			return usagef("cannot tell the week of %s: no YYYYMMDD or YYYY-MM-DD date in its name or folder; pass --week YYYY-MM-DD", opts.data.path)
		}
	} else if w, err := tracker.ParseWeek(week); err != nil {
		return usagef("--week %s: %v", week, err)
	} else {
		week = w
		if named, ok := weekpath.OfData(opts.data.path); ok && named != week {
			fmt.Fprintf(g.env.ErrOut, "note: %s is named for week %s, and is stored as week %s (--week)\n", opts.data.path, named, week)
		}
	}
	out, err := runs.IngestProfile(runEnv(g), runs.ProfileSpec{
		Model: opts.model, Week: week, Path: opts.data.path, Role: opts.record.role, Replace: opts.record.replace,
		Options: dataset.Options{Label: opts.data.label, Drop: opts.data.drop, Classes: opts.data.classes},
	})
	if err != nil {
		return runsError(err)
	}
	p := out.Profile
	if store, err := g.open(true); err == nil {
		if _, err := store.VersionAt(opts.model, week); errors.Is(err, tracker.ErrNotFound) {
			fmt.Fprintf(g.env.ErrOut, "note: model %s has no version for week %s yet; drift compares the week's data all the same\n", opts.model, week)
		}
		store.Close()
	}
	if out.Stored {
		fmt.Fprintf(g.env.ErrOut, "week %s: this file's profile (data role %s) is stored already; nothing stored\n", week, opts.record.role)
	}
	if format == formatJSON {
		return writeJSON(g.env.Out, out.Record)
	}
	t := table.Table{Header: []string{"index", "name", "count", "missing", "mean", "sd", "min", "max"}}
	for i, c := range p.Columns {
		t.Add(i, table.User(c.Name), c.Count, c.Missing, roundTrip32(c.Mean), roundTrip32(c.SD), roundTrip32(c.Min), roundTrip32(c.Max))
	}
	if format == formatTable {
		fmt.Fprintf(g.env.Out, "week %s, data role %s: %d rows x %d features of %s (data %.12s)\n", week, opts.record.role, p.Rows, len(p.Columns), opts.data.path, p.SHA256)
		if l := p.Label; l != nil {
			fmt.Fprintf(g.env.Out, "label: %s\n", labelLine(l))
		}
	}
	return writeTable(g.env.Out, &t, format)
}

// labelLine says a label profile's classes and counts.
func labelLine(l *profile.Label) string {
	s := ""
	for i, c := range l.Classes {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", c, l.Counts[i])
	}
	if l.BaseRate != nil {
		s += fmt.Sprintf(" (base rate %.4g)", *l.BaseRate)
	}
	if l.Missing > 0 {
		s += fmt.Sprintf(", %d missing", l.Missing)
	}
	return s
}

// driftOptions are drift's flags.
type driftOptions struct {
	model, week, against, role, format string
	top                                int
}

func newDriftCmd(g *globals) *cobra.Command {
	opts := &driftOptions{}
	cmd := &cobra.Command{
		Use:   "drift [--week W] [--against WEEK|previous] [--data-role R] [--format table|csv|json]",
		Short: "How each feature's data moved between two weeks' profiles",
		Long: `Compare week W's data profile (default the newest) with another week's (default
the one before it with a profile of the role): per feature PSI on the series'
bins, the two-sample KS statistic and its p-value, the Wasserstein distance
in reference standard deviations, the change in mean (in reference standard
deviations) and the ratio of standard deviations, and the change in the
share of missing cells; and the label's base rate. A feature drifted when
its KS test survives Benjamini-Hochberg at 5% across the features and the
shift is material (KS at least 0.1, or PSI above 0.2): docs/METHODS.md,
"Data profiles and drift". Drifted features come first. The role defaults
to train where the series has train profiles (ingest-data), else week (the
rows runs read).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDrift(g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.StringVar(&opts.week, "week", "", "the week to judge, YYYY-MM-DD (default: the newest with a profile)")
	f.StringVar(&opts.against, "against", "previous", "the reference week, YYYY-MM-DD, or previous: the one before --week with a profile")
	f.StringVar(&opts.role, "data-role", "", "the data role compared (default: train when the series has train profiles, else week)")
	f.StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	f.IntVar(&opts.top, "top", 0, "show only the first N features, drifted first (0 = all)")
	return cmd
}

// driftView is a drift between two weeks' profiles, as drift prints it.
type driftView struct {
	model, role, week, against string
	ref, cur                   *tracker.DataProfile
	drift                      *profile.Drift
	names                      []string // the series' feature names
	top                        int      // features shown, 0 for all
}

func runDrift(g *globals, opts *driftOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	if opts.top < 0 {
		return usagef("--top %d: give a positive number (0 = all)", opts.top)
	}
	v, err := weekDrift(g, opts.model, opts.week, opts.against, opts.role)
	if err != nil {
		return err
	}
	v.top = opts.top
	switch format {
	case formatJSON:
		return writeJSON(g.env.Out, v.rows())
	case formatCSV:
		return writeTable(g.env.Out, v.table(false), formatCSV)
	}
	return v.writeText(g.env.Out)
}

// weekDrift compares week's profile in role with against's ("previous":
// the newest earlier week with a profile of the role).
func weekDrift(g *globals, model, week, against, role string) (*driftView, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	names, err := store.Features(model)
	if err != nil {
		return nil, err
	}
	defaultRole := role == ""
	if defaultRole {
		role = runs.RoleTrain
	}
	weeks, err := store.ProfiledWeeks(model, role)
	if err == nil && defaultRole && len(weeks) == 0 {
		role = runs.DefaultRole // no train profiles: the rows runs read
		weeks, err = store.ProfiledWeeks(model, role)
	}
	if err != nil {
		return nil, err
	}
	if len(weeks) == 0 {
		return nil, fact.Errorf(errNoDrift, "model %s has no data profile of role %s: store one with tracker ingest-data FILE.csv, or run a method, which profiles its data", model, role)
	}
	if week, err = weekArg("--week", week); err != nil {
		return nil, err
	}
	if week == "" {
		week = weeks[len(weeks)-1]
	}
	i := slices.Index(weeks, week)
	if i < 0 {
		return nil, fact.Errorf(errNoDrift, "week %s has no data profile of role %s; the weeks with one are %s", week, role, weekRange(weeks))
	}
	if against == "" || against == "previous" {
		if i == 0 {
			return nil, fact.Errorf(errNoDrift, "week %s is the first with a data profile of role %s: there is no earlier week to compare with", week, role)
		}
		against = weeks[i-1]
	} else {
		if against, err = weekArg("--against", against); err != nil {
			return nil, err
		}
		if !slices.Contains(weeks, against) {
			return nil, fact.Errorf(errNoDrift, "week %s has no data profile of role %s to compare with; the weeks with one are %s", against, role, weekRange(weeks))
		}
	}
	v := &driftView{model: model, role: role, week: week, against: against, names: names}
	if v.ref, err = speakingProfile(store, model, against, role); err != nil {
		return nil, err
	}
	if v.cur, err = speakingProfile(store, model, week, role); err != nil {
		return nil, err
	}
	ref, err := decodeProfile(v.ref)
	if err != nil {
		return nil, err
	}
	cur, err := decodeProfile(v.cur)
	if err != nil {
		return nil, err
	}
	if v.drift, err = profile.Compare(ref, cur); err != nil {
		return nil, fmt.Errorf("week %s against %s: %w", week, against, err)
	}
	return v, nil
}

// speakingProfile reads the profile that speaks for week in role, which
// ProfiledWeeks said exists.
func speakingProfile(store *tracker.Store, model, week, role string) (*tracker.DataProfile, error) {
	ps, err := store.WeekProfiles(model, week)
	if err != nil {
		return nil, err
	}
	if p := tracker.SpeakingProfile(ps, week, role); p != nil {
		return p, nil
	}
	return nil, fact.Errorf(errNoDrift, "week %s has no data profile of role %s", week, role)
}

// errNoDrift: the store has no two profiles to compare as asked.
var errNoDrift = errors.New("no profiles to compare")

// weekArg is a week flag's value as the store writes weeks (YYYY-MM-DD;
// YYYYMMDD is accepted), "" for the default ("" or latest).
func weekArg(flag, week string) (string, error) {
	if week == "" || week == "latest" {
		return "", nil
	}
	w, err := tracker.ParseWeek(week)
	if err != nil {
		return "", usagef("%s %s: %v", flag, week, err)
	}
	return w, nil
}

// weekRange names the first and last of weeks.
func weekRange(weeks []string) string {
	if len(weeks) == 1 {
		return weeks[0]
	}
	return fmt.Sprintf("%d weeks from %s to %s", len(weeks), weeks[0], weeks[len(weeks)-1])
}

func decodeProfile(r *tracker.DataProfile) (*profile.Profile, error) {
	p := new(profile.Profile)
	if err := json.Unmarshal(r.Profile, p); err != nil {
		return nil, fmt.Errorf("the data profile of week %s (role %s) is damaged: %v", r.Week, r.Role, err)
	}
	return p, nil
}

// order is the features, drifted first, then by KS statistic, largest
// first.
func (v *driftView) order() []int {
	idx := make([]int, len(v.drift.Features))
	for i := range idx {
		idx[i] = i
	}
	fs := v.drift.Features
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case fs[a].Drifted != fs[b].Drifted:
			if fs[a].Drifted {
				return -1
			}
			return 1
		case fs[a].KS > fs[b].KS:
			return -1
		case fs[a].KS < fs[b].KS:
			return 1
		}
		return 0
	})
	return idx
}

// index is a drift row's feature index in the series: its position in
// the series' names, else in the current profile.
func (v *driftView) index(f *profile.FeatureDrift) *int {
	if i := slices.Index(v.names, f.Name); v.names != nil && i >= 0 {
		return &i
	}
	if f.Current >= 0 {
		i := f.Current
		return &i
	}
	return nil
}

// driftRow is one feature of drift's JSON: the contract's fields and the
// rest of the statistics, numbers rounded to float32's digits.
type driftRow struct {
	Index        *int     `json:"index"`
	Name         string   `json:"name"`
	Judged       bool     `json:"judged"`
	Reason       string   `json:"reason,omitempty"`
	PSI          *float64 `json:"psi"`
	KS           *float64 `json:"ks"`
	KSP          *float64 `json:"ks_p"`
	KSEffectiveN float64  `json:"ks_effective_n"`
	Wasserstein  *float64 `json:"wasserstein"`
	MeanChange   *float64 `json:"mean_change"`
	SDRatio      *float64 `json:"sd_ratio"`
	Missing      *float64 `json:"missing_rate_change"`
	Drifted      bool     `json:"drifted"`
	Label        bool     `json:"label,omitempty"`
	BaseRate     *float64 `json:"base_rate,omitempty"`
	BaseRateWas  *float64 `json:"base_rate_was,omitempty"`
}

func optPtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	return opt32(*p)
}

// rows are the features in order and, when both weeks have one, the
// label as a last row (index null, label true).
func (v *driftView) rows() []driftRow {
	var out []driftRow
	order := v.order()
	if v.top > 0 && v.top < len(order) {
		order = order[:v.top]
	}
	for _, i := range order {
		f := &v.drift.Features[i]
		r := driftRow{Index: v.index(f), Name: f.Name, Judged: f.Judged, Reason: f.Reason, Drifted: f.Drifted}
		if f.Judged {
			r.PSI, r.KS, r.KSP, r.KSEffectiveN = opt32(f.PSI), opt32(f.KS), opt32(f.KSP), roundTrip32(f.KSEffectiveN)
			r.Wasserstein, r.MeanChange, r.SDRatio, r.Missing = optPtr(f.WassersteinSD), optPtr(f.MeanChangeSD), optPtr(f.SDRatio), opt32(f.MissingRateChange)
		}
		out = append(out, r)
	}
	if l := v.drift.Label; l != nil {
		r := driftRow{Name: "(label)", Label: true, Judged: l.Judged, Reason: l.Reason, Drifted: l.Drifted}
		if l.Judged {
			r.BaseRate, r.BaseRateWas, r.KSP = opt32(l.Current), opt32(l.Reference), opt32(l.P)
		}
		out = append(out, r)
	}
	return out
}

// table lays the rows out; as text the numbers are short.
func (v *driftView) table(text bool) *table.Table {
	t := &table.Table{Header: []string{"index", "name", "drifted", "psi", "ks", "ks_p", "wasserstein_sd", "mean_change_sd", "sd_ratio", "missing_change"}}
	short := func(p *float64) any {
		if p == nil {
			return ""
		}
		if text {
			return fmt.Sprintf("%.3g", *p)
		}
		return *p
	}
	for _, r := range v.rows() {
		if r.Label {
			continue
		}
		idx := any("")
		if r.Index != nil {
			idx = *r.Index
		}
		drifted := "no"
		switch {
		case r.Drifted:
			drifted = "DRIFTED"
		case !r.Judged:
			drifted = "not judged"
		}
		t.Add(idx, table.User(r.Name), drifted, short(r.PSI), short(r.KS), short(r.KSP), short(r.Wasserstein), short(r.MeanChange), short(r.SDRatio), short(r.Missing))
	}
	return t
}

func (v *driftView) writeText(w io.Writer) error {
	d := v.drift
	fmt.Fprintf(w, "data drift, model %s, data role %s: week %s (%d rows) against %s (%d rows)\n", v.model, v.role, v.week, v.cur.DataRows, v.against, v.ref.DataRows)
	shown := ""
	if v.top > 0 && v.top < len(d.Features) {
		shown = fmt.Sprintf("; the first %d shown", v.top)
	}
	fmt.Fprintf(w, "%d of %d features drifted%s\n", d.Drifted, len(d.Features), shown)
	if err := writeTable(w, v.table(true), formatTable); err != nil {
		return err
	}
	if l := d.Label; l != nil {
		if l.Judged {
			verdict := "no drift"
			if l.Drifted {
				verdict = "DRIFTED"
			}
			fmt.Fprintf(w, "label base rate: %.4g -> %.4g (%+.4g, p %.3g): %s\n", l.Reference, l.Current, l.Change, l.P, verdict)
		} else {
			fmt.Fprintf(w, "label: not judged: %s\n", l.Reason)
		}
	}
	fmt.Fprintln(w, "drifted: the KS test survives Benjamini-Hochberg at 5% across the features, and KS >= 0.1 or PSI > 0.2 (docs/METHODS.md)")
	return nil
}
