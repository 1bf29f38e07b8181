package tracker

import (
	"fmt"
	"math"
	"slices"
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

// HistoryOf reads the given weeks, in the order given.
func (s *Store) HistoryOf(model string, weeks []WeekVersion) (*History, error) {
	if len(weeks) == 0 {
		return nil, noVersions(model)
	}
	h := &History{Model: model, Weeks: weeks}
	var err error
	if h.Names, err = s.Features(model); err != nil {
		return nil, err
	}
	for _, wv := range weeks {
		vi, err := s.Version(model, wv.Week)
		if err != nil {
			return nil, err
		}
		exps, err := s.Experiments(model, wv.Version)
		if err != nil {
			return nil, err
		}
		h.Versions = append(h.Versions, vi)
		h.Records = append(h.Records, exps)
	}
	return h, nil
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
