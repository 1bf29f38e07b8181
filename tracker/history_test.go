package tracker_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/tracker"
)

// twoRecordsOfOneSeries records in week 0 two perturb records of one
// series whose IDs sort against their age: the newer one's ID comes first,
// so a reader that keeps the last in key order shows the older. It returns
// the store and the newer record's values.
func twoRecordsOfOneSeries(t *testing.T) (*tracker.Store, []float64) {
	t.Helper()
	s, _ := newStore(t)
	snap := model(t, 1, small)
	mustIngest(t, s, request("m", week(0), snap), request("m", week(1), model(t, 2, small)))
	rec := func(seed int64, at time.Time, v float64) tracker.Experiment {
		e := weightSum(snap)
		e.Kind, e.Params, e.Seed, e.CreatedAt = "perturb", map[string]string{"pivots": "10"}, seed, at
		e.DataSHA256, e.DataRows = "ab", 10
		e.Value = []float64{v, v / 2, v / 4, v / 8}
		e.Spread = []float64{0.01, 0.01, 0.01, 0.01}
		e.Rank = []int{1, 2, 3, 4}
		return e
	}
	for seed := int64(1); ; seed++ {
		older, newer := rec(seed, fixedNow, 0.5), rec(seed+1000, fixedNow.Add(time.Hour), 0.9)
		if id1, id2 := older.ID(), newer.ID(); bytes.Compare(id2[:], id1[:]) < 0 {
			if _, err := s.Record("m", 1, []tracker.Experiment{older, newer}); err != nil {
				t.Fatal(err)
			}
			return s, newer.Value
		}
	}
}

func TestTheNewestRecordSpeaksForAWeekInEveryReadModel(t *testing.T) {
	s, want := twoRecordsOfOneSeries(t)
	ft, err := s.FeatureTable("m", 0, 0, []string{"perturb"}, func(string) int { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	if len(ft.Series) != 1 || !ft.Cells[0][0].OK || ft.Cells[0][0].Value != want[0] {
		t.Errorf("FeatureTable week 0 = %+v, want the newer record's %v", ft.Cells[0], want[0])
	}
	h, err := s.History("m", 0)
	if err != nil {
		t.Fatal(err)
	}
	sh := h.Follow(tracker.SeriesKey("perturb", map[string]string{"pivots": "10"}), "perturb")
	if v := sh.Values(0); v == nil || v[0] != want[0] {
		t.Errorf("History week 0 = %v, want the newer record's values %v", v, want)
	}
	if v := sh.Values(1); v != nil {
		t.Errorf("week 1 has no perturb record, but Values(1) = %v", v)
	}
	wv, err := s.WeekView("m", week(0), "perturb", tracker.DefaultRole, func(a, b string) bool { return false })
	if err != nil || wv.Record.Value[0] != want[0] {
		t.Errorf("WeekView = %+v, %v; want the newer record", wv, err)
	}
}

func TestFeatureTableChangesAndRefusals(t *testing.T) {
	s, _ := newStore(t)
	for i := range 3 {
		mustIngest(t, s, request("m", week(i), model(t, uint64(i+1), small)))
	}
	ft, err := s.FeatureTable("m", 1, 0, nil, func(string) int { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	if len(ft.Weeks) != 3 || len(ft.Series) != 1 {
		t.Fatalf("%d weeks, %d series; want 3 and the weight-sum", len(ft.Weeks), len(ft.Series))
	}
	if c := ft.Cells[0][0]; !math.IsNaN(c.Delta) {
		t.Errorf("the first week has a change %v, want none (NaN)", c.Delta)
	}
	if c, prev := ft.Cells[2][0], ft.Cells[1][0]; c.Delta != c.Value-prev.Value {
		t.Errorf("week 2's change %v, want %v", c.Delta, c.Value-prev.Value)
	}
	if _, err := s.FeatureTable("m", 9, 0, nil, func(string) int { return 0 }); !errorsIs(err, tracker.ErrNoFeature) {
		t.Errorf("feature 9 of 4 inputs: %v, want ErrNoFeature", err)
	}
	if _, err := s.FeatureTable("m", 1, 0, []string{"gradient"}, func(string) int { return 0 }); !errorsIs(err, tracker.ErrNoRecord) {
		t.Errorf("an unrecorded kind: %v, want ErrNoRecord", err)
	}
}

// TestReadsWithAPast: HistoryBack reads the weeks a reader shows and the
// past its judgements learn from; SeriesUpTo reads one series up to a
// week; AllSeries labels the series of every week alike.
func TestReadsWithAPast(t *testing.T) {
	s, _ := newStore(t)
	for i := range 6 {
		mustIngest(t, s, request("m", week(i), model(t, uint64(i+1), small)))
	}
	cases := []struct {
		name          string
		n, back       int
		weeks, from   int
		first, shown0 string
	}{
		{"the newest 2 weeks and 3 before them", 2, 3, 5, 3, week(1), week(4)},
		{"a past longer than the store reads what there is", 4, 10, 6, 2, week(0), week(2)},
		{"all weeks have no past before them", 0, 3, 6, 0, week(0), week(0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, from, err := s.HistoryBack("m", c.n, c.back)
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Weeks) != c.weeks || from != c.from || h.Weeks[0].Week != c.first || h.Weeks[from].Week != c.shown0 {
				t.Errorf("%d weeks from %s, shown from %d (%s); want %d from %s, shown from %d (%s)", len(h.Weeks), h.Weeks[0].Week, from, h.Weeks[from].Week, c.weeks, c.first, c.from, c.shown0)
			}
			if shown := h.Since(from); len(shown.Weeks) != c.weeks-c.from || len(shown.Records) != len(shown.Weeks) || len(shown.Versions) != len(shown.Weeks) {
				t.Errorf("Since(%d) has %d weeks, %d records, %d versions; want %d each", from, len(shown.Weeks), len(shown.Records), len(shown.Versions), c.weeks-c.from)
			}
		})
	}
	key := tracker.SeriesKey("weight-sum", nil)
	sh, err := s.SeriesUpTo("m", week(3), key, "weight-sum", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := sh.WeekLabels(); len(got) != 3 || got[0] != week(1) || got[2] != week(3) || sh.Records[2] == nil {
		t.Errorf("SeriesUpTo week 3 with 2 before: weeks %v, want %s to %s with records", got, week(1), week(3))
	}
	if _, err := s.SeriesUpTo("m", "2030-01-07", key, "weight-sum", 2); !errorsIs(err, tracker.ErrNotFound) {
		t.Errorf("a week without a version: %v, want ErrNotFound", err)
	}
	h, err := s.History("m", 0)
	if err != nil {
		t.Fatal(err)
	}
	if all := h.AllSeries(func(string) int { return 0 }); len(all) != 1 || all[0].Label != "weight-sum" || all[0].Key != key {
		t.Errorf("AllSeries = %+v, want the weight-sum once", all)
	}
}
