package tracker_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/tracker-ml/tracker/tracker"
)

func TestPartsResumeAndLandWithTheExperiment(t *testing.T) {
	s, path := newStore(t)
	snap := model(t, 1, small)
	v := mustIngest(t, s, request("m", week(0), snap))[0].Version
	run := tracker.Experiment{Kind: "drop-retrain", Params: map[string]string{"epochs": "5"}, DataSHA256: "d1", DataRows: 10, Seed: 1}
	other := run
	other.Params = map[string]string{"epochs": "6"}

	if n, err := s.SaveParts("m", v, &run, map[string][]byte{"b/0": []byte(`{"metric":0.9}`), "f/1/0": []byte(`{"metric":0.8}`)}); err != nil || n != 2 {
		t.Fatalf("SaveParts: %d, %v; want 2 new", n, err)
	}
	// Saving the same piece again is a no-op that leaves the file as it was.
	before := fileBytes(t, path)
	if n, err := s.SaveParts("m", v, &run, map[string][]byte{"b/0": []byte(`{"metric":0.9}`)}); err != nil || n != 0 {
		t.Fatalf("SaveParts again: %d, %v; want 0 new", n, err)
	}
	requireBytes(t, path, before)
	// A different result for the same piece is refused, and nothing of the
	// call lands.
	_, err := s.SaveParts("m", v, &run, map[string][]byte{"f/2/0": []byte(`{}`), "b/0": []byte(`{"metric":0.1}`)})
	if !errors.Is(err, tracker.ErrPartConflict) {
		t.Fatalf("conflicting piece: err = %v, want ErrPartConflict", err)
	}
	got, err := s.Parts("m", v, &run)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"b/0": []byte(`{"metric":0.9}`), "f/1/0": []byte(`{"metric":0.8}`)}
	if !maps.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("Parts = %q, want %q", got, want)
	}
	// Other parameters see none of these pieces.
	if got, err := s.Parts("m", v, &other); err != nil || len(got) != 0 {
		t.Errorf("Parts of a run with other parameters = %q, %v; want none", got, err)
	}

	// Recording the finished experiment removes its pieces, and verify is clean.
	ws := weightSum(snap)
	done := run
	done.Value, done.Spread, done.Rank, done.ToolVersion = ws.Value, ws.Spread, ws.Rank, "test"
	if _, err := s.Record("m", v, []tracker.Experiment{done}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Parts("m", v, &run); err != nil || len(got) != 0 {
		t.Errorf("after Record, Parts = %q, %v; want none", got, err)
	}
	if _, err := s.SaveParts("m", v, &run, map[string][]byte{"b/1": []byte(`{}`)}); err == nil {
		t.Errorf("SaveParts on a finished experiment succeeded")
	}
	if _, err := s.SaveParts("m", v+1, &other, map[string][]byte{"b/1": []byte(`{}`)}); err == nil {
		t.Errorf("SaveParts on a missing version succeeded")
	}
	if n, err := s.SaveParts("m", v, &other, map[string][]byte{"b/0": []byte(`{}`)}); err != nil || n != 1 {
		t.Fatalf("SaveParts for an unfinished run: %d, %v", n, err)
	}
	rep, err := s.Verify()
	if err != nil || len(rep.Problems) != 0 {
		t.Errorf("verify with an unfinished run: %v %v", rep.Problems, err)
	}
}
