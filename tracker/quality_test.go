package tracker_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/tracker"
)

func evaluation(role, data string, acc float64, at time.Time) *tracker.Evaluation {
	return &tracker.Evaluation{
		Role: role, Params: map[string]string{"label": "y"}, DataSHA256: data, DataRows: 100,
		Metrics: tracker.Numbers{"accuracy": acc, "auc": math.NaN()}, SE: tracker.Numbers{"accuracy": 0.04},
		ToolVersion: "test", CreatedAt: at,
	}
}

func TestEvaluationsLandOnceAndTheNewestOfARoleSpeaks(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)), request("m", week(1), model(t, 2, small)))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	first := evaluation("week", "aaaa", 0.8, t0)
	if added, err := s.PutEvaluation("m", 1, first, false); err != nil || !added {
		t.Fatalf("first: added %v, %v", added, err)
	}
	before := fileBytes(t, path)
	again := evaluation("week", "aaaa", 0.1, t0.Add(time.Hour)) // same identity
	if added, err := s.PutEvaluation("m", 1, again, false); err != nil || added {
		t.Fatalf("same identity: added %v, %v; want left as it was", added, err)
	}
	requireBytes(t, path, before)
	for _, e := range []*tracker.Evaluation{evaluation("week", "bbbb", 0.7, t0.Add(2*time.Hour)), evaluation("reference", "cccc", 0.9, t0)} {
		if _, err := s.PutEvaluation("m", 1, e, false); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.Evaluations("m", 1)
	if err != nil || len(evs) != 3 {
		t.Fatalf("evaluations: %d, %v; want 3", len(evs), err)
	}
	if got := tracker.SpeakingEvaluation(evs, "week"); got == nil || got.DataSHA256 != "bbbb" {
		t.Errorf("week role speaks with %+v, want the newest, on bbbb", got)
	}
	if got := tracker.SpeakingEvaluation(evs, "reference"); got == nil || got.Metrics["accuracy"] != 0.9 || !math.IsNaN(got.Metrics["auc"]) {
		t.Errorf("reference: %+v, want accuracy 0.9 and an undefined AUC read back as NaN", got)
	}
	h, err := s.EvaluationHistory("m", 0)
	if err != nil || len(h) != 2 || h[0].Speaking("week") == nil || h[1].Speaking("week") != nil {
		t.Fatalf("history: %+v, %v; want week 0 evaluated and week 1 not", h, err)
	}
	// --replace back to the first rows: the stored record speaks again.
	back := evaluation("week", "aaaa", 0.1, t0.Add(3*time.Hour))
	if added, err := s.PutEvaluation("m", 1, back, true); err != nil || !added {
		t.Fatalf("restamp: %v, %v", added, err)
	}
	evs, _ = s.Evaluations("m", 1)
	if got := tracker.SpeakingEvaluation(evs, "week"); got.DataSHA256 != "aaaa" || got.Metrics["accuracy"] != 0.8 {
		t.Errorf("after restamping, the week speaks with %+v; want the first record, its metrics unchanged", got)
	}
	if _, err := s.PutEvaluation("m", 9, evaluation("week", "dddd", 0.5, t0), false); err == nil {
		t.Error("an evaluation of a version that does not exist was stored")
	}
	requireClean(t, s)
}

func TestProfilesLandOnceAndKeepTheFirstBins(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := func(w, role, data string, at time.Time) *tracker.DataProfile {
		return &tracker.DataProfile{Week: w, Role: role, DataSHA256: data, DataRows: 10, Profile: json.RawMessage(`{"rows":10}`), CreatedAt: at}
	}
	if added, err := s.PutProfile("m", p(week(0), "train", "aaaa", t0), json.RawMessage(`[1]`), false); err != nil || !added {
		t.Fatalf("first: %v, %v", added, err)
	}
	before := fileBytes(t, path)
	if added, err := s.PutProfile("m", p(week(0), "train", "aaaa", t0.Add(time.Hour)), json.RawMessage(`[2]`), false); err != nil || added {
		t.Fatalf("same identity: %v, %v; want left as it was", added, err)
	}
	requireBytes(t, path, before)
	// A week with no version yet may have its data profiled.
	for _, q := range []*tracker.DataProfile{p(week(0), "train", "bbbb", t0.Add(time.Hour)), p(week(3), "train", "cccc", t0), p(week(3), "week", "dddd", t0)} {
		if _, err := s.PutProfile("m", q, json.RawMessage(`[3]`), false); err != nil {
			t.Fatal(err)
		}
	}
	if bins, err := s.ProfileBins("m"); err != nil || string(bins) != "[1]" {
		t.Errorf("bins %s, %v; want the first profile's", bins, err)
	}
	all, err := s.Profiles("m")
	if err != nil || len(all) != 4 {
		t.Fatalf("profiles: %d, %v", len(all), err)
	}
	if got := tracker.SpeakingProfile(all, week(0), "train"); got == nil || got.DataSHA256 != "bbbb" {
		t.Errorf("speaking profile %+v, want the newest", got)
	}
	if got, err := s.ProfiledWeeks("m", "train"); err != nil || len(got) != 2 || got[1] != week(3) {
		t.Errorf("train weeks %v", got)
	}
	if _, err := s.PutProfile("m", p("2026-13-01", "train", "x", t0), nil, false); err == nil {
		t.Error("a profile of a week that is no date was stored")
	}
	requireClean(t, s)
}

func TestVerifyFindsADamagedEvaluation(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)))
	if _, err := s.PutEvaluation("m", 1, evaluation("week", "aaaa", 0.8, time.Now()), false); err != nil {
		t.Fatal(err)
	}
	s.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("models")).Bucket([]byte("m")).Bucket([]byte("evaluations"))
		k, v := b.Cursor().First()
		return b.Put(bytes.Clone(k), bytes.Replace(v, []byte("aaaa"), []byte("zzzz"), 1))
	})
	s = openStore(t, path, tracker.Options{})
	r, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 {
		t.Fatalf("problems %q, want the one evaluation under another record's key", r.Problems)
	}
}
