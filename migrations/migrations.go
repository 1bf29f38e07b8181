package migrations

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Names of the buckets and keys that identify a store. They never change
// across schema versions.
var (
	MetaBucket = []byte("meta")
	FormatKey  = []byte("format")
	SchemaKey  = []byte("schema")
	// FormatMarker is the value under meta/format in every tracker store.
	FormatMarker = []byte("tracker-store")
)

// Errors for steps that cannot run; match them with errors.Is.
var (
	// ErrVersionMismatch: the store is not at the version the step starts from.
	ErrVersionMismatch = errors.New("schema version mismatch")
	// ErrForeign: the file is a bbolt database but not a tracker store.
	ErrForeign = errors.New("not a tracker store")
)

// Migration is one schema step.
type Migration struct {
	Name        string
	Description string
	From, To    uint32
	// Apply changes the buckets; it runs inside the step's transaction after
	// the version check, and its error rolls everything back.
	Apply func(tx *bolt.Tx) error
}

// All lists every step in order; All[i].From == i.
var All = []Migration{
	initial,
	blobBuckets,
	partsBuckets,
	qualityBuckets,
}

// Latest is the schema version this build of tracker writes.
func Latest() uint32 { return All[len(All)-1].To }

// Schema reads a store's schema version. A database with no buckets at all
// is version 0 (new); one with buckets but no tracker marker is ErrForeign.
func Schema(tx *bolt.Tx) (uint32, error) {
	meta := tx.Bucket(MetaBucket)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error {
			empty = false
			return nil
		})
		if empty {
			return 0, nil
		}
		return 0, ErrForeign
	}
	if string(meta.Get(FormatKey)) != string(FormatMarker) {
		return 0, ErrForeign
	}
	v := meta.Get(SchemaKey)
	if len(v) != 4 {
		return 0, fmt.Errorf("%w: meta/schema is %d bytes, want 4", ErrForeign, len(v))
	}
	return binary.BigEndian.Uint32(v), nil
}

// Pending returns the steps that take a store at version from to Latest.
func Pending(from uint32) []Migration {
	if int(from) >= len(All) {
		return nil
	}
	return All[from:]
}

// Run applies m in one transaction: it checks that the store is at m.From,
// applies the step and sets the schema version to m.To.
func Run(db *bolt.DB, m Migration) error {
	return db.Update(func(tx *bolt.Tx) error { return apply(tx, m) })
}

// Init brings a new, empty database to the latest schema inside tx, every
// step in the one transaction: a crash while creating a store then leaves
// an empty file or a whole store, never one at an older schema that the
// next ingest refuses.
func Init(tx *bolt.Tx) error {
	for _, m := range Pending(0) {
		if err := apply(tx, m); err != nil {
			return err
		}
	}
	return nil
}

func apply(tx *bolt.Tx, m Migration) error {
	v, err := Schema(tx)
	if err != nil {
		return err
	}
	if v != m.From {
		return fmt.Errorf("%w: step %q goes from version %d to %d but the store is at version %d", ErrVersionMismatch, m.Name, m.From, m.To, v)
	}
	if err := m.Apply(tx); err != nil {
		return fmt.Errorf("step %q: %w", m.Name, err)
	}
	meta := tx.Bucket(MetaBucket)
	if meta == nil {
		return fmt.Errorf("step %q left no meta bucket", m.Name)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], m.To)
	return meta.Put(SchemaKey, b[:])
}
