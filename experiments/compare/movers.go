package compare

import (
	"slices"

	"github.com/tracker-ml/tracker/experiments"
)

// MaxMovers is how many movers each way a comparison keeps: a page or a
// message shows the few that matter, not a reshuffle of the whole model.
const MaxMovers = 5

// Mover is a feature whose value changed significantly between two weeks
// and whose rank changed with it. Ranks count from 1, the most important.
type Mover struct {
	Feature  int
	From, To int     // its rank the week before and now
	Delta    float64 // the change in value
	Score    float64 // |Delta| in units of its learned noise
}

// Rise is how many places the feature climbed: negative when it fell.
func (m Mover) Rise() int { return m.From - m.To }

// Moves is what changed into the newest week of a series.
type Moves struct {
	Up, Down []Mover // the largest climbs and falls, at most MaxMovers each
	Changes  Changes // every feature's verdict
}

// Movers judges the newest week of series (one method with one set of
// parameters, oldest first, an empty Result where a week has no record;
// the weeks before hold the history its noise is learned from) against
// the week before: a feature moves when its change is significant
// (JudgeChanges) and its rank changed. Up holds those that climbed, the
// largest climb first, and Down those that fell, the largest fall first;
// equal climbs in feature order. A significant change that kept its rank
// is in Changes but moves no one.
func Movers(series []experiments.Result) Moves {
	var m Moves
	if len(series) == 0 {
		return m
	}
	t := len(series) - 1
	m.Changes = JudgeChanges(series, t)
	if t == 0 {
		return m
	}
	cur, prev := series[t], series[t-1]
	for _, c := range m.Changes {
		if !c.Significant {
			continue
		}
		mv := Mover{Feature: c.Feature, From: rankOf(prev, c.Feature), To: rankOf(cur, c.Feature), Delta: c.Delta, Score: c.Score()}
		switch {
		case mv.From == 0 || mv.To == 0:
		case mv.Rise() > 0:
			m.Up = append(m.Up, mv)
		case mv.Rise() < 0:
			m.Down = append(m.Down, mv)
		}
	}
	slices.SortStableFunc(m.Up, func(a, b Mover) int { return b.Rise() - a.Rise() })
	slices.SortStableFunc(m.Down, func(a, b Mover) int { return a.Rise() - b.Rise() })
	m.Up, m.Down = m.Up[:min(MaxMovers, len(m.Up))], m.Down[:min(MaxMovers, len(m.Down))]
	return m
}
