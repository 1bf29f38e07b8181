package migrations_test

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/migrations"
)

// TestQualityProfilesGivesEveryModelItsBuckets runs step 3 -> 4 on a raw schema-3
// store with two model series, one of which already has the bucket.
func TestQualityProfilesGivesEveryModelItsBuckets(t *testing.T) {
	step := stepNamed(t, "quality-profiles")
	path := filepath.Join(t.TempDir(), "v3.db")
	withDB(t, path, func(db *bolt.DB) {
		err := db.Update(func(tx *bolt.Tx) error {
			if err := meta("tracker-store", "\x00\x00\x00\x03")(tx); err != nil {
				return err
			}
			models, err := tx.CreateBucket([]byte("models"))
			if err != nil {
				return err
			}
			a, err := models.CreateBucket([]byte("a"))
			if err != nil {
				return err
			}
			if err := a.Put([]byte("features"), []byte(`["x"]`)); err != nil {
				return err
			}
			b, err := models.CreateBucket([]byte("b"))
			if err != nil {
				return err
			}
			_, err = b.CreateBucket([]byte("profiles"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	withDB(t, path, func(db *bolt.DB) {
		if err := migrations.Run(db, step); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := schemaOf(t, db); got != 4 {
			t.Errorf("schema = %d, want 4", got)
		}
		err := db.View(func(tx *bolt.Tx) error {
			for _, m := range []string{"a", "b"} {
				for _, b := range []string{"evaluations", "profiles", "checks"} {
					if tx.Bucket([]byte("models")).Bucket([]byte(m)).Bucket([]byte(b)) == nil {
						t.Errorf("model %s has no %s bucket", m, b)
					}
				}
			}
			if got := string(tx.Bucket([]byte("models")).Bucket([]byte("a")).Get([]byte("features"))); got != `["x"]` {
				t.Errorf("model a's features became %q", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
