package tracker_test

import (
	"testing"

	"github.com/tracker-ml/tracker/tracker"
)

func TestFeatureHistory(t *testing.T) {
	s, _ := newStore(t)
	for i := range 5 {
		mustIngest(t, s, request("m", week(i), model(t, uint64(i+1), small)))
	}
	// Week 3 gets a second version; its current one is the newer.
	replaced := request("m", week(3), model(t, 99, small))
	replaced.Replace = true
	v3 := mustIngest(t, s, replaced)[0].Version
	// Week 4 also gets a second experiment.
	extra := weightSum(model(t, 5, small))
	extra.Kind, extra.Params = "perturb", map[string]string{"pivots": "10"}
	vs, err := s.Versions("m")
	if err != nil {
		t.Fatal(err)
	}
	v4 := vs[len(vs)-1]
	if v4.Week != week(4) {
		t.Fatalf("newest version is week %s", v4.Week)
	}
	if _, err := s.Record("m", v4.Version, []tracker.Experiment{extra}); err != nil {
		t.Fatal(err)
	}

	weeks, points, err := s.FeatureHistory("m", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []tracker.WeekVersion{{Week: week(2), Version: 3}, {Week: week(3), Version: v3}, {Week: week(4), Version: 5}}
	if len(weeks) != 3 || weeks[0] != want[0] || weeks[1] != want[1] || weeks[2] != want[2] {
		t.Fatalf("weeks = %v, want %v", weeks, want)
	}
	if only, err := s.Weeks("m", 3); err != nil || len(only) != 3 || only[0] != want[0] || only[2] != want[2] {
		t.Errorf("Weeks = %v, %v; want the weeks FeatureHistory gives, %v", only, err, want)
	}
	if len(points) != 4 {
		t.Fatalf("%d points, want 4 (one weight-sum a week, a perturb in week 4)", len(points))
	}
	for _, p := range points {
		exps, err := s.Experiments("m", p.Version)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range exps {
			if e.ID() == p.ID {
				found = true
				if e.Kind != p.Kind || e.Value[2] != p.Value || e.Spread[2] != p.Spread || e.Rank[2] != p.Rank {
					t.Errorf("week %s %s: point %+v, record value %v spread %v rank %d", p.Week, p.Kind, p, e.Value[2], e.Spread[2], e.Rank[2])
				}
			}
		}
		if !found {
			t.Errorf("week %s: point %s has no matching record", p.Week, p.Kind)
		}
	}
	if all, _, err := s.FeatureHistory("m", 0, 0); err != nil || len(all) != 5 {
		t.Errorf("all weeks: %d, %v; want 5", len(all), err)
	}
	if _, pts, err := s.FeatureHistory("m", 4, 2); err != nil || len(pts) != 0 {
		t.Errorf("feature 4 of 4-input models: %d points, %v; want none", len(pts), err)
	}
	if _, _, err := s.FeatureHistory("nope", 0, 2); err == nil {
		t.Errorf("a missing model gave no error")
	}
}
