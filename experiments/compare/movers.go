package compare

import (
	"math"
	"slices"

	"github.com/tracker-ml/tracker/experiments"
)

// MaxMovers is how many movers each way a comparison keeps: a page or a
// message shows the few that matter, not a reshuffle of the whole model.
const MaxMovers = 5

// noiseSEs is how many standard errors of the difference a value must move
// by to count: within about two, a change is what rerunning the same
// method on the same model could give, features that matter equally little
// trading places.
const noiseSEs = 2

// Mover is a feature whose rank changed between two weeks and whose value
// moved by more than noise. Ranks count from 1, the most important.
type Mover struct {
	Feature  int
	From, To int // its rank the week before and now
}

// Rise is how many places the feature climbed: negative when it fell.
func (m Mover) Rise() int { return m.From - m.To }

// Movers compares a week's result cur with the week before's, prev, of the
// same method and parameters. A feature ranked in both weeks moves when
// its value changed by more than noiseSEs standard errors of the
// difference (each week's StandardError, combined in quadrature) and its
// rank changed. up holds those that climbed, the largest climb first, and
// down those that fell, the largest fall first; at most MaxMovers each.
// An empty prev (no record the week before) gives none. Equal climbs come
// in an order fixed by the input but not promised to be feature order: the
// sort is the one the report has always used, so its pages stay the same.
func Movers(prev, cur experiments.Result) (up, down []Mover) {
	for i := range cur.Value {
		if cur.Rank[i] == 0 || i >= len(prev.Rank) || prev.Rank[i] <= 0 {
			continue
		}
		noise := noiseSEs * math.Hypot(standardError(cur, i), standardError(prev, i))
		if math.Abs(cur.Value[i]-prev.Value[i]) <= noise {
			continue
		}
		m := Mover{Feature: i, From: prev.Rank[i], To: cur.Rank[i]}
		switch {
		case m.Rise() > 0:
			up = append(up, m)
		case m.Rise() < 0:
			down = append(down, m)
		}
	}
	slices.SortFunc(up, func(a, b Mover) int { return b.Rise() - a.Rise() })
	slices.SortFunc(down, func(a, b Mover) int { return a.Rise() - b.Rise() })
	return up[:min(MaxMovers, len(up))], down[:min(MaxMovers, len(down))]
}

// standardError is feature i's standard error in r, zero when r records
// no spread for it.
func standardError(r experiments.Result, i int) float64 {
	if i >= len(r.Spread) {
		return 0
	}
	return experiments.StandardError(r.Kind, r.Params, r.Spread[i])
}
