package tracker_test

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/tracker"
)

func TestRecordRefusesNumbersNoOutputCanWrite(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name          string
		value, spread []float64
		rank          []int
		extra         map[string][]float64
		want          string // "" when it is stored
	}{
		{name: "finite values are stored", value: []float64{0.4, 0.3, 0.2, 0.1}, spread: []float64{0, 0.1, 0, 0}, rank: []int{1, 2, 3, 4}},
		{
			name:  "a feature left unmeasured, NaN with rank 0, is stored",
			value: []float64{0.4, nan, 0.2, nan}, spread: []float64{0, nan, 0, 1}, rank: []int{1, 0, 2, 0},
		},
		{
			name:  "a ranked NaN value is refused",
			value: []float64{0.4, nan, 0.2, 0.1}, spread: []float64{0, 0, 0, 0}, rank: []int{1, 4, 2, 3},
			want: "feature 1 has value NaN with rank 4: a measured feature needs a finite value",
		},
		{
			name:  "an infinite value is refused",
			value: []float64{0.4, 0.3, math.Inf(-1), 0.1}, spread: []float64{0, 0, 0, 0}, rank: []int{1, 2, 0, 3},
			want: "feature 2 has value -Inf with rank 0",
		},
		{
			name:  "a NaN spread of a measured feature is refused",
			value: []float64{0.4, 0.3, 0.2, 0.1}, spread: []float64{0, nan, 0, 0}, rank: []int{1, 2, 3, 4},
			want: "feature 1 has value 0.3 but spread NaN: a measured feature needs a finite spread",
		},
		{
			name:  "an infinite spread of an unmeasured feature is refused",
			value: []float64{0.4, nan, 0.2, 0.1}, spread: []float64{0, inf, 0, 0}, rank: []int{1, 0, 2, 3},
			want: "feature 1 is not measured, but its spread is +Inf",
		},
		{
			name:  "a negative rank is refused",
			value: []float64{0.4, 0.3, 0.2, 0.1}, spread: []float64{0, 0, 0, 0}, rank: []int{1, -2, 3, 4},
			want: "feature 1 has rank -2",
		},
		{
			name:  "an infinity in an extra series is refused",
			value: []float64{0.4, 0.3, 0.2, 0.1}, spread: []float64{0, 0, 0, 0}, rank: []int{1, 2, 3, 4},
			extra: map[string][]float64{"flip_rate": {0, 0, math.Inf(1), 0}},
			want:  `extra "flip_rate" of feature 2 is +Inf`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, path := newStore(t)
			v := mustIngest(t, s, request("m", week(0), model(t, 1, small)))[0].Version
			before := fileBytes(t, path)
			e := tracker.Experiment{Kind: "perturb", ToolVersion: "test", CreatedAt: fixedNow, Value: tc.value, Spread: tc.spread, Rank: tc.rank, Extra: tc.extra}
			_, err := s.Record("m", v, []tracker.Experiment{e})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("record: %v", err)
				}
				requireClean(t, s)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("record: %v, want an error saying %q", err, tc.want)
			}
			requireBytes(t, path, before)
			req := request("m", week(1), model(t, 2, small))
			req.Experiments = append(req.Experiments, e)
			if _, err := s.Ingest([]tracker.IngestRequest{req}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ingest: %v, want an error saying %q", err, tc.want)
			}
			requireBytes(t, path, before)
		})
	}
}

// rawRecord encodes an experiment record by hand, as docs/FORMAT.md
// describes it, so a test can store what the store itself refuses.
func rawRecord(head string, value, spread []float64, rank []uint32) []byte {
	b := []byte{1}
	b = binary.AppendUvarint(b, uint64(len(head)))
	b = append(b, head...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(value)))
	for _, xs := range [][]float64{value, spread} {
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	for _, r := range rank {
		b = binary.LittleEndian.AppendUint32(b, r)
	}
	return b
}

func TestVerifyReportsStoredNumbersNoOutputCanWrite(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	mustIngest(t, s, request("m", week(0), model(t, 1, small)))
	closed(t, s, path)
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		key := append(binary.BigEndian.AppendUint64(nil, 1), "oldnanid"...)
		rec := rawRecord(`{"kind":"perturb","tool_version":"old","took_ns":0,"created_at":"2019-01-20T12:00:00Z"}`,
			[]float64{0.4, math.NaN(), 0.2, 0.1}, []float64{0, 0, 0, 0}, []uint32{1, 4, 2, 3})
		return tx.Bucket([]byte("models")).Bucket([]byte("m")).Bucket([]byte("experiments")).Put(key, rec)
	})
	r := openStore(t, path, tracker.Options{ReadOnly: true})
	rep, err := r.Verify()
	if err != nil {
		t.Fatal(err)
	}
	want := `model "m" version 1: experiment perturb: feature 1 has value NaN with rank 4`
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], want) || !strings.Contains(rep.Problems[0], "no output format can write it") || rep.Damaged {
		t.Errorf("verify: damaged %v, problems %q; want one saying %q", rep.Damaged, rep.Problems, want)
	}
}

// TestAnUnknownExtraIsStoredAsNull: NaN in an extra series, such as the
// standard error of one repeat, is kept (as JSON null) and read back NaN.
func TestAnUnknownExtraIsStoredAsNull(t *testing.T) {
	s, _ := newStore(t)
	v := mustIngest(t, s, request("m", week(0), model(t, 1, small)))[0].Version
	nan := math.NaN()
	e := tracker.Experiment{Kind: "permutation", Params: map[string]string{"repeats": "1"}, ToolVersion: "test", CreatedAt: fixedNow,
		Value: []float64{0.4, 0.3, 0.2, 0.1}, Spread: []float64{0, 0, 0, 0}, Rank: []int{1, 2, 3, 4},
		Extra: map[string][]float64{"se": {nan, 0.01, nan, 0}}}
	if _, err := s.Record("m", v, []tracker.Experiment{e}); err != nil {
		t.Fatal(err)
	}
	exps, err := s.Experiments("m", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range exps {
		if got.Kind != "permutation" {
			continue
		}
		se := got.Extra["se"]
		if len(se) != 4 || !math.IsNaN(se[0]) || se[1] != 0.01 || !math.IsNaN(se[2]) || se[3] != 0 {
			t.Errorf("read back se %v, want [NaN 0.01 NaN 0]", se)
		}
		return
	}
	t.Fatal("the record is not stored")
}
