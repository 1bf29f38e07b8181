package tracker_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/tracker"
)

// seasonStore is a store of model "m" with weeks 0 to 3; week 1 has two
// versions (the second ingested with Replace), so its current one is v3.
func seasonStore(t *testing.T) *tracker.Store {
	t.Helper()
	s, _ := newStore(t)
	for i := range 4 {
		mustIngest(t, s, request("m", week(i), model(t, uint64(i+1), small)))
		if i == 1 {
			r := request("m", week(1), model(t, 50, small))
			r.Replace = true
			mustIngest(t, s, r)
		}
	}
	return s
}

func TestVersionSelection(t *testing.T) {
	s := seasonStore(t)
	for _, c := range []struct {
		name, week string
		version    uint64
		err        error
	}{
		{"latest is the newest week's current version", "latest", 5, nil},
		{"a week names its current version, not the first", week(1), 3, nil},
		{"a compact date reads as the same week", strings.ReplaceAll(week(2), "-", ""), 4, nil},
		{"a week without a version is not found", week(9), 0, tracker.ErrNotFound},
		{"a word that is not a date is a bad week", "monday", 0, tracker.ErrBadWeek},
	} {
		t.Run(c.name, func(t *testing.T) {
			vi, err := s.VersionAt("m", c.week)
			if !errors.Is(err, c.err) || (c.err == nil && vi.Version != c.version) {
				t.Errorf("VersionAt(%q) = v%d, %v; want v%d, %v", c.week, vi.Version, err, c.version, c.err)
			}
		})
	}

	cur, err := s.CurrentVersions("m", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, v := range cur {
		got = append(got, v.Version)
	}
	if want := []uint64{1, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("current versions %v, want %v: one per week, the latest of each", got, want)
	}
	if two, err := s.CurrentVersions("m", 2); err != nil || len(two) != 2 || two[0].Version != 4 {
		t.Errorf("newest 2 weeks: %v, %v", two, err)
	}

	old, err := s.Versions("m")
	if err != nil {
		t.Fatal(err)
	}
	if vi, err := s.FindVersion("m", week(1), old[1].Hash); err != nil || vi.Version != 2 {
		t.Errorf("the replaced version of week 1 by its hash: v%d, %v", vi.Version, err)
	}
	if _, err := s.FindVersion("m", week(1), "feed"); !errors.Is(err, tracker.ErrNotFound) || !strings.Contains(err.Error(), old[1].Hash[:12]) {
		t.Errorf("an unknown hash must be not found and list the week's versions: %v", err)
	}
}

func TestNoVersionsIsItsOwnError(t *testing.T) {
	s, _ := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)))
	if _, err := s.HistoryOf("m", nil); !errors.Is(err, tracker.ErrNoVersions) || err.Error() != `model "m" has no versions` {
		t.Errorf("no weeks: %v, want ErrNoVersions with the model's name", err)
	}
	if _, err := s.Latest("nosuch"); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("an unknown series: %v, want ErrNotFound", err)
	}
}

func TestTheRecordThatSpeaksForAWeek(t *testing.T) {
	at := func(h int) time.Time { return fixedNow.Add(time.Duration(h) * time.Hour) }
	rec := func(kind string, params map[string]string, created time.Time, data string) *tracker.Experiment {
		return &tracker.Experiment{Kind: kind, Params: params, CreatedAt: created, DataSHA256: data}
	}
	p100, p50 := map[string]string{"pivots": "100"}, map[string]string{"pivots": "50"}
	exps := []*tracker.Experiment{
		rec("weight-sum", nil, at(0), ""),
		rec("perturb", p100, at(2), "new"),
		rec("perturb", p100, at(1), "old"),
		rec("perturb", p50, at(3), "other settings"),
		rec("permutation", nil, at(0), "x"),
	}
	if e := tracker.SeriesRecord(exps, tracker.SeriesKey("perturb", p100)); e == nil || e.DataSHA256 != "new" {
		t.Errorf("SeriesRecord = %+v, want the newest record of the series", e)
	}
	if e := tracker.SeriesRecord(exps, tracker.SeriesKey("gradient", nil)); e != nil {
		t.Errorf("a series the week lacks: %+v, want nil", e)
	}
	order := map[string]int{"weight-sum": 0, "perturb": 1, "permutation": 2}
	more := func(a, b string) bool { return order[a] > order[b] }
	if e := tracker.MostTelling(exps, "", more); e == nil || e.Kind != "permutation" {
		t.Errorf("most telling = %+v, want permutation", e)
	}
	if e := tracker.MostTelling(exps, "perturb", more); e == nil || e.DataSHA256 != "other settings" {
		t.Errorf("newest perturb = %+v, want the newest of the kind", e)
	}
	if _, err := tracker.RankBy(exps, "olden", tracker.DefaultRole, week(0), more); !errors.Is(err, tracker.ErrNoRecord) ||
		!strings.Contains(err.Error(), "has no olden experiment; it has weight-sum, perturb, permutation") {
		t.Errorf("RankBy a missing kind: %v", err)
	}
}

func TestRivalIsTheSeriesRecordOfAnotherIdentity(t *testing.T) {
	at := func(h int) time.Time { return fixedNow.Add(time.Duration(h) * time.Hour) }
	rec := func(params map[string]string, data string, seed int64, created time.Time) *tracker.Experiment {
		return &tracker.Experiment{Kind: "perturb", Params: params, DataSHA256: data, DataRows: 10, Seed: seed, CreatedAt: created}
	}
	p100, ref := map[string]string{"pivots": "100"}, map[string]string{"pivots": "100", "data_role": "reference"}
	old, newer := rec(p100, "aaa", 1, at(1)), rec(p100, "bbb", 1, at(2))
	week := []*tracker.Experiment{
		{Kind: "weight-sum", CreatedAt: at(0)},
		old, newer,
		rec(ref, "ccc", 1, at(3)),
	}
	for _, c := range []struct {
		name string
		exps []*tracker.Experiment
		e    *tracker.Experiment
		want *tracker.Experiment
	}{
		{"a week without the series has no rival", week[:1], rec(p100, "ddd", 1, at(4)), nil},
		{"other data is refused against the record that speaks for the week", week, rec(p100, "ddd", 1, at(4)), newer},
		{"another seed on the same data is a rival too", week, rec(p100, "bbb", 2, at(4)), newer},
		{"the identity that speaks for the week is no rival", week, rec(p100, "bbb", 1, at(4)), nil},
		{"an older record's identity is stored already: no rival", week, rec(p100, "aaa", 1, at(4)), nil},
		{"another data role is another series", week[:3], rec(ref, "ddd", 1, at(4)), nil},
		{"within one role the rule holds as in the default one", week, rec(ref, "ddd", 1, at(4)), week[3]},
		{"other parameters are another series", week, rec(map[string]string{"pivots": "50"}, "ddd", 1, at(4)), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := tracker.Rival(c.exps, c.e); got != c.want {
				t.Errorf("Rival = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestRecordedReturnsTheStoredRecord(t *testing.T) {
	s, _ := newStore(t)
	snap := model(t, 1, small)
	mustIngest(t, s, request("m", week(0), snap))
	ws := weightSum(snap)
	got, err := s.Recorded("m", 1, &ws)
	if err != nil || got == nil || got.Kind != ws.Kind || len(got.Value) != len(ws.Value) {
		t.Fatalf("Recorded = %+v, %v", got, err)
	}
	other := ws
	other.Seed = 9
	if got, err := s.Recorded("m", 1, &other); err != nil || got != nil {
		t.Errorf("another seed: %+v, %v; want nil", got, err)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestARunOnReferenceDataNeverSpeaksForTheWeeksOwn(t *testing.T) {
	at := func(h int) time.Time { return fixedNow.Add(time.Duration(h) * time.Hour) }
	own := &tracker.Experiment{Kind: "permutation", CreatedAt: at(0), DataSHA256: "own"}
	ref := &tracker.Experiment{Kind: "permutation", Params: map[string]string{tracker.RoleParam: "reference"}, CreatedAt: at(1), DataSHA256: "ref"}
	more := func(a, b string) bool { return false }
	exps := []*tracker.Experiment{own, ref}
	if e, err := tracker.RankBy(exps, "permutation", tracker.DefaultRole, week(0), more); err != nil || e != own {
		t.Errorf("the week's own role: %+v, %v; want the own-data record though the reference one is newer", e, err)
	}
	if e, err := tracker.RankBy(exps, "", "reference", week(0), more); err != nil || e != ref {
		t.Errorf("the reference role: %+v, %v", e, err)
	}
	if _, err := tracker.RankBy([]*tracker.Experiment{own}, "permutation", "reference", week(0), more); !errors.Is(err, tracker.ErrNoRecord) || !strings.Contains(err.Error(), "no permutation data_role=reference experiment") {
		t.Errorf("a role the week lacks: %v", err)
	}
}
