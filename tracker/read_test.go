package tracker_test

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

// oddModel is a chain of every layer class whose first kernel holds the
// float32 values most likely to lose bits on the way: signed zero,
// subnormals, extremes, infinities and NaNs with payloads.
func oddModel(tb testing.TB) *snapshot.Snapshot {
	tb.Helper()
	base := model(tb, 7, small).Layers()
	kernel := slices.Clone(base[0].Weights[0].Data)
	for i, bits := range []uint32{
		0x80000000, // -0
		0x00000001, // smallest subnormal
		0x807fffff, // largest negative subnormal
		0x7f7fffff, // MaxFloat32
		0xff7fffff, // -MaxFloat32
		0x7f800000, // +Inf
		0xff800000, // -Inf
		0x7fc00001, // quiet NaN with a payload
		0x7f800001, // signalling NaN
		0xffffffff, // negative NaN, all payload bits
	} {
		kernel[i] = math.Float32frombits(bits)
	}
	dense1 := base[0]
	dense1.Weights = []snapshot.Tensor{{Name: "kernel", Shape: []int{4, 6}, Data: kernel}, base[0].Weights[1]}
	ones := func(v float32) []float32 {
		out := make([]float32, 6)
		for i := range out {
			out[i] = v + float32(i)/8
		}
		return out
	}
	layers := []snapshot.Layer{
		dense1,
		{Spec: snapshot.Spec{Name: "bn", Class: snapshot.ClassBatchNormalization, Epsilon: 1e-3, Center: true, Scale: true},
			Weights: []snapshot.Tensor{
				{Name: "gamma", Shape: []int{6}, Data: ones(1)},
				{Name: "beta", Shape: []int{6}, Data: ones(0)},
				{Name: "moving_mean", Shape: []int{6}, Data: ones(-0.5)},
				{Name: "moving_variance", Shape: []int{6}, Data: ones(2)},
			}},
		{Spec: snapshot.Spec{Name: "drop", Class: snapshot.ClassDropout, Rate: 0.25}},
		{Spec: snapshot.Spec{Name: "act", Class: snapshot.ClassActivation, Activation: "tanh"}},
		base[1],
	}
	snap, err := snapshot.New(4, layers, snapshot.Meta{Format: "keras2-h5", KerasVersion: "2.3.1", Backend: "tensorflow"})
	if err != nil {
		tb.Fatal(err)
	}
	return snap
}

// requireSameSnapshot compares two snapshots field by field and every
// weight bit for bit.
func requireSameSnapshot(tb testing.TB, got, want *snapshot.Snapshot) {
	tb.Helper()
	if got.Hash() != want.Hash() {
		tb.Errorf("hash %s, want %s", got.ShortHash(), want.ShortHash())
	}
	if got.Inputs() != want.Inputs() || got.Outputs() != want.Outputs() || got.Params() != want.Params() {
		tb.Errorf("inputs, outputs, params: %d %d %d, want %d %d %d", got.Inputs(), got.Outputs(), got.Params(), want.Inputs(), want.Outputs(), want.Params())
	}
	if !reflect.DeepEqual(got.Meta(), want.Meta()) {
		tb.Errorf("meta %+v, want %+v", got.Meta(), want.Meta())
	}
	gl, wl := got.Layers(), want.Layers()
	if len(gl) != len(wl) {
		tb.Fatalf("%d layers, want %d", len(gl), len(wl))
	}
	for i := range wl {
		if gl[i].Spec != wl[i].Spec {
			tb.Errorf("layer %d: %+v, want %+v", i, gl[i].Spec, wl[i].Spec)
		}
		if len(gl[i].Weights) != len(wl[i].Weights) {
			tb.Errorf("layer %q: %d tensors, want %d", wl[i].Name, len(gl[i].Weights), len(wl[i].Weights))
			continue
		}
		for j, w := range wl[i].Weights {
			g := gl[i].Weights[j]
			if g.Name != w.Name || !slices.Equal(g.Shape, w.Shape) || len(g.Data) != len(w.Data) {
				tb.Errorf("layer %q tensor %d: %s %v (%d values), want %s %v (%d values)", wl[i].Name, j, g.Name, g.Shape, len(g.Data), w.Name, w.Shape, len(w.Data))
				continue
			}
			for k := range w.Data {
				if gb, wb := math.Float32bits(g.Data[k]), math.Float32bits(w.Data[k]); gb != wb {
					tb.Errorf("layer %q %s[%d]: bits %08x, want %08x", wl[i].Name, w.Name, k, gb, wb)
				}
			}
		}
	}
}

// requireSameExperiment compares every field, floats bit for bit.
func requireSameExperiment(tb testing.TB, got, want *tracker.Experiment) {
	tb.Helper()
	if got.Kind != want.Kind || !reflect.DeepEqual(got.Params, want.Params) || got.DataSHA256 != want.DataSHA256 ||
		got.DataRows != want.DataRows || got.Seed != want.Seed || got.ToolVersion != want.ToolVersion ||
		got.Took != want.Took || !got.CreatedAt.Equal(want.CreatedAt) {
		tb.Errorf("experiment header:\ngot  %+v\nwant %+v", *got, *want)
	}
	bits := func(xs []float64) []uint64 {
		out := make([]uint64, len(xs))
		for i, x := range xs {
			out[i] = math.Float64bits(x)
		}
		return out
	}
	if !slices.Equal(bits(got.Value), bits(want.Value)) {
		tb.Errorf("%s values %v, want %v", want.Kind, got.Value, want.Value)
	}
	if !slices.Equal(bits(got.Spread), bits(want.Spread)) {
		tb.Errorf("%s spreads %v, want %v", want.Kind, got.Spread, want.Spread)
	}
	if !slices.Equal(got.Rank, want.Rank) {
		tb.Errorf("%s ranks %v, want %v", want.Kind, got.Rank, want.Rank)
	}
}

func TestSnapshotRoundTripsBitExact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		snap func(testing.TB) *snapshot.Snapshot
	}{
		{"a small MLP", func(tb testing.TB) *snapshot.Snapshot { return model(tb, 1, small) }},
		{"a deeper MLP with a sigmoid output", func(tb testing.TB) *snapshot.Snapshot { return model(tb, 2, []int{16, 32, 8, 1}) }},
		{"every layer class and odd float bits", oddModel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			want := tc.snap(t)
			// Another version first, so version numbers and blobs are shared.
			mustIngest(t, s, request("m", week(0), model(t, 99, small)))
			res := mustIngest(t, s, tracker.IngestRequest{Model: "m", Week: week(1), Snapshot: want})[0]
			got, err := s.Snapshot("m", res.Version)
			if err != nil {
				t.Fatal(err)
			}
			requireSameSnapshot(t, got, want)
			requireClean(t, s)
		})
	}
}

func TestExperimentsRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	snap := model(t, 1, small)
	ws := weightSum(snap)
	other := tracker.Experiment{
		Kind: "perturb", Params: map[string]string{"pivots": "5", "delta": "0.1"}, DataSHA256: fmt.Sprintf("%064x", 42),
		DataRows: 1000, Seed: -3, ToolVersion: "v0.1.0", Took: 3 * time.Second,
		CreatedAt: time.Date(2019, 1, 15, 8, 30, 0, 123456789, time.FixedZone("CET", 3600)),
		Value:     []float64{math.Copysign(0, -1), math.SmallestNonzeroFloat64, -math.MaxFloat64, math.Float64frombits(0x7ff8000000000001)},
		Spread:    []float64{0.5, math.MaxFloat64, 0, 1e-300},
		Rank:      []int{4, 3, 1, 0}, // the last feature unmeasured: a NaN, payload kept
	}
	req := tracker.IngestRequest{Model: "m", Week: week(0), Snapshot: snap, Experiments: []tracker.Experiment{ws, other}}
	v := mustIngest(t, s, req)[0].Version
	mustIngest(t, s, request("m", week(1), model(t, 2, small))) // another version's experiment

	exps, err := s.Experiments("m", v)
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) != 2 {
		t.Fatalf("%d experiments, want 2", len(exps))
	}
	byKind := map[string]*tracker.Experiment{}
	for _, e := range exps {
		byKind[e.Kind] = e
	}
	for _, want := range []*tracker.Experiment{&ws, &other} {
		got, ok := byKind[want.Kind]
		if !ok {
			t.Errorf("no %s experiment", want.Kind)
			continue
		}
		requireSameExperiment(t, got, want)
	}
	if vi, err := s.Version("m", week(0)); err != nil || vi.Experiments != 2 {
		t.Errorf("version info counts %d experiments (%v), want 2", vi.Experiments, err)
	}
	requireClean(t, s)
}

func TestReadsReportNotFound(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)))
	for _, tc := range []struct {
		name string
		read func() error
	}{
		{"versions of a missing series", func() error { _, err := s.Versions("x"); return err }},
		{"a week the series lacks", func() error { _, err := s.Version("m", week(1)); return err }},
		{"a week of a missing series", func() error { _, err := s.Version("x", week(0)); return err }},
		{"a version the series lacks", func() error { _, err := s.Snapshot("m", 2); return err }},
		{"version 0", func() error { _, err := s.Snapshot("m", 0); return err }},
		{"a snapshot of a missing series", func() error { _, err := s.Snapshot("x", 1); return err }},
		{"experiments of a missing series", func() error { _, err := s.Experiments("x", 1); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.read(); !errors.Is(err, tracker.ErrNotFound) {
				t.Errorf("got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestReadsLeaveTheStoreUnchanged(t *testing.T) {
	t.Parallel()
	for _, readOnly := range []bool{true, false} {
		t.Run(fmt.Sprintf("read-only %v", readOnly), func(t *testing.T) {
			t.Parallel()
			s, path := newStore(t)
			mustIngest(t, s, request("m", week(0), model(t, 1, small)), request("m", week(1), model(t, 2, small)))
			before := fileBytes(t, closed(t, s, path))

			s = openStore(t, path, tracker.Options{ReadOnly: readOnly})
			if _, err := s.Models(); err != nil {
				t.Error(err)
			}
			if _, err := s.Versions(""); err != nil {
				t.Error(err)
			}
			if _, err := s.Version("m", week(1)); err != nil {
				t.Error(err)
			}
			if _, err := s.Snapshot("m", 1); err != nil {
				t.Error(err)
			}
			if _, err := s.Experiments("m", 2); err != nil {
				t.Error(err)
			}
			requireClean(t, s)
			if !readOnly {
				// A refused ingest is a read too.
				if _, err := s.Ingest([]tracker.IngestRequest{request("m", week(0), model(t, 3, small))}); !errors.Is(err, tracker.ErrConflict) {
					t.Errorf("conflicting ingest: %v", err)
				}
			}
			requireBytes(t, closed(t, s, path), before)
		})
	}
}

// TestValuesOutliveTheStore reads everything the store returned after it is
// closed and its memory map is gone: any byte slice that escaped a
// transaction uncopied faults here.
func TestValuesOutliveTheStore(t *testing.T) {
	t.Parallel()
	path := storePath(t)
	s := openStore(t, path, tracker.Options{})
	want := model(t, 1, []int{8, 16, 4})
	wantExp := weightSum(want)
	wantExp.Params = map[string]string{"note": "kept after close"}
	mustIngest(t, s, tracker.IngestRequest{Model: "series.1", Week: week(0), Snapshot: want, Experiments: []tracker.Experiment{wantExp}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A fresh read-only open, so everything read comes from its mmap.
	s = openStore(t, path, tracker.Options{ReadOnly: true})
	models, err := s.Models()
	if err != nil {
		t.Fatal(err)
	}
	versions, err := s.Versions("")
	if err != nil {
		t.Fatal(err)
	}
	vi, err := s.Version("series.1", week(0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Snapshot("series.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	exps, err := s.Experiments("series.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	report, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Churn the heap and reuse the file, so stale memory would also differ.
	w := openStore(t, path, tracker.Options{})
	mustIngest(t, w, request("series.1", week(1), model(t, 2, []int{8, 16, 4})))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// Touch every byte of every string and slice.
	h := fnv.New64a()
	for _, m := range models {
		h.Write([]byte(m))
	}
	for _, v := range append(versions, vi) {
		h.Write([]byte(v.Model + v.Week + v.Hash + v.Meta.Format + v.Meta.KerasVersion + v.Meta.Backend))
		for _, src := range v.Meta.Sources {
			h.Write([]byte(src.Role + src.Path + src.SHA256))
		}
		for _, l := range v.Layers {
			h.Write([]byte(l.Name + l.Class + l.Activation))
		}
	}
	for _, p := range report.Problems {
		h.Write([]byte(p))
	}
	_ = h.Sum64()

	if !slices.Equal(models, []string{"series.1"}) || len(versions) != 1 || versions[0].Hash != want.Hash() || vi.Hash != want.Hash() ||
		vi.Meta.Sources[0].Path != want.Meta().Sources[0].Path {
		t.Errorf("after close: models %v, versions %+v, version %+v", models, versions, vi)
	}
	requireSameSnapshot(t, got, want)
	if len(exps) != 1 {
		t.Fatalf("%d experiments, want 1", len(exps))
	}
	requireSameExperiment(t, exps[0], &wantExp)
	if report.Versions != 1 || len(report.Problems) != 0 {
		t.Errorf("verify after close: %+v", report)
	}
}

func TestVersionsRefusesADamagedWeekKey(t *testing.T) {
	t.Parallel()
	path, _ := verifyFixture(t)
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return modelBucket(t, tx, "weeks").Put([]byte("2019-01"), nil)
	})
	s := openStore(t, path, tracker.Options{ReadOnly: true})
	_, err := s.Versions("m")
	if err == nil || !strings.Contains(err.Error(), "week index key 323031392d3031 is damaged: run tracker verify") {
		t.Errorf("versions with a short week key: %v", err)
	}
	// Reads that do not walk the index still work.
	if _, err := s.Version("m", week(1)); err != nil {
		t.Errorf("version of an intact week: %v", err)
	}
}
