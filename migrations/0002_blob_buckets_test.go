package migrations_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/migrations"
)

// TestBlobBucketsMovesEveryTensor runs step 1 -> 2 on raw schema-1 stores.
// Stores written between the commit that started writing blob buckets and
// the one that added this step say schema 1 but may hold blob buckets too,
// so the step must leave those as they are.
func TestBlobBucketsMovesEveryTensor(t *testing.T) {
	step := stepNamed(t, "blob-buckets")
	tensor := func(i, n int) []byte { return bytes.Repeat([]byte{byte(i), byte(i >> 8), 0x80, 0x3f}, n) }
	type blob struct {
		value    []byte
		inBucket bool // already a bucket holding f32le
	}
	many := map[string]blob{}
	for i := range 60 {
		many[fmt.Sprint(i)] = blob{value: tensor(i, 300)} // 1200 bytes: 60 leaves' worth
	}
	tests := []struct {
		name    string
		blobs   map[string]blob // nil: no blobs bucket at all
		wantErr bool
	}{
		{
			name:  "plain tensors become buckets holding f32le",
			blobs: map[string]blob{"a": {value: tensor(1, 3)}, "b": {value: tensor(2, 12)}},
		},
		{
			name:  "tensors already in buckets stay as they are",
			blobs: map[string]blob{"a": {value: tensor(1, 3)}, "b": {value: tensor(2, 12), inBucket: true}},
		},
		{
			name:  "an empty blobs bucket is fine",
			blobs: map[string]blob{},
		},
		{
			name:  "tensors spread over many pages all move",
			blobs: many,
		},
		{
			name:    "a store without a blobs bucket is refused",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "v1.db")
			keys := map[string][]byte{} // name -> the blob's SHA-256 key
			withDB(t, path, func(db *bolt.DB) {
				err := db.Update(func(tx *bolt.Tx) error {
					if err := meta("tracker-store", "\x00\x00\x00\x01")(tx); err != nil {
						return err
					}
					if _, err := tx.CreateBucket([]byte("models")); err != nil {
						return err
					}
					if tt.blobs == nil {
						return nil
					}
					blobs, err := tx.CreateBucket([]byte("blobs"))
					if err != nil {
						return err
					}
					for name, b := range tt.blobs {
						sum := sha256.Sum256(b.value)
						keys[name] = sum[:]
						if !b.inBucket {
							if err := blobs.Put(sum[:], b.value); err != nil {
								return err
							}
							continue
						}
						bb, err := blobs.CreateBucket(sum[:])
						if err != nil {
							return err
						}
						if err := bb.Put([]byte("f32le"), b.value); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
			before := fileSum(t, path)

			withDB(t, path, func(db *bolt.DB) {
				err := migrations.Run(db, step)
				if tt.wantErr {
					if err == nil {
						t.Fatal("Run succeeded on a store without a blobs bucket")
					}
					return
				}
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				if got := schemaOf(t, db); got != step.To {
					t.Errorf("schema = %d, want %d", got, step.To)
				}
				err = db.View(func(tx *bolt.Tx) error {
					blobs := tx.Bucket([]byte("blobs"))
					n := 0
					err := blobs.ForEach(func(k, v []byte) error {
						n++
						if v != nil {
							t.Errorf("blob %x is still a plain value", k[:6])
						}
						return nil
					})
					if n != len(tt.blobs) {
						t.Errorf("blobs holds %d keys, want %d", n, len(tt.blobs))
					}
					for name, b := range tt.blobs {
						bb := blobs.Bucket(keys[name])
						if bb == nil {
							t.Errorf("blob %q: no bucket", name)
							continue
						}
						if got := bb.Get([]byte("f32le")); !bytes.Equal(got, b.value) {
							t.Errorf("blob %q: f32le holds %d bytes that differ from the %d stored", name, len(got), len(b.value))
						}
						if kn := bb.Stats().KeyN; kn != 1 {
							t.Errorf("blob %q: bucket holds %d keys, want only f32le", name, kn)
						}
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			})
			if tt.wantErr && fileSum(t, path) != before {
				t.Error("the failed step changed the file")
			}
		})
	}
}

func TestBlobBucketsRefusesAStoreAlreadyAtSchema2(t *testing.T) {
	step := stepNamed(t, "blob-buckets")
	path := filepath.Join(t.TempDir(), "v2.db")
	withDB(t, path, func(db *bolt.DB) {
		for _, m := range migrations.Pending(0)[:step.To] {
			if err := migrations.Run(db, m); err != nil {
				t.Fatal(err)
			}
		}
	})
	before := fileSum(t, path)
	withDB(t, path, func(db *bolt.DB) {
		if err := migrations.Run(db, step); !errors.Is(err, migrations.ErrVersionMismatch) {
			t.Errorf("Run on a schema-%d store: err = %v, want %v", step.To, err, migrations.ErrVersionMismatch)
		}
	})
	if fileSum(t, path) != before {
		t.Error("the refused step changed the file")
	}
}

func stepNamed(t testing.TB, name string) migrations.Migration {
	t.Helper()
	for _, m := range migrations.All {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no migration named %q", name)
	return migrations.Migration{}
}
