package tracker

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/internal/fact"
)

// History is a model's records over a run of weeks: the one read model
// behind the commands that look across weeks (report, plot, and what
// query and export show).
type History struct {
	Model    string
	Weeks    []WeekVersion
	Versions []VersionInfo // the current version of each week
	Names    []string      // the series' feature names, nil when it has none
	// Records holds every record of each week's current version.
	Records [][]*Experiment
}

// History reads the newest n weeks that have a version (all when n <= 0),
// oldest first. A series with none gives an error matching ErrNoVersions.
func (s *Store) History(model string, n int) (*History, error) {
	weeks, err := s.Weeks(model, n)
	if err != nil {
		return nil, err
	}
	return s.HistoryOf(model, weeks)
}

// HistoryOf reads the given weeks, in the order given, in one read
// transaction, so an ingest meanwhile cannot make the weeks, their
// versions and their records disagree.
func (s *Store) HistoryOf(model string, weeks []WeekVersion) (*History, error) {
	if len(weeks) == 0 {
		return nil, noVersions(model)
	}
	h := &History{Model: model, Weeks: weeks}
	var err error
	if h.Names, err = s.Features(model); err != nil {
		return nil, err
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		for _, wv := range weeks {
			rec, err := getVersion(mb.Bucket(bucketVersions), wv.Version)
			if err != nil {
				return err
			}
			exps, err := versionExperiments(mb, model, wv.Version)
			if err != nil {
				return err
			}
			vi := info(model, rec)
			vi.Experiments = len(exps)
			h.Versions = append(h.Versions, vi)
			h.Records = append(h.Records, exps)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// HistoryBack reads the newest n weeks that have a version (all when
// n <= 0) and up to back weeks before them, oldest first, for a reader
// that judges each of the n by the weeks before it (a week's change
// against the noise learned from its past). from is the index of the
// first of the n weeks in the history.
func (s *Store) HistoryBack(model string, n, back int) (h *History, from int, err error) {
	want := 0
	if n > 0 {
		want = n + max(0, back)
	}
	weeks, err := s.Weeks(model, want)
	if err != nil {
		return nil, 0, err
	}
	if h, err = s.HistoryOf(model, weeks); err != nil {
		return nil, 0, err
	}
	if n > 0 {
		from = max(0, len(weeks)-n)
	}
	return h, from, nil
}

// Since is the history from week i on: what a reader that read weeks
// before i for their past shows. It shares h's slices.
func (h *History) Since(i int) *History {
	return &History{Model: h.Model, Weeks: h.Weeks[i:], Versions: h.Versions[i:], Names: h.Names, Records: h.Records[i:]}
}

// SeriesUpTo is one series (a SeriesKey) across week and the up to back
// weeks with a version before it, oldest first: the past a judgement of
// that week reads. week must have a version.
func (s *Store) SeriesUpTo(model, week, series, label string, back int) (*SeriesHistory, error) {
	weeks, err := s.Weeks(model, 0)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(weeks, func(w WeekVersion) bool { return w.Week == week })
	if i < 0 {
		return nil, fact.Errorf(ErrNotFound, "model %q has no version for week %s", model, week)
	}
	h, err := s.HistoryOf(model, weeks[max(0, i-back):i+1])
	if err != nil {
		return nil, err
	}
	return h.Follow(series, label), nil
}

// AllSeries is every series any week of the history records, labelled
// and ordered as LabelSeries does, so one label names one series in every
// week.
func (h *History) AllSeries(order func(kind string) int) []*Series {
	var all []*Series
	seen := map[string]bool{}
	for _, exps := range h.Records {
		for _, e := range exps {
			if key := SeriesKey(e.Kind, e.Params); !seen[key] {
				seen[key] = true
				all = append(all, &Series{Kind: e.Kind, Params: e.Params, Key: key})
			}
		}
	}
	LabelSeries(all, order)
	return all
}

// Newest is the index of the history's newest week.
func (h *History) Newest() int { return len(h.Weeks) - 1 }

// Follow is one series (a kind with one set of parameters) across the
// history's weeks, each week's record the one that speaks for it.
func (h *History) Follow(series, label string) *SeriesHistory {
	sh := &SeriesHistory{Weeks: h.Weeks, Names: h.Names, Label: label, Records: make([]*Experiment, len(h.Weeks))}
	for i, exps := range h.Records {
		if e := SeriesRecord(exps, series); e != nil {
			sh.Records[i] = e
			sh.Width = max(sh.Width, len(e.Value))
		}
	}
	return sh
}

// SeriesHistory is one series across weeks: the record of each week, nil
// where the week has none.
type SeriesHistory struct {
	Weeks   []WeekVersion
	Names   []string
	Label   string
	Records []*Experiment
	Width   int // features: the most any week's record has
}

// WeekLabels are the weeks as dates.
func (s *SeriesHistory) WeekLabels() []string {
	out := make([]string, len(s.Weeks))
	for i, w := range s.Weeks {
		out[i] = w.Week
	}
	return out
}

// FeatureLabels name every feature as "index name", or the index alone.
func (s *SeriesHistory) FeatureLabels() []string {
	out := make([]string, s.Width)
	for i := range out {
		out[i] = fmt.Sprint(i)
		if i < len(s.Names) && s.Names[i] != "" {
			out[i] = fmt.Sprintf("%d %s", i, s.Names[i])
		}
	}
	return out
}

// Values is week i's value per feature, NaN where not measured, or nil
// when the week has no record.
func (s *SeriesHistory) Values(i int) []float64 {
	e := s.Records[i]
	if e == nil {
		return nil
	}
	out := make([]float64, s.Width)
	for f := range out {
		out[f] = math.NaN()
		if f < len(e.Value) && e.Rank[f] > 0 {
			out[f] = e.Value[f]
		}
	}
	return out
}

// RanksByFeature is ranks[feature][week], 0 where unknown.
func (s *SeriesHistory) RanksByFeature() [][]int {
	out := make([][]int, s.Width)
	for f := range out {
		out[f] = make([]int, len(s.Weeks))
		for w, e := range s.Records {
			if e != nil && f < len(e.Rank) {
				out[f][w] = e.Rank[f]
			}
		}
	}
	return out
}

// TopAt is the features ranked in week i, best first, at most k of them.
func (s *SeriesHistory) TopAt(i, k int) []int {
	ranks := s.RanksByFeature()
	var order []int
	for f := range ranks {
		if ranks[f][i] > 0 {
			order = append(order, f)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return ranks[a][i] - ranks[b][i] })
	return order[:min(k, len(order))]
}

// Series is one experiment, as kind and parameters, followed across
// weeks, with a label that tells it from the other series of its kind.
type Series struct {
	Kind   string
	Params map[string]string
	Key    string // SeriesKey(Kind, Params)
	Label  string
}

// Cell is one series' numbers in one week; OK is false where the week has
// no record, or the record did not measure the feature.
type Cell struct {
	OK    bool
	Value float64
	Delta float64 // the change from the previous week; NaN without one
	Rank  int     // 0: not ranked
}

// FeatureTable is one feature across weeks: a row per week, a column per
// series.
type FeatureTable struct {
	Feature int
	Weeks   []WeekVersion
	Series  []*Series
	Cells   [][]Cell // [week][series]
}

// FeatureTable pivots feature's history over the newest n weeks (all when
// n <= 0), keeping only kinds when given. Series are ordered by order(kind),
// then label. It reads what FeatureHistory reads. A feature past the
// newest version's inputs gives an error matching ErrNoFeature; kinds that
// no week records, one matching ErrNoRecord.
func (s *Store) FeatureTable(model string, feature, n int, kinds []string, order func(kind string) int) (*FeatureTable, error) {
	weeks, points, err := s.FeatureHistory(model, feature, n)
	if err != nil {
		return nil, err
	}
	if len(weeks) == 0 {
		return nil, noVersions(model)
	}
	if len(points) == 0 {
		newest, err := s.Version(model, weeks[len(weeks)-1].Week)
		if err == nil && feature >= newest.Inputs {
			return nil, fact.Errorf(ErrNoFeature, "feature %d: model %q's newest version has features 0 to %d", feature, model, newest.Inputs-1)
		}
	}
	if len(kinds) > 0 {
		recorded := map[string]bool{}
		points = slices.DeleteFunc(points, func(p FeaturePoint) bool {
			recorded[p.Kind] = true
			return !slices.Contains(kinds, p.Kind)
		})
		if len(points) == 0 {
			return nil, fact.Errorf(ErrNoRecord, "no %s experiment is recorded in these weeks; recorded: %s", strings.Join(kinds, " or "), strings.Join(slices.Sorted(maps.Keys(recorded)), ", "))
		}
	}
	if points, err = s.speaking(model, points); err != nil {
		return nil, err
	}
	t := &FeatureTable{Feature: feature, Weeks: weeks}
	t.fill(points, order)
	return t, nil
}

// speaking keeps, of the points of one series in one week, the one whose
// record speaks for the week (SeriesRecord's rule: the newest), in their
// order. Weeks with one record per series, the common case, cost no extra
// read.
func (s *Store) speaking(model string, points []FeaturePoint) ([]FeaturePoint, error) {
	type slot struct {
		WeekVersion
		series string
	}
	count := map[slot]int{}
	for _, p := range points {
		count[slot{p.WeekVersion, p.Series}]++
	}
	best := map[slot]int{} // the index of the newest point of a shared slot
	newest := make([]*Experiment, len(points))
	for i, p := range points {
		k := slot{p.WeekVersion, p.Series}
		if count[k] == 1 {
			continue
		}
		e, err := s.experiment(model, p.Version, p.ID)
		if err != nil {
			return nil, err
		}
		newest[i] = e
		if j, seen := best[k]; !seen || e.CreatedAt.After(newest[j].CreatedAt) {
			best[k] = i
		}
	}
	out := points[:0:0]
	for i, p := range points {
		if k := (slot{p.WeekVersion, p.Series}); count[k] == 1 || best[k] == i {
			out = append(out, p)
		}
	}
	return out, nil
}

// fill lays points out as cells, with each week's change.
func (t *FeatureTable) fill(points []FeaturePoint, order func(string) int) {
	index := map[string]int{}
	for _, p := range points {
		if _, ok := index[p.Series]; !ok {
			index[p.Series] = len(t.Series)
			t.Series = append(t.Series, &Series{Kind: p.Kind, Params: p.Params, Key: p.Series})
		}
	}
	LabelSeries(t.Series, order)
	for i, s := range t.Series {
		index[s.Key] = i
	}
	at := map[WeekVersion]int{}
	for i, w := range t.Weeks {
		at[w] = i
	}
	t.Cells = make([][]Cell, len(t.Weeks))
	for i := range t.Cells {
		t.Cells[i] = make([]Cell, len(t.Series))
	}
	for _, p := range points {
		if p.Rank == 0 && math.IsNaN(p.Value) {
			continue // the experiment did not measure this feature
		}
		t.Cells[at[p.WeekVersion]][index[p.Series]] = Cell{OK: true, Value: p.Value, Rank: p.Rank}
	}
	for si := range t.Series {
		for wi := range t.Weeks {
			c := &t.Cells[wi][si]
			c.Delta = math.NaN()
			if wi > 0 && c.OK && t.Cells[wi-1][si].OK {
				c.Delta = c.Value - t.Cells[wi-1][si].Value
			}
		}
	}
}

// LabelSeries names each series by its kind, adding the parameters that
// tell apart several series of one kind (olden's output, two perturb noise
// levels), and sorts them by order(kind), then label. A parameter a series
// lacks is left out of its label: a run's data role is recorded only when
// it is not the default, so the week's own series stays "perturb" beside
// "perturb(data_role=reference)".
func LabelSeries(all []*Series, order func(kind string) int) {
	byKind := map[string][]*Series{}
	for _, s := range all {
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	for kind, group := range byKind {
		if len(group) == 1 {
			group[0].Label = kind
			continue
		}
		keys := map[string]bool{}
		for _, s := range group {
			for k := range s.Params {
				keys[k] = keys[k] || s.Params[k] != group[0].Params[k]
			}
			for k := range group[0].Params {
				keys[k] = keys[k] || s.Params[k] != group[0].Params[k]
			}
		}
		for _, s := range group {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				if v, ok := s.Params[k]; keys[k] && ok {
					parts = append(parts, k+"="+v)
				}
			}
			s.Label = kind
			if len(parts) > 0 {
				s.Label += "(" + strings.Join(parts, ",") + ")"
			}
		}
	}
	slices.SortFunc(all, func(a, b *Series) int {
		return cmp.Or(cmp.Compare(order(a.Kind), order(b.Kind)), cmp.Compare(a.Label, b.Label))
	})
}

// WeekView is the record that speaks for one week, and the previous week's
// record of the same series, for rank changes.
type WeekView struct {
	Version  VersionInfo
	Names    []string
	Record   *Experiment
	PrevWeek string      // "" when the week is the first
	Prev     *Experiment // nil when PrevWeek has no record of the series
}

// WeekRow is one ranked feature of a WeekView.
type WeekRow struct {
	Rank, Index int
	Value       float64
	Spread      float64
	PrevRank    *int // nil: unranked the week before
	RankChange  *int // PrevRank minus Rank: positive moved up
}

// WeekView reads the week a week argument names (see VersionAt) with the
// record RankBy picks for kind and data role, and the previous week that
// has a version.
func (s *Store) WeekView(model, week, kind, role string, moreTelling func(a, b string) bool) (*WeekView, error) {
	vi, err := s.VersionAt(model, week)
	if err != nil {
		return nil, err
	}
	v := &WeekView{Version: vi}
	if v.Names, err = s.Features(model); err != nil {
		return nil, err
	}
	exps, err := s.Experiments(model, vi.Version)
	if err != nil {
		return nil, err
	}
	if v.Record, err = RankBy(exps, kind, role, vi.Week, moreTelling); err != nil {
		return nil, err
	}
	weeks, err := s.Weeks(model, 0)
	if err != nil {
		return nil, err
	}
	for i, wv := range weeks {
		if wv.Week == vi.Week && i > 0 {
			v.PrevWeek = weeks[i-1].Week
			prev, err := s.Experiments(model, weeks[i-1].Version)
			if err != nil {
				return nil, err
			}
			v.Prev = SeriesRecord(prev, SeriesKey(v.Record.Kind, v.Record.Params))
		}
	}
	return v, nil
}

// Rows are the week's ranked features, best first, with their rank the
// week before.
func (v *WeekView) Rows() []WeekRow {
	cur, prev := v.Record, v.Prev
	var rows []WeekRow
	for i := range cur.Value {
		if cur.Rank[i] == 0 {
			continue
		}
		r := WeekRow{Rank: cur.Rank[i], Index: i, Value: cur.Value[i], Spread: cur.Spread[i]}
		if prev != nil && i < len(prev.Rank) && prev.Rank[i] > 0 {
			p, d := prev.Rank[i], prev.Rank[i]-cur.Rank[i]
			r.PrevRank, r.RankChange = &p, &d
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b WeekRow) int { return a.Rank - b.Rank })
	return rows
}
