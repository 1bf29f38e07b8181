package tracker_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/migrations"
	"github.com/tracker-ml/tracker/tracker"
)

// setSchema overwrites meta/schema of the closed store at path.
func setSchema(tb testing.TB, path string, v []byte) {
	tb.Helper()
	rawUpdate(tb, path, func(tx *bolt.Tx) error {
		return tx.Bucket(migrations.MetaBucket).Put(migrations.SchemaKey, v)
	})
}

func schemaBytes(v uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, v)
}

// path0 is the file name TestOpenRefusesFilesThatAreNotStores opens.
const path0 = "store.db"

func TestOpenRefusesFilesThatAreNotStores(t *testing.T) {
	t.Parallel()
	randomBytes := func(n int) []byte {
		rng := rand.New(rand.NewPCG(1, 2))
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for _, tc := range []struct {
		name string
		make func(tb testing.TB, path string)
		want error
		msg  string // a part of the error message
	}{
		{
			name: "three pages of random bytes are foreign",
			make: func(tb testing.TB, path string) {
				if err := os.WriteFile(path, randomBytes(3*4096), 0o644); err != nil {
					tb.Fatal(err)
				}
			},
			want: tracker.ErrForeign, msg: "not a tracker store",
		},
		{
			name: "a one-line text file is foreign",
			make: func(tb testing.TB, path string) {
				if err := os.WriteFile(path, []byte("week,feature,importance\n"), 0o644); err != nil {
					tb.Fatal(err)
				}
			},
			want: tracker.ErrWrongFile, msg: "not a tracker store (not a bbolt database)",
		},
		{
			name: "a long text file is foreign",
			make: func(tb testing.TB, path string) {
				if err := os.WriteFile(path, []byte(strings.Repeat("feature_1,0.25\n", 2000)), 0o644); err != nil {
					tb.Fatal(err)
				}
			},
			want: tracker.ErrForeign, msg: "not a tracker store",
		},
		{
			name: "a bbolt database with other buckets is foreign",
			make: func(tb testing.TB, path string) {
				rawUpdate(tb, path, func(tx *bolt.Tx) error {
					b, err := tx.CreateBucket([]byte("sessions"))
					if err != nil {
						return err
					}
					return b.Put([]byte("k"), []byte("v"))
				})
			},
			want: tracker.ErrForeign, msg: "without tracker's marker",
		},
		{
			name: "a bbolt database whose meta bucket has another marker is foreign",
			make: func(tb testing.TB, path string) {
				rawUpdate(tb, path, func(tx *bolt.Tx) error {
					b, err := tx.CreateBucket(migrations.MetaBucket)
					if err != nil {
						return err
					}
					if err := b.Put(migrations.FormatKey, []byte("other-store")); err != nil {
						return err
					}
					return b.Put(migrations.SchemaKey, schemaBytes(1))
				})
			},
			want: tracker.ErrForeign, msg: "without tracker's marker",
		},
		{
			name: "a store whose schema is 2 bytes long is foreign",
			make: func(tb testing.TB, path string) {
				s, err := tracker.Open(path, tracker.Options{})
				if err != nil {
					tb.Fatal(err)
				}
				s.Close()
				setSchema(tb, path, []byte{0, 1})
			},
			want: tracker.ErrForeign, msg: path0,
		},
		{
			name: "a store one schema newer than this tracker must be upgraded",
			make: func(tb testing.TB, path string) {
				s, err := tracker.Open(path, tracker.Options{})
				if err != nil {
					tb.Fatal(err)
				}
				s.Close()
				setSchema(tb, path, schemaBytes(migrations.Latest()+1))
			},
			want: tracker.ErrNewerSchema, msg: "upgrade tracker",
		},
		{
			name: "a store far newer than this tracker must be upgraded",
			make: func(tb testing.TB, path string) {
				s, err := tracker.Open(path, tracker.Options{})
				if err != nil {
					tb.Fatal(err)
				}
				s.Close()
				setSchema(tb, path, schemaBytes(1<<32-1))
			},
			want: tracker.ErrNewerSchema, msg: "reads up to",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), path0)
			tc.make(t, path)
			before := fileBytes(t, path)
			for _, readOnly := range []bool{false, true} {
				s, err := tracker.Open(path, tracker.Options{ReadOnly: readOnly, LockTimeout: time.Second})
				if err == nil {
					s.Close()
					t.Fatalf("open (read-only %v) succeeded, want %v", readOnly, tc.want)
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("open (read-only %v): %v, want %v", readOnly, err, tc.want)
				}
				if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), path) {
					t.Errorf("open (read-only %v): %q does not mention %q and the path", readOnly, err, tc.msg)
				}
				requireBytes(t, path, before)
			}
		})
	}
}

// TestOpenTellsWhatIsAtTheWrongPath checks the finer kinds a caller uses
// to say which path to give instead: each comes with its broad kind, and
// files that need another next step (an empty file, an empty database, a
// named pipe) match none of them.
func TestOpenTellsWhatIsAtTheWrongPath(t *testing.T) {
	t.Parallel()
	kinds := []error{tracker.ErrNoStore, tracker.ErrNoFile, tracker.ErrForeign, tracker.ErrIsDir, tracker.ErrWrongFile}
	for _, tc := range []struct {
		name     string
		make     func(tb testing.TB, path string) // nil: nothing at path
		readOnly bool
		want     []error // of kinds, exactly these match
	}{
		{"no file, read-only, is no store and no file", nil, true,
			[]error{tracker.ErrNoStore, tracker.ErrNoFile}},
		{"a directory is foreign and a directory", func(tb testing.TB, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				tb.Fatal(err)
			}
		}, false, []error{tracker.ErrForeign, tracker.ErrIsDir}},
		{"a text file is foreign and another program's", func(tb testing.TB, path string) {
			if err := os.WriteFile(path, []byte("week,feature,importance\n"), 0o644); err != nil {
				tb.Fatal(err)
			}
		}, false, []error{tracker.ErrForeign, tracker.ErrWrongFile}},
		{"a bbolt database without the marker is foreign and another program's", func(tb testing.TB, path string) {
			rawUpdate(tb, path, func(tx *bolt.Tx) error {
				_, err := tx.CreateBucket([]byte("sessions"))
				return err
			})
		}, true, []error{tracker.ErrForeign, tracker.ErrWrongFile}},
		{"an empty bbolt database, read-only, is only no store", func(tb testing.TB, path string) {
			rawUpdate(tb, path, func(*bolt.Tx) error { return nil })
		}, true, []error{tracker.ErrNoStore}},
		{"a 0-byte file is only foreign", func(tb testing.TB, path string) {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				tb.Fatal(err)
			}
		}, false, []error{tracker.ErrForeign}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), path0)
			if tc.make != nil {
				tc.make(t, path)
			}
			s, err := tracker.Open(path, tracker.Options{ReadOnly: tc.readOnly, LockTimeout: time.Second})
			if err == nil {
				s.Close()
				t.Fatal("open succeeded")
			}
			for _, k := range kinds {
				want := slices.Contains(tc.want, k)
				if errors.Is(err, k) != want {
					t.Errorf("errors.Is(%q, %v) = %v, want %v", err, k, !want, want)
				}
			}
		})
	}
}

func TestOpenNewerSchemaSaysUpgrade(t *testing.T) {
	t.Parallel()
	path := storePath(t)
	s, err := tracker.Open(path, tracker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	setSchema(t, path, schemaBytes(migrations.Latest()+1))
	_, err = tracker.Open(path, tracker.Options{LockTimeout: time.Second})
	if !errors.Is(err, tracker.ErrNewerSchema) {
		t.Fatalf("open: %v, want ErrNewerSchema", err)
	}
	want := fmt.Sprintf("has schema version %d but this tracker reads up to %d: upgrade tracker", migrations.Latest()+1, migrations.Latest())
	if !strings.HasSuffix(err.Error(), want) {
		t.Errorf("open: %q, want it to end %q", err, want)
	}
}

func TestOpenReadOnlyMissingFileCreatesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "missing.db")
	s, err := tracker.Open(path, tracker.Options{ReadOnly: true})
	if err == nil {
		s.Close()
		t.Fatal("read-only open of a missing file succeeded")
	}
	if !errors.Is(err, tracker.ErrNoStore) {
		t.Errorf("open: %v, want ErrNoStore", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "tracker ingest") {
		t.Errorf("open: %q should name the file and the next step", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat after a read-only open: %v, want no file", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("read-only open left %d entries in the directory", len(ents))
	}
}

func TestOpenReadOnlyEmptyBboltFileIsNoStore(t *testing.T) {
	t.Parallel()
	path := storePath(t)
	rawUpdate(t, path, func(*bolt.Tx) error { return nil })
	before := fileBytes(t, path)
	_, err := tracker.Open(path, tracker.Options{ReadOnly: true, LockTimeout: time.Second})
	if !errors.Is(err, tracker.ErrNoStore) {
		t.Errorf("open: %v, want ErrNoStore", err)
	}
	requireBytes(t, path, before)

	// A writer turns the empty database into a store.
	s := openStore(t, path, tracker.Options{})
	if s.Schema() != migrations.Latest() {
		t.Errorf("schema %d, want %d", s.Schema(), migrations.Latest())
	}
}

func TestOpenDirectoryIsForeign(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, readOnly := range []bool{false, true} {
		_, err := tracker.Open(dir, tracker.Options{ReadOnly: readOnly, LockTimeout: time.Second})
		if !errors.Is(err, tracker.ErrForeign) {
			t.Errorf("open directory (read-only %v): %v, want ErrForeign", readOnly, err)
		}
		if err != nil && !strings.Contains(err.Error(), "directory") {
			t.Errorf("open directory: %q does not say it is a directory", err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("open left %d entries in the directory", len(ents))
	}
}

func TestOpenCreatesAtLatestSchema(t *testing.T) {
	t.Parallel()
	s, path := newStore(t)
	if s.Schema() != migrations.Latest() || len(s.Pending()) != 0 || s.Path() != path {
		t.Errorf("new store: schema %d, %d pending, path %s; want %d, 0, %s", s.Schema(), len(s.Pending()), s.Path(), migrations.Latest(), path)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rawView(t, path, func(tx *bolt.Tx) error {
		v, err := migrations.Schema(tx)
		if err != nil || v != migrations.Latest() {
			t.Errorf("raw schema %d, %v; want %d", v, err, migrations.Latest())
		}
		for _, name := range []string{"meta", "models", "blobs"} {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("no %s bucket", name)
			}
		}
		return nil
	})
	before := fileBytes(t, path)
	r := openStore(t, path, tracker.Options{ReadOnly: true})
	if models, err := r.Models(); err != nil || len(models) != 0 {
		t.Errorf("models of a new store: %v, %v", models, err)
	}
	r.Close()
	w := openStore(t, path, tracker.Options{})
	w.Close()
	requireBytes(t, path, before)
}

func TestOpenLocking(t *testing.T) {
	t.Parallel()

	t.Run("a second writer times out with ErrLocked", func(t *testing.T) {
		t.Parallel()
		_, path := newStore(t)
		for _, readOnly := range []bool{false, true} {
			s, err := tracker.Open(path, tracker.Options{ReadOnly: readOnly, LockTimeout: 200 * time.Millisecond})
			if err == nil {
				s.Close()
				t.Fatalf("open (read-only %v) while a writer holds the store succeeded", readOnly)
			}
			if !errors.Is(err, tracker.ErrLocked) {
				t.Errorf("open (read-only %v): %v, want ErrLocked", readOnly, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "another tracker process") || !strings.Contains(msg, path) || !strings.Contains(msg, "200ms") {
				t.Errorf("open (read-only %v): %q should say another tracker process holds %s and how long it waited", readOnly, msg, path)
			}
		}
	})

	t.Run("two readers open at once", func(t *testing.T) {
		t.Parallel()
		w, path := newStore(t)
		mustIngest(t, w, request("m", week(0), model(t, 1, small)))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		before := fileBytes(t, path)
		r1 := openStore(t, path, tracker.Options{ReadOnly: true, LockTimeout: 200 * time.Millisecond})
		r2 := openStore(t, path, tracker.Options{ReadOnly: true, LockTimeout: 200 * time.Millisecond})
		for _, r := range []*tracker.Store{r1, r2} {
			if vs, err := r.Versions("m"); err != nil || len(vs) != 1 {
				t.Errorf("versions: %d, %v; want 1", len(vs), err)
			}
		}
		// A writer must wait for both readers.
		if _, err := tracker.Open(path, tracker.Options{LockTimeout: 200 * time.Millisecond}); !errors.Is(err, tracker.ErrLocked) {
			t.Errorf("writer open while two readers hold the store: %v, want ErrLocked", err)
		}
		r1.Close()
		r2.Close()
		requireBytes(t, path, before)
	})

	t.Run("a writer waits for the first to close", func(t *testing.T) {
		t.Parallel()
		first, path := newStore(t)
		type opened struct {
			s   *tracker.Store
			err error
		}
		done := make(chan opened, 1)
		go func() {
			s, err := tracker.Open(path, tracker.Options{LockTimeout: 10 * time.Second})
			done <- opened{s, err}
		}()
		time.Sleep(150 * time.Millisecond)
		select {
		case o := <-done:
			if o.s != nil {
				o.s.Close()
			}
			t.Fatalf("second writer did not wait for the first: %v", o.err)
		default:
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		o := <-done
		if o.err != nil {
			t.Fatalf("second writer after the first closed: %v", o.err)
		}
		defer o.s.Close()
		mustIngest(t, o.s, request("m", week(0), model(t, 1, small)))
	})
}

// toSchema1 turns the closed current store at path into what schema 1
// wrote: every blob a plain value of the blobs bucket.
func toSchema1(tb testing.TB, path string) {
	tb.Helper()
	rawUpdate(tb, path, func(tx *bolt.Tx) error {
		blobs := tx.Bucket([]byte("blobs"))
		type blob struct{ k, v []byte }
		var all []blob
		err := blobs.ForEachBucket(func(k []byte) error {
			all = append(all, blob{bytes.Clone(k), bytes.Clone(blobs.Bucket(k).Get([]byte("f32le")))})
			return nil
		})
		if err != nil {
			return err
		}
		for _, b := range all {
			if err := blobs.DeleteBucket(b.k); err != nil {
				return err
			}
			if err := blobs.Put(b.k, b.v); err != nil {
				return err
			}
		}
		return tx.Bucket(migrations.MetaBucket).Put(migrations.SchemaKey, schemaBytes(1))
	})
}

func TestOpenOlderSchema(t *testing.T) {
	t.Parallel()
	if migrations.Latest() < 2 {
		t.Skip("no schema older than the latest can hold data")
	}
	s, path := newStore(t)
	snap := model(t, 1, small)
	mustIngest(t, s, request("m", week(0), snap), request("m", week(1), model(t, 2, small)))
	toSchema1(t, closed(t, s, path))
	before := fileBytes(t, path)

	for _, readOnly := range []bool{false, true} {
		_, err := tracker.Open(path, tracker.Options{ReadOnly: readOnly, LockTimeout: time.Second})
		if !errors.Is(err, tracker.ErrOlderSchema) {
			t.Fatalf("open (read-only %v): %v, want ErrOlderSchema", readOnly, err)
		}
		want := fmt.Sprintf("has schema version 1, this tracker uses %d: run `tracker migrate` (back up the file first)", migrations.Latest())
		if !strings.HasSuffix(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("open (read-only %v): %q, want it to name the file and end %q", readOnly, err, want)
		}
	}
	requireBytes(t, path, before)

	// Only migrate opens it, and lists what it will do without writing.
	r := openStore(t, path, tracker.Options{ReadOnly: true, AllowOldSchema: true})
	if r.Schema() != 1 || len(r.Pending()) != int(migrations.Latest())-1 || r.Pending()[0].From != 1 {
		t.Errorf("schema %d, pending %+v; want 1 and the steps from 1", r.Schema(), r.Pending())
	}
	requireBytes(t, closed(t, r, path), before)

	w := openStore(t, path, tracker.Options{AllowOldSchema: true})
	done, err := w.Migrate()
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if len(done) != int(migrations.Latest())-1 || w.Schema() != migrations.Latest() || len(w.Pending()) != 0 {
		t.Errorf("migrate applied %d steps, schema %d, %d pending", len(done), w.Schema(), len(w.Pending()))
	}
	requireClean(t, w)
	got, err := w.Snapshot("m", 1)
	if err != nil {
		t.Fatal(err)
	}
	requireSameSnapshot(t, got, snap)
	if again, err := w.Migrate(); err != nil || len(again) != 0 {
		t.Errorf("second migrate: %d steps, %v; want none", len(again), err)
	}
	closed(t, w, path)
	if n := len(blobKeys(t, path)); n != 8 {
		t.Errorf("%d blob buckets after migrating, want 8", n)
	}
	openStore(t, path, tracker.Options{ReadOnly: true}) // no longer needs AllowOldSchema
}
