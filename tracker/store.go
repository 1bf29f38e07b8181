package tracker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/tracker-ml/tracker/migrations"
)

// Errors a caller may want to tell apart; match them with errors.Is.
var (
	// ErrNoStore: the store file does not exist (read-only commands never create one).
	ErrNoStore = errors.New("no tracker store")
	// ErrForeign: the file exists but is not a tracker store.
	ErrForeign = errors.New("not a tracker store")
	// ErrNewerSchema: the store was written by a newer tracker.
	ErrNewerSchema = errors.New("store is newer than this tracker")
	// ErrOlderSchema: the store needs `tracker migrate` first.
	ErrOlderSchema = errors.New("store needs migrating")
	// ErrLocked: another process holds the store for writing.
	ErrLocked = errors.New("store is locked")
	// ErrNotFound: no such model series, week or version.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the week already has a version with different content.
	ErrConflict = errors.New("week already has a different version")
)

// Bucket names (see docs/FORMAT.md).
var (
	bucketModels      = []byte("models")
	bucketBlobs       = []byte("blobs")
	bucketVersions    = []byte("versions")
	bucketWeeks       = []byte("weeks")
	bucketExperiments = []byte("experiments")
	bucketParts       = []byte("parts") // schema 3
)

// Options control how a store is opened.
type Options struct {
	// ReadOnly opens with a shared lock so several readers can run at once,
	// and never creates or changes the file.
	ReadOnly bool
	// LockTimeout is how long to wait for another process's lock; 0 means 10s.
	LockTimeout time.Duration
	// AllowOldSchema opens a store that needs migrating; only `tracker migrate` sets it.
	AllowOldSchema bool
	// Now stamps ingests; nil means time.Now. Tests fix it.
	Now func() time.Time
}

// Store is an open tracker store.
type Store struct {
	db     *bolt.DB
	path   string
	now    func() time.Time
	schema uint32
}

// Open opens the store at path, creating it unless opts.ReadOnly. It refuses
// files that are not tracker stores and schemas this build cannot read.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.LockTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	info, statErr := os.Stat(path)
	if opts.ReadOnly && errors.Is(statErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: ingest a model first (tracker ingest), or point --db or TRACKER_DB at your store", ErrNoStore, path)
	}
	if statErr == nil && info.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory: pass the store file with --db", ErrForeign, path)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: opts.ReadOnly, Timeout: timeout})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w: another tracker process holds %s; wait for it to finish, or raise --lock-timeout (waited %s)", ErrLocked, path, timeout)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("%w: %s is not a tracker store (%v): pass the right file with --db", ErrForeign, path, err)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("open store %s: permission denied: check the file's permissions", path)
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// bbolt grows the file 16 MiB past what it needs by default: a quarter
	// of a year of 82x500x3x2 versions as empty space. Growing 1 MiB at a
	// time costs no extra fsyncs here, since every ingest outgrows any slack
	// anyway (bench/README.md has the figures).
	db.AllocSize = 1 << 20
	s := &Store{db: db, path: path, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.checkSchema(opts); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) checkSchema(opts Options) error {
	var v uint32
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = migrations.Schema(tx)
		return err
	})
	if errors.Is(err, migrations.ErrForeign) {
		return fmt.Errorf("%w: %s is a bbolt database without tracker's marker: pass the right file with --db", ErrForeign, s.path)
	}
	if err != nil {
		return fmt.Errorf("read store %s: %w", s.path, err)
	}
	latest := migrations.Latest()
	switch {
	case v == 0 && !opts.ReadOnly:
		// A new, empty file: bring it to the current schema.
		for _, m := range migrations.Pending(0) {
			if err := migrations.Run(s.db, m); err != nil {
				return fmt.Errorf("create store %s: %w", s.path, err)
			}
		}
		v = latest
	case v == 0:
		return fmt.Errorf("%w: %s is an empty database: ingest a model first", ErrNoStore, s.path)
	case v > latest:
		return fmt.Errorf("%w: %s has schema version %d but this tracker reads up to %d: upgrade tracker", ErrNewerSchema, s.path, v, latest)
	case v < latest && !opts.AllowOldSchema:
		return fmt.Errorf("%w: %s has schema version %d, this tracker uses %d: run `tracker migrate` (back up the file first)", ErrOlderSchema, s.path, v, latest)
	}
	s.schema = v
	return nil
}

// Close releases the file and its lock.
func (s *Store) Close() error { return s.db.Close() }

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Schema is the store's schema version.
func (s *Store) Schema() uint32 { return s.schema }

// Pending lists the migrations the store still needs.
func (s *Store) Pending() []migrations.Migration {
	if s.schema >= migrations.Latest() {
		return nil
	}
	return migrations.Pending(s.schema)
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the ones it applied.
func (s *Store) Migrate() ([]migrations.Migration, error) {
	var done []migrations.Migration
	for _, m := range s.Pending() {
		if err := migrations.Run(s.db, m); err != nil {
			return done, err
		}
		done = append(done, m)
		s.schema = m.To
	}
	return done, nil
}
