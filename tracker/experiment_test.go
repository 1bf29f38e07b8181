package tracker_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/tracker"
)

func TestRecordExperiments(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	snap := model(t, 1, small)
	mustIngest(t, s, tracker.IngestRequest{Model: "m", Week: week(0), Snapshot: snap})

	ws := weightSum(snap)
	perturb := weightSum(snap)
	perturb.Kind, perturb.Seed = "perturb", 7
	perturb.Extra = map[string][]float64{"flip_rate": {0.5, 0, 0.25, 1}}
	if has, err := s.Recorded("m", 1, &ws); err != nil || has != nil {
		t.Errorf("has weight-sum before recording: %v, %v", has, err)
	}
	added, err := s.Record("m", 1, []tracker.Experiment{ws, perturb})
	if err != nil || !slices.Equal(added, []bool{true, true}) {
		t.Fatalf("record: %v, %v; want both added", added, err)
	}
	if has, err := s.Recorded("m", 1, &perturb); err != nil || has == nil || has.ID() != perturb.ID() {
		t.Errorf("has perturb after recording: %v, %v", has, err)
	}

	// The same kind, parameters, data and seed keep the first record.
	redo := perturb
	redo.Value = []float64{9, 9, 9, 9}
	other := perturb
	other.Seed = 8
	added, err = s.Record("m", 1, []tracker.Experiment{redo, other})
	if err != nil || !slices.Equal(added, []bool{false, true}) {
		t.Fatalf("second record: %v, %v; want only the new seed added", added, err)
	}
	exps, err := s.Experiments("m", 1)
	if err != nil || len(exps) != 3 {
		t.Fatalf("%d experiments, %v; want 3", len(exps), err)
	}
	for _, e := range exps {
		switch {
		case e.Kind == "weight-sum":
			requireSameExperiment(t, e, &ws)
		case e.Seed == 7:
			requireSameExperiment(t, e, &perturb)
			if !slices.Equal(e.Extra["flip_rate"], perturb.Extra["flip_rate"]) {
				t.Errorf("flip rate %v, want %v", e.Extra["flip_rate"], perturb.Extra["flip_rate"])
			}
		default:
			requireSameExperiment(t, e, &other)
		}
	}

	// Recording only what is there already writes nothing.
	before := fileBytes(t, path)
	if added, err := s.Record("m", 1, []tracker.Experiment{ws, redo}); err != nil || slices.Contains(added, true) {
		t.Errorf("record of stored experiments: %v, %v; want none added", added, err)
	}
	requireBytes(t, path, before)

	// A bad experiment refuses the whole call.
	short := other
	short.Seed, short.Value, short.Spread, short.Rank, short.Extra = 9, []float64{1}, []float64{0}, []int{1}, nil
	fresh := other
	fresh.Seed = 10
	for _, tc := range []struct {
		name  string
		model string
		v     uint64
		exps  []tracker.Experiment
		want  error
		msg   string
	}{
		{"too few values", "m", 1, []tracker.Experiment{fresh, short}, nil, `has 1 values, but model "m" version 1 has 4 inputs`},
		{"a missing version", "m", 2, []tracker.Experiment{fresh}, tracker.ErrNotFound, "version 2"},
		{"a missing series", "x", 1, []tracker.Experiment{fresh}, tracker.ErrNotFound, `"x"`},
	} {
		_, err := s.Record(tc.model, tc.v, tc.exps)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("record with %s: %v, want %v mentioning %q", tc.name, err, tc.want, tc.msg)
		}
	}
	requireBytes(t, path, before)
	if _, err := s.Recorded("m", 2, &ws); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("has experiment of a missing version: %v, want ErrNotFound", err)
	}
	requireClean(t, s)
}

func TestFeatures(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)), request("m", week(1), model(t, 2, []int{5, 3, 2})))
	if names, err := s.Features("m"); err != nil || names != nil {
		t.Errorf("features before any are set: %v, %v; want none", names, err)
	}
	before := fileBytes(t, path)
	for _, tc := range []struct {
		name  string
		model string
		names []string
		msg   string
	}{
		{"as many names as the oldest version's inputs", "m", []string{"a", "b", "c", "d"}, "4 feature names for model \"m\", whose newest version (week " + week(1) + ") has 5 inputs"},
		{"no names", "m", nil, "no feature names given"},
		{"an empty name", "m", []string{"a", "", "c", "d", "e"}, "feature 1 has an empty name"},
		{"a repeated name", "m", []string{"a", "b", "a", "d", "e"}, `features 0 and 2 are both named "a"`},
		{"a missing series", "x", []string{"a", "b", "c", "d", "e"}, `no model series "x"`},
	} {
		if err := s.SetFeatures(tc.model, tc.names); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("set features with %s: %v, want it to mention %q", tc.name, err, tc.msg)
		}
	}
	requireBytes(t, path, before)

	want := []string{"age", "income", "tenure", "région", "score"}
	if err := s.SetFeatures("m", want); err != nil {
		t.Fatal(err)
	}
	if names, err := s.Features("m"); err != nil || !slices.Equal(names, want) {
		t.Errorf("features: %v, %v; want %v", names, err, want)
	}
	if _, err := s.Features("x"); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("features of a missing series: %v, want ErrNotFound", err)
	}
	// The names live beside the version buckets and do not upset Verify.
	requireClean(t, s)
}
