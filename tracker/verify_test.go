package tracker_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

// verifyFixture is a closed store holding model "m" with versions 1 (week
// 0) and 2 (week 1), each with its weight-sum, and the first version's
// snapshot.
func verifyFixture(tb testing.TB) (path string, first *snapshot.Snapshot) {
	tb.Helper()
	s, path := newStore(tb)
	first = model(tb, 1, small)
	mustIngest(tb, s, request("m", week(0), first), request("m", week(1), model(tb, 2, small)))
	return closed(tb, s, path), first
}

// modelBucket returns models/m/<name> in a raw transaction.
func modelBucket(tb testing.TB, tx *bolt.Tx, name string) *bolt.Bucket {
	tb.Helper()
	b := tx.Bucket([]byte("models")).Bucket([]byte("m")).Bucket([]byte(name))
	if b == nil {
		tb.Fatalf("no models/m/%s bucket", name)
	}
	return b
}

func TestVerify(t *testing.T) {
	t.Parallel()
	var firstKernel []byte // the SHA-256 key of version 1's first kernel
	{
		snap := model(t, 1, small)
		firstKernel = sha256Sum(snapshot.Float32Bytes(snap.Layers()[0].Weights[0].Data))
	}
	weekKey := func(w string, v byte) []byte { return append([]byte(w), 0, 0, 0, 0, 0, 0, 0, v) }
	for _, tc := range []struct {
		name    string
		corrupt func(tb testing.TB, tx *bolt.Tx)
		want    []string // one part of each problem, in order
		more    bool     // further problems may follow
	}{
		{
			name:    "a clean store has no problems",
			corrupt: func(testing.TB, *bolt.Tx) {},
		},
		{
			name: "a flipped bit in a blob fails its checksum",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				bb := tx.Bucket([]byte("blobs")).Bucket(firstKernel)
				v := bytes.Clone(bb.Get([]byte("f32le")))
				v[5] ^= 0x10
				if err := bb.Put([]byte("f32le"), v); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m" version 1 (week ` + week(0) + `): layer "dense_1" weight "kernel": blob ` + hex.EncodeToString(firstKernel)[:12] + " fails its checksum"},
		},
		{
			name: "a blob truncated by a byte fails its checksum",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				bb := tx.Bucket([]byte("blobs")).Bucket(firstKernel)
				v := bytes.Clone(bb.Get([]byte("f32le")))
				if err := bb.Put([]byte("f32le"), v[:len(v)-1]); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{"blob " + hex.EncodeToString(firstKernel)[:12] + " fails its checksum"},
		},
		{
			name: "a deleted blob is missing",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				if err := tx.Bucket([]byte("blobs")).DeleteBucket(firstKernel); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m" version 1 (week ` + week(0) + `): layer "dense_1" weight "kernel": blob ` + hex.EncodeToString(firstKernel)[:12] + " is missing"},
		},
		{
			name: "a deleted week index key is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				if err := modelBucket(tb, tx, "weeks").Delete(weekKey(week(1), 2)); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m" version 2 (week ` + week(1) + `): missing from the week index`},
		},
		{
			name: "a week index key for no version is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				if err := modelBucket(tb, tx, "weeks").Put(weekKey(week(4), 9), nil); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m": week index lists version 9 (week ` + week(4) + `), which does not exist`},
		},
		{
			name: "a week index key of the wrong length is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				if err := modelBucket(tb, tx, "weeks").Put([]byte("2019-01"), nil); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{"week index key 323031392d3031 has the wrong length"},
		},
		{
			name: "a damaged version record is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				if err := modelBucket(tb, tx, "versions").Put([]byte{0, 0, 0, 0, 0, 0, 0, 2}, []byte(`{"version":2,`)); err != nil {
					tb.Fatal(err)
				}
			},
			// Verify then also calls version 2 missing and its blobs
			// unreferenced, since it cannot read the record.
			want: []string{`model "m": version 2 record is damaged: unexpected end of JSON input`},
			more: true,
		},
		{
			name: "an orphan blob is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				b := []byte("unreferenced tensor")
				bb, err := tx.Bucket([]byte("blobs")).CreateBucket(sha256Sum(b))
				if err != nil {
					tb.Fatal(err)
				}
				if err := bb.Put([]byte("f32le"), b); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{"blob " + hex.EncodeToString(sha256Sum([]byte("unreferenced tensor")))[:12] + " is referenced by no version"},
		},
		{
			name: "an orphan blob with a short key is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				if _, err := tx.Bucket([]byte("blobs")).CreateBucket([]byte{0xab}); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{"blob ab is referenced by no version"},
		},
		{
			name: "a blob stored as a plain value is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				if err := tx.Bucket([]byte("blobs")).Put([]byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte("x")); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{"blobs: key 010203040506 is a plain value, not a blob bucket"},
		},
		{
			name: "an experiment of a missing version is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				exps := modelBucket(tb, tx, "experiments")
				k, v := exps.Cursor().First()
				k = append([]byte{0, 0, 0, 0, 0, 0, 0, 9}, k[8:]...)
				if err := exps.Put(k, bytes.Clone(v)); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m": an experiment refers to version 9, which does not exist`},
		},
		{
			name: "a damaged experiment record is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				exps := modelBucket(tb, tx, "experiments")
				k, v := exps.Cursor().First()
				if err := exps.Put(bytes.Clone(k), bytes.Clone(v[:len(v)-3])); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m" version 1: experiment record:`},
		},
		{
			name: "pieces left over after their experiment finished are reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				k, _ := modelBucket(tb, tx, "experiments").Cursor().First()
				b, err := modelBucket(tb, tx, "parts").CreateBucket(bytes.Clone(k))
				if err != nil {
					tb.Fatal(err)
				}
				if err := b.Put([]byte("experiment"), []byte(`{"kind":"weight-sum"}`)); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m" version 1: pieces of weight-sum are left over after it finished`},
		},
		{
			name: "pieces of a missing version are reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				b, err := modelBucket(tb, tx, "parts").CreateBucket([]byte{0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8})
				if err != nil {
					tb.Fatal(err)
				}
				if err := b.Put([]byte("experiment"), []byte(`{"kind":"drop-retrain"}`)); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m": unfinished drop-retrain refers to version 9, which does not exist`},
		},
		{
			name: "a missing parts bucket is reported",
			corrupt: func(tb testing.TB, tx *bolt.Tx) {
				if err := tx.Bucket([]byte("models")).Bucket([]byte("m")).DeleteBucket([]byte("parts")); err != nil {
					tb.Fatal(err)
				}
			},
			want: []string{`model "m": missing parts bucket`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, _ := verifyFixture(t)
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				tc.corrupt(t, tx)
				return nil
			})
			before := fileBytes(t, path)

			s := openStore(t, path, tracker.Options{ReadOnly: true})
			r, err := s.Verify()
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if r.Models != 1 {
				t.Errorf("checked %d models, want 1", r.Models)
			}
			if len(r.Problems) != len(tc.want) && !(tc.more && len(r.Problems) > len(tc.want)) {
				t.Errorf("%d problems, want %d:\n%s", len(r.Problems), len(tc.want), strings.Join(r.Problems, "\n"))
			}
			for i, want := range tc.want {
				if i < len(r.Problems) && !strings.Contains(r.Problems[i], want) {
					t.Errorf("problem %d: %q, want it to contain %q", i, r.Problems[i], want)
				}
			}
			requireBytes(t, closed(t, s, path), before)
		})
	}
}

func TestVerifyCountsWhatItChecked(t *testing.T) {
	t.Parallel()
	path, _ := verifyFixture(t)
	s := openStore(t, path, tracker.Options{ReadOnly: true})
	r := requireClean(t, s)
	want := tracker.VerifyReport{Models: 1, Versions: 2, Blobs: 8, Experiments: 2}
	if r.Models != want.Models || r.Versions != want.Versions || r.Blobs != want.Blobs || r.Experiments != want.Experiments {
		t.Errorf("report %+v, want %+v", r, want)
	}
}

func TestSnapshotRefusesACorruptBlob(t *testing.T) {
	t.Parallel()
	path, first := verifyFixture(t)
	bias := first.Layers()[1].Weights[1].Data
	key := sha256Sum(snapshot.Float32Bytes(bias))
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		bb := tx.Bucket([]byte("blobs")).Bucket(key)
		v := bytes.Clone(bb.Get([]byte("f32le")))
		v[len(v)-1] ^= 0x01 // the lowest mantissa bit of the last value
		return bb.Put([]byte("f32le"), v)
	})
	s := openStore(t, path, tracker.Options{ReadOnly: true})
	_, err := s.Snapshot("m", 1)
	if err == nil {
		t.Fatal("snapshot of a version with a corrupt blob succeeded")
	}
	for _, part := range []string{`model "m" version 1`, `layer "dense_2" weight "bias"`, hex.EncodeToString(key)[:12] + " fails its checksum", "tracker verify"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("snapshot: %q does not mention %s", err, part)
		}
	}
	if _, err := s.Snapshot("m", 2); err != nil {
		t.Errorf("snapshot of the intact version 2: %v", err)
	}
}
