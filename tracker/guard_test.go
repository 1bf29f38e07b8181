package tracker

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Damage found through bbolt is tested on real stores (damaged_test.go);
// these are the panics guard must leave alone.
func TestGuardLetsBugsPanic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fn   func() error
		want string // in the panic that must go on up
	}{
		{"a panic in tracker's own code goes on up", func() error { panic("boom") }, "boom"},
		{"a nil pointer dereference goes on up, though it is a memory fault", func() error {
			var s *Store
			return s.Close()
		}, "nil pointer dereference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tc.want) {
					t.Errorf("recovered %v, want a panic saying %q", r, tc.want)
				}
			}()
			err := guard(nil, "s.db", "reading it", tc.fn)
			t.Errorf("guard returned %v, want the panic", err)
		})
	}
}

// bbolt panics when tracker misuses it, as well as on damaged bytes; on a
// sound store such a panic is a bug and must go on up, not send the user
// to restore a backup over a good store.
func TestGuardLetsBugsInsideBboltPanicOnASoundStore(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "tracker.db"), Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, tc := range []struct {
		name string
		fn   func() error
		want string
	}{
		{"a nil bucket's Get in a read goes on up", func() error {
			return s.db.View(func(tx *bolt.Tx) error {
				tx.Bucket([]byte("nosuch")).Get([]byte("k"))
				return nil
			})
		}, "nil pointer dereference"},
		{"a nil bucket's Put in a write goes on up", func() error {
			return s.db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("nosuch")).Put([]byte("k"), []byte("v"))
			})
		}, "nil pointer dereference"},
		{"a commit of a managed transaction goes on up", func() error {
			return s.db.View(func(tx *bolt.Tx) error { return tx.Commit() })
		}, "managed tx commit not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tc.want) {
					t.Errorf("recovered %v, want a panic saying %q", r, tc.want)
				}
			}()
			err := tc.fn()
			t.Errorf("got %v, want the panic", err)
		})
	}
	// The store is still usable: the panics rolled their transactions back.
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		t.Errorf("read after the panics: %v", err)
	}
}
