package migrations_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/migrations"
)

func TestStepsAreOrderedAndContiguous(t *testing.T) {
	if len(migrations.All) == 0 {
		t.Fatal("All is empty: there must be at least the initial step")
	}
	names := map[string]bool{}
	for i, m := range migrations.All {
		if m.From != uint32(i) || m.To != uint32(i+1) {
			t.Errorf("All[%d] %q goes from %d to %d, want %d to %d", i, m.Name, m.From, m.To, i, i+1)
		}
		if m.Name == "" || m.Description == "" || m.Apply == nil {
			t.Errorf("All[%d] needs a name, a description and Apply: %+v", i, m)
		}
		if names[m.Name] {
			t.Errorf("All[%d]: name %q is used twice", i, m.Name)
		}
		names[m.Name] = true
	}
	if got, want := migrations.Latest(), migrations.All[len(migrations.All)-1].To; got != want {
		t.Errorf("Latest() = %d, want the last step's To, %d", got, want)
	}
}

func TestPendingLeadsFromEachVersionToLatest(t *testing.T) {
	latest := migrations.Latest()
	for from := uint32(0); from <= latest+2; from++ {
		want := 0
		if from < latest {
			want = int(latest - from)
		}
		got := migrations.Pending(from)
		if len(got) != want {
			t.Errorf("Pending(%d) has %d steps, want %d", from, len(got), want)
			continue
		}
		for i, m := range got {
			if m.From != from+uint32(i) {
				t.Errorf("Pending(%d)[%d] %q starts at %d, want %d", from, i, m.Name, m.From, from+uint32(i))
			}
		}
		if want > 0 && got[len(got)-1].To != latest {
			t.Errorf("Pending(%d) ends at %d, want Latest() = %d", from, got[len(got)-1].To, latest)
		}
	}
}

func TestRunOnAFreshDatabaseSetsTheLatestSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	withDB(t, path, func(db *bolt.DB) {
		for _, m := range migrations.Pending(0) {
			if err := migrations.Run(db, m); err != nil {
				t.Fatalf("Run(%q): %v", m.Name, err)
			}
		}
		if got := schemaOf(t, db); got != migrations.Latest() {
			t.Errorf("schema after every step = %d, want %d", got, migrations.Latest())
		}
		err := db.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(migrations.MetaBucket)
			if meta == nil || !bytes.Equal(meta.Get(migrations.FormatKey), migrations.FormatMarker) {
				t.Errorf("meta/format is not %q", migrations.FormatMarker)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestSchema(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(tx *bolt.Tx) error
		want    uint32
		wantErr error
	}{
		{
			name:  "an empty database is version 0",
			setup: func(*bolt.Tx) error { return nil },
			want:  0,
		},
		{
			name:    "a database with other buckets is foreign",
			setup:   putBucket("settings", "k", "v"),
			wantErr: migrations.ErrForeign,
		},
		{
			name:    "a meta bucket without the format marker is foreign",
			setup:   putBucket("meta", "schema", "\x00\x00\x00\x01"),
			wantErr: migrations.ErrForeign,
		},
		{
			name:    "a meta bucket with another marker is foreign",
			setup:   meta("other-store", "\x00\x00\x00\x01"),
			wantErr: migrations.ErrForeign,
		},
		{
			name:    "a marked store without a schema key is foreign",
			setup:   putBucket("meta", "format", "tracker-store"),
			wantErr: migrations.ErrForeign,
		},
		{
			name:    "a schema value that is not 4 bytes is foreign",
			setup:   meta("tracker-store", "\x00\x01"),
			wantErr: migrations.ErrForeign,
		},
		{
			name:  "a marked store reports its big-endian schema",
			setup: meta("tracker-store", "\x00\x00\x01\x02"),
			want:  0x0102,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			withDB(t, path, func(db *bolt.DB) {
				if err := db.Update(tt.setup); err != nil {
					t.Fatal(err)
				}
				var got uint32
				err := db.View(func(tx *bolt.Tx) error {
					var err error
					got, err = migrations.Schema(tx)
					return err
				})
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("Schema: err = %v, want %v", err, tt.wantErr)
					}
					return
				}
				if err != nil || got != tt.want {
					t.Fatalf("Schema = %d, %v; want %d, nil", got, err, tt.want)
				}
			})
		})
	}
}

// TestRunChecksAndBumpsTheVersion runs single steps, including made-up ones,
// against stores at various versions: a step lands with its version bump or
// leaves the file byte-identical.
func TestRunChecksAndBumpsTheVersion(t *testing.T) {
	errBoom := errors.New("boom")
	addBucket := func(name string) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte(name))
			return err
		}
	}
	tests := []struct {
		name       string
		setup      func(tx *bolt.Tx) error
		step       migrations.Migration
		wantErr    error  // nil: the step must land
		wantSchema uint32 // after a step that lands
	}{
		{
			name:       "the initial step creates a store in a fresh database",
			setup:      func(*bolt.Tx) error { return nil },
			step:       migrations.All[0],
			wantSchema: 1,
		},
		{
			name:       "a step from the store's version lands and bumps the version",
			setup:      meta("tracker-store", "\x00\x00\x00\x01"),
			step:       migrations.Migration{Name: "add", From: 1, To: 2, Apply: addBucket("extra")},
			wantSchema: 2,
		},
		{
			name:    "the initial step on a store already at version 1 is refused",
			setup:   meta("tracker-store", "\x00\x00\x00\x01"),
			step:    migrations.All[0],
			wantErr: migrations.ErrVersionMismatch,
		},
		{
			name:    "a step from version 1 on a fresh database is refused",
			setup:   func(*bolt.Tx) error { return nil },
			step:    migrations.Migration{Name: "add", From: 1, To: 2, Apply: addBucket("extra")},
			wantErr: migrations.ErrVersionMismatch,
		},
		{
			name:    "a step from an older version on a newer store is refused",
			setup:   meta("tracker-store", "\x00\x00\x00\x05"),
			step:    migrations.Migration{Name: "add", From: 1, To: 2, Apply: addBucket("extra")},
			wantErr: migrations.ErrVersionMismatch,
		},
		{
			name:    "any step on a foreign database is refused",
			setup:   putBucket("settings", "k", "v"),
			step:    migrations.All[0],
			wantErr: migrations.ErrForeign,
		},
		{
			name:  "a step whose Apply fails writes nothing",
			setup: meta("tracker-store", "\x00\x00\x00\x01"),
			step: migrations.Migration{Name: "fail", From: 1, To: 2, Apply: func(tx *bolt.Tx) error {
				if err := addBucket("extra")(tx); err != nil {
					return err
				}
				return errBoom
			}},
			wantErr: errBoom,
		},
		{
			name:  "a step that deletes the meta bucket is rolled back",
			setup: meta("tracker-store", "\x00\x00\x00\x01"),
			step: migrations.Migration{Name: "drop-meta", From: 1, To: 2, Apply: func(tx *bolt.Tx) error {
				return tx.DeleteBucket(migrations.MetaBucket)
			}},
			wantErr: errAny,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			withDB(t, path, func(db *bolt.DB) {
				if err := db.Update(tt.setup); err != nil {
					t.Fatal(err)
				}
			})
			before := fileSum(t, path)
			withDB(t, path, func(db *bolt.DB) {
				err := migrations.Run(db, tt.step)
				switch {
				case tt.wantErr == nil && err != nil:
					t.Fatalf("Run(%q): %v", tt.step.Name, err)
				case tt.wantErr == nil:
					if got := schemaOf(t, db); got != tt.wantSchema {
						t.Errorf("schema after Run(%q) = %d, want %d", tt.step.Name, got, tt.wantSchema)
					}
				case err == nil:
					t.Fatalf("Run(%q) succeeded, want error %v", tt.step.Name, tt.wantErr)
				case tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
					t.Fatalf("Run(%q): err = %v, want %v", tt.step.Name, err, tt.wantErr)
				}
			})
			if tt.wantErr != nil && fileSum(t, path) != before {
				t.Errorf("Run(%q) failed but changed the file", tt.step.Name)
			}
		})
	}
}

// TestEveryStepRefusesToRunTwice applies every step to a fresh database and
// then runs each again: each must fail with ErrVersionMismatch and leave the
// file as it was.
func TestEveryStepRefusesToRunTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	withDB(t, path, func(db *bolt.DB) {
		for _, m := range migrations.Pending(0) {
			if err := migrations.Run(db, m); err != nil {
				t.Fatalf("Run(%q): %v", m.Name, err)
			}
		}
	})
	before := fileSum(t, path)
	for _, m := range migrations.All {
		withDB(t, path, func(db *bolt.DB) {
			if err := migrations.Run(db, m); !errors.Is(err, migrations.ErrVersionMismatch) {
				t.Errorf("Run(%q) again: err = %v, want %v", m.Name, err, migrations.ErrVersionMismatch)
			}
		})
	}
	if fileSum(t, path) != before {
		t.Error("running applied steps again changed the file")
	}
}

// errAny in a test table accepts any non-nil error.
var errAny = errors.New("any error")

// putBucket returns a setup that creates bucket with one key.
func putBucket(bucket, key, value string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), []byte(value))
	}
}

// meta returns a setup that writes meta/format and meta/schema.
func meta(marker, schema string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		if err := putBucket("meta", "format", marker)(tx); err != nil {
			return err
		}
		return putBucket("meta", "schema", schema)(tx)
	}
}

// withDB opens the bbolt file at path, runs fn, checks the file's
// consistency and closes it.
func withDB(t testing.TB, path string, fn func(db *bolt.DB)) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	fn(db)
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("%s: bbolt check: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func schemaOf(t testing.TB, db *bolt.DB) uint32 {
	t.Helper()
	var v uint32
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(migrations.MetaBucket)
		if b == nil || len(b.Get(migrations.SchemaKey)) != 4 {
			t.Fatal("no 4-byte meta/schema")
		}
		v = binary.BigEndian.Uint32(b.Get(migrations.SchemaKey))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fileSum(t testing.TB, path string) [sha256.Size]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
