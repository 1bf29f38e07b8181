package migrations_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/migrations"
)

func TestInit(t *testing.T) {
	t.Run("a new database reaches the latest schema in one transaction", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.db")
		withDB(t, path, func(db *bolt.DB) {
			if err := db.Update(migrations.Init); err != nil {
				t.Fatal(err)
			}
			if got := schemaOf(t, db); got != migrations.Latest() {
				t.Errorf("schema after Init = %d, want %d", got, migrations.Latest())
			}
			var txid int
			_ = db.View(func(tx *bolt.Tx) error { txid = tx.ID(); return nil })
			if txid != 2 {
				t.Errorf("after Init the database is at transaction %d, want 2: one commit after bbolt's own first", txid)
			}
		})
	})

	t.Run("a database that is not new is refused and left as it was", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "old.db")
		withDB(t, path, func(db *bolt.DB) {
			if err := migrations.Run(db, migrations.All[0]); err != nil {
				t.Fatal(err)
			}
		})
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		withDB(t, path, func(db *bolt.DB) {
			if err := db.Update(migrations.Init); !errors.Is(err, migrations.ErrVersionMismatch) {
				t.Errorf("Init on a schema-1 database: %v, want %v", err, migrations.ErrVersionMismatch)
			}
		})
		if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
			t.Error("a refused Init changed the file")
		}
	})
}
