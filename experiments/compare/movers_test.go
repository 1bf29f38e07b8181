package compare

import (
	"reflect"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// perturb is a perturb result over 100 pivots, so a spread of 1 is a
// standard error of 0.1 and two weeks' noise is 2*hypot(0.1, 0.1) ≈ 0.283.
func perturb(spread float64, values ...float64) experiments.Result {
	s := make([]float64, len(values))
	for i := range s {
		s[i] = spread
	}
	return experiments.Result{Kind: experiments.KindPerturb, Params: map[string]string{"pivots": "100"}, Value: values, Spread: s, Rank: experiments.Rank(values)}
}

func TestMovers(t *testing.T) {
	unmeasured := perturb(1, 1.0, 0.9, 0.8)
	unmeasured.Rank = []int{1, 0, 2}
	permutation := func(repeats string, values ...float64) experiments.Result {
		r := perturb(1, values...)
		r.Kind, r.Params = experiments.KindPermutation, map[string]string{"repeats": repeats}
		return r
	}
	cases := []struct {
		name      string
		prev, cur experiments.Result
		up, down  []Mover
	}{
		{
			name: "a planted feature that climbs by far more than noise moves up, and the ones it passed, whose values held, do not move down",
			prev: perturb(1, 1.0, 0.9, 0.8, 0.1),
			cur:  perturb(1, 0.98, 0.9, 0.8, 1.5),
			up:   []Mover{{Feature: 3, From: 4, To: 1}},
		},
		{
			name: "two features trading places by less than twice the standard error of the difference do not move",
			prev: perturb(1, 1.0, 0.9, 0.5),
			cur:  perturb(1, 0.87, 1.14, 0.5), // changes 0.13 and 0.24, under 0.283
		},
		{
			name: "the same trade by more than twice the standard error moves both",
			prev: perturb(1, 1.0, 0.9, 0.5),
			cur:  perturb(1, 0.7, 1.2, 0.5), // changes 0.3 each, over 0.283
			up:   []Mover{{Feature: 1, From: 2, To: 1}},
			down: []Mover{{Feature: 0, From: 1, To: 2}},
		},
		{
			name: "with few repeats the standard error is large and the same trade is noise",
			prev: permutation("4", 1.0, 0.9, 0.5), // SE 0.5: noise ≈ 1.41
			cur:  permutation("4", 0.7, 1.2, 0.5),
		},
		{
			name: "with many repeats the standard error is small and the trade moves",
			prev: permutation("400", 1.0, 0.9, 0.5), // SE 0.05: noise ≈ 0.141
			cur:  permutation("400", 0.7, 1.2, 0.5),
			up:   []Mover{{Feature: 1, From: 2, To: 1}},
			down: []Mover{{Feature: 0, From: 1, To: 2}},
		},
		{
			name: "a value that moved a lot without changing rank is no mover",
			prev: perturb(0, 3, 2, 1),
			cur:  perturb(0, 30, 20, 10),
		},
		{
			name: "a feature the week before did not rank is no mover",
			prev: unmeasured,
			cur:  perturb(0, 0.1, 5, 0.2),
			down: []Mover{{Feature: 0, From: 1, To: 3}},
		},
		{
			name: "a result that records no spreads has no noise to allow for",
			prev: experiments.Result{Kind: experiments.KindPerturb, Value: []float64{1.0, 0.9}, Rank: []int{1, 2}},
			cur:  experiments.Result{Kind: experiments.KindPerturb, Value: []float64{0.89, 0.91}, Rank: []int{2, 1}},
			up:   []Mover{{Feature: 1, From: 2, To: 1}},
			down: []Mover{{Feature: 0, From: 1, To: 2}},
		},
		{
			name: "no record the week before gives no movers",
			prev: experiments.Result{},
			cur:  perturb(0, 1, 2, 3),
		},
		{
			name: "at most five each way, the largest climb and the largest fall first",
			prev: perturb(0, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1),
			cur:  perturb(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
			up:   []Mover{{11, 12, 1}, {10, 11, 2}, {9, 10, 3}, {8, 9, 4}, {7, 8, 5}},
			down: []Mover{{0, 1, 12}, {1, 2, 11}, {2, 3, 10}, {3, 4, 9}, {4, 5, 8}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up, down := Movers(c.prev, c.cur)
			if !reflect.DeepEqual(up, c.up) || !reflect.DeepEqual(down, c.down) {
				t.Errorf("Movers:\nup   %v\ndown %v\nwant\nup   %v\ndown %v", up, down, c.up, c.down)
			}
		})
	}
}

func TestMoverRise(t *testing.T) {
	if r := (Mover{From: 7, To: 2}).Rise(); r != 5 {
		t.Errorf("rank 7 to 2 rises %d, want 5", r)
	}
	if r := (Mover{From: 2, To: 7}).Rise(); r != -5 {
		t.Errorf("rank 2 to 7 rises %d, want -5", r)
	}
}
