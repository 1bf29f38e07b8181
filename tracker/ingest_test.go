package tracker_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

// withLastBias returns snap with the first value of its last layer's bias
// moved by delta: every other tensor is shared with snap, so it stores as
// the same blobs.
func withLastBias(tb testing.TB, snap *snapshot.Snapshot, delta float32) *snapshot.Snapshot {
	tb.Helper()
	layers := slices.Clone(snap.Layers())
	last := &layers[len(layers)-1]
	last.Weights = slices.Clone(last.Weights)
	bias := &last.Weights[len(last.Weights)-1]
	if bias.Name != "bias" {
		tb.Fatalf("last tensor is %q, want bias", bias.Name)
	}
	bias.Data = slices.Clone(bias.Data)
	bias.Data[0] += delta
	out, err := snapshot.New(snap.Inputs(), layers, snap.Meta())
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// versionsOf lists (week, version) of every stored version of model, in
// store order.
func versionsOf(tb testing.TB, s *tracker.Store, model string) []string {
	tb.Helper()
	vs, err := s.Versions(model)
	if err != nil {
		tb.Fatalf("versions %q: %v", model, err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%s/%s/%d", v.Model, v.Week, v.Version))
	}
	return out
}

func TestIngestNumbersVersionsPerModel(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	a0, a1, a2, b0 := model(t, 1, small), model(t, 2, small), model(t, 3, small), model(t, 4, small)

	res := mustIngest(t, s, request("a", week(5), a0), request("a", week(1), a1), request("b", week(5), b0))
	want := []tracker.IngestResult{
		{Model: "a", Week: week(5), Version: 1, Hash: a0.Hash()},
		{Model: "a", Week: week(1), Version: 2, Hash: a1.Hash()},
		{Model: "b", Week: week(5), Version: 1, Hash: b0.Hash()},
	}
	if !slices.Equal(res, want) {
		t.Errorf("first batch:\ngot  %+v\nwant %+v", res, want)
	}
	res = mustIngest(t, s, request("a", week(3), a2))
	if want := (tracker.IngestResult{Model: "a", Week: week(3), Version: 3, Hash: a2.Hash()}); res[0] != want {
		t.Errorf("second batch: got %+v, want %+v", res[0], want)
	}

	// Versions sort by week, then version, whatever order they came in.
	got := versionsOf(t, s, "")
	wantList := []string{"a/" + week(1) + "/2", "a/" + week(3) + "/3", "a/" + week(5) + "/1", "b/" + week(5) + "/1"}
	if !slices.Equal(got, wantList) {
		t.Errorf("versions:\ngot  %v\nwant %v", got, wantList)
	}
	if models, err := s.Models(); err != nil || !slices.Equal(models, []string{"a", "b"}) {
		t.Errorf("models: %v, %v; want [a b]", models, err)
	}

	vi, err := s.Version("a", week(3))
	if err != nil {
		t.Fatal(err)
	}
	if vi.Version != 3 || vi.Hash != a2.Hash() || vi.Week != week(3) || !vi.IngestedAt.Equal(fixedNow) ||
		vi.Inputs != 4 || vi.Outputs != 3 || vi.Params != a2.Params() || vi.Experiments != 1 ||
		!slices.Equal(vi.Layers, a2.Specs()) || vi.Meta.Sources[0].Path != a2.Meta().Sources[0].Path {
		t.Errorf("version a/%s: %+v", week(3), vi)
	}
	requireClean(t, s)
}

func TestIngestIdenticalContentIsUnchanged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  func(tb testing.TB) tracker.IngestRequest
	}{
		{"the same model again changes nothing", func(tb testing.TB) tracker.IngestRequest {
			return request("m", week(0), model(tb, 1, small))
		}},
		{"the same weights from other files change nothing", func(tb testing.TB) tracker.IngestRequest {
			snap := model(tb, 1, small)
			meta := snap.Meta()
			meta.Sources = []snapshot.Source{{Role: "model", Path: "/elsewhere/model.h5", SHA256: "cd", Size: 2}}
			again, err := snapshot.New(snap.Inputs(), snap.Layers(), meta)
			if err != nil {
				tb.Fatal(err)
			}
			return request("m", week(0), again)
		}},
		{"the same model with --replace changes nothing", func(tb testing.TB) tracker.IngestRequest {
			r := request("m", week(0), model(tb, 1, small))
			r.Replace = true
			return r
		}},
		{"the same model without experiments changes nothing", func(tb testing.TB) tracker.IngestRequest {
			return tracker.IngestRequest{Model: "m", Week: week(0), Snapshot: model(tb, 1, small)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, path := newStore(t)
			first := mustIngest(t, s, request("m", week(0), model(t, 1, small)))[0]
			before := fileBytes(t, path)

			res := mustIngest(t, s, tc.req(t))[0]
			want := first
			want.Unchanged = true
			if res != want {
				t.Errorf("re-ingest: got %+v, want %+v", res, want)
			}
			requireBytes(t, path, before)
			if got := versionsOf(t, s, "m"); len(got) != 1 {
				t.Errorf("versions after re-ingest: %v, want one", got)
			}
		})
	}
}

func TestIngestConflictChangesNothing(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	old := model(t, 1, small)
	mustIngest(t, s, request("m", week(0), old))
	before := fileBytes(t, path)

	other := model(t, 2, small)
	_, err := s.Ingest([]tracker.IngestRequest{request("m", week(0), other)})
	if !errors.Is(err, tracker.ErrConflict) {
		t.Fatalf("ingest of other content for the same week: %v, want ErrConflict", err)
	}
	for _, part := range []string{`"m"`, week(0), "version 1", old.ShortHash(), other.ShortHash()} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("conflict message %q does not mention %s", err, part)
		}
	}
	requireBytes(t, path, before)
	if got := versionsOf(t, s, "m"); len(got) != 1 {
		t.Errorf("versions after a conflict: %v, want one", got)
	}
}

func TestIngestReplaceAddsVersion(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	old, repl := model(t, 1, small), model(t, 2, small)
	mustIngest(t, s, request("m", week(0), old), request("m", week(1), model(t, 3, small)))

	r := request("m", week(0), repl)
	r.Replace = true
	res := mustIngest(t, s, r)[0]
	if res.Version != 3 || res.Unchanged || res.Hash != repl.Hash() {
		t.Errorf("replace: %+v, want new version 3 with hash %s", res, repl.ShortHash())
	}
	want := []string{"m/" + week(0) + "/1", "m/" + week(0) + "/3", "m/" + week(1) + "/2"}
	if got := versionsOf(t, s, "m"); !slices.Equal(got, want) {
		t.Errorf("versions after replace: %v, want %v", got, want)
	}
	vi, err := s.Version("m", week(0))
	if err != nil || vi.Version != 3 || vi.Hash != repl.Hash() {
		t.Errorf("version of %s: %d %s, %v; want the replacement, 3", week(0), vi.Version, vi.Hash, err)
	}
	for v, snap := range map[uint64]*snapshot.Snapshot{1: old, 3: repl} {
		got, err := s.Snapshot("m", v)
		if err != nil || got.Hash() != snap.Hash() {
			t.Errorf("snapshot m/%d: %v; want hash %s", v, err, snap.ShortHash())
		}
	}

	// The old content is no longer the week's latest: without --replace it
	// conflicts, with it it comes back as a new version and no new blob.
	blobs := len(blobKeys(t, closed(t, s, path)))
	s = openStore(t, path, tracker.Options{})
	if _, err := s.Ingest([]tracker.IngestRequest{request("m", week(0), old)}); !errors.Is(err, tracker.ErrConflict) {
		t.Errorf("old content without --replace: %v, want ErrConflict", err)
	}
	r = request("m", week(0), old)
	r.Replace = true
	if res := mustIngest(t, s, r)[0]; res.Version != 4 || res.Unchanged {
		t.Errorf("old content with --replace: %+v, want version 4", res)
	}
	requireClean(t, s)
	if n := len(blobKeys(t, closed(t, s, path))); n != blobs {
		t.Errorf("%d blobs after re-adding old content, want %d", n, blobs)
	}
}

// closed closes s and returns its path, for raw bbolt to read.
func closed(tb testing.TB, s *tracker.Store, path string) string {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestIngestBatchIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)))
	before := fileBytes(t, path)

	batch := []tracker.IngestRequest{
		request("n", week(0), model(t, 10, small)), // a new series
		request("m", week(1), model(t, 11, small)), // a new week
		request("m", week(0), model(t, 12, small)), // conflicts
	}
	if _, err := s.Ingest(batch); !errors.Is(err, tracker.ErrConflict) {
		t.Fatalf("batch: %v, want ErrConflict", err)
	}
	requireBytes(t, path, before)
	if got := versionsOf(t, s, ""); len(got) != 1 {
		t.Errorf("versions after a failed batch: %v, want the one from before", got)
	}
	if _, err := s.Versions("n"); !errors.Is(err, tracker.ErrNotFound) {
		t.Errorf("versions of the new series of a failed batch: %v, want ErrNotFound", err)
	}
	// The same batch without its bad request lands whole.
	if res := mustIngest(t, s, batch[:2]...); res[0].Version != 1 || res[1].Version != 2 {
		t.Errorf("batch without the conflict: %+v", res)
	}
	requireClean(t, s)
}

func TestIngestRefusesBadRequests(t *testing.T) {
	t.Parallel()
	snap := model(t, 1, small)
	good := request("m", week(1), model(t, 2, small))
	short := weightSum(snap)
	short.Value = short.Value[:3]
	noRanks := weightSum(snap)
	noRanks.Rank = nil
	for _, tc := range []struct {
		name string
		req  tracker.IngestRequest
		msg  string
	}{
		{"an empty model name", tracker.IngestRequest{Model: "", Week: week(0), Snapshot: snap}, `model name ""`},
		{"a model name with a slash", tracker.IngestRequest{Model: "a/b", Week: week(0), Snapshot: snap}, `model name "a/b"`},
		{"a model name starting with a dot", tracker.IngestRequest{Model: ".m", Week: week(0), Snapshot: snap}, `model name ".m"`},
		{"a 65-letter model name", tracker.IngestRequest{Model: strings.Repeat("m", 65), Week: week(0), Snapshot: snap}, "1 to 64"},
		{"a compact week", tracker.IngestRequest{Model: "m", Week: "20190114", Snapshot: snap}, `week "20190114"`},
		{"no week", tracker.IngestRequest{Model: "m", Week: "", Snapshot: snap}, `week ""`},
		{"February 30th", tracker.IngestRequest{Model: "m", Week: "2019-02-30", Snapshot: snap}, `week "2019-02-30"`},
		{"an experiment with 3 values for 4 inputs", tracker.IngestRequest{Model: "m", Week: week(0), Snapshot: snap, Experiments: []tracker.Experiment{short}},
			"experiment weight-sum has 3 values for a model with 4 inputs"},
		{"an experiment without ranks", tracker.IngestRequest{Model: "m", Week: week(0), Snapshot: snap, Experiments: []tracker.Experiment{noRanks}},
			"experiment weight-sum: 4 values, 4 spreads, 0 ranks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, path := newStore(t)
			before := fileBytes(t, path)
			// The bad request comes last: the good one before it must not land.
			_, err := s.Ingest([]tracker.IngestRequest{good, tc.req})
			if err == nil {
				t.Fatal("ingest succeeded")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("ingest: %q, want it to contain %q", err, tc.msg)
			}
			requireBytes(t, path, before)
			if got := versionsOf(t, s, ""); len(got) != 0 {
				t.Errorf("versions after a refused batch: %v", got)
			}
		})
	}
}

func TestIngestStoresSharedTensorsOnce(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	base := model(t, 1, small)         // 4 tensors
	next := withLastBias(t, base, 0.5) // shares 3 of them
	if base.Hash() == next.Hash() {
		t.Fatal("the variant has the same hash")
	}
	mustIngest(t, s, request("m", week(0), base), request("m", week(1), next))
	// The same weights in another series add no blob either.
	mustIngest(t, s, request("other", week(0), base))
	requireClean(t, s)
	path = closed(t, s, path)

	keys := blobKeys(t, path)
	if len(keys) != 5 {
		t.Errorf("%d blobs, want 5: 4 tensors of the first version and the one changed bias", len(keys))
	}
	want := map[string]bool{}
	for _, snap := range []*snapshot.Snapshot{base, next} {
		for _, l := range snap.Layers() {
			for _, w := range l.Weights {
				want[string(sha256Sum(snapshot.Float32Bytes(w.Data)))] = true
			}
		}
	}
	for _, k := range keys {
		if !want[string(k)] {
			t.Errorf("blob %x is none of the models' tensors", k[:6])
		}
		delete(want, string(k))
	}
	if len(want) != 0 {
		t.Errorf("%d tensors have no blob", len(want))
	}
}
