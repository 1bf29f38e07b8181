package tracker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/migrations"
)

// Errors a caller may want to tell apart; match them with errors.Is.
var (
	// ErrNoStore: there is no store at the path: no file (read-only
	// commands never create one; the error matches ErrNoFile too), or an
	// empty bbolt database.
	ErrNoStore = errors.New("no tracker store")
	// ErrNoFile: nothing exists at the store's path. It comes with ErrNoStore.
	ErrNoFile = errors.New("no store file")
	// ErrForeign: the file exists but is not a tracker store. The error
	// matches ErrIsDir or ErrWrongFile too when the caller named the wrong
	// path; an empty file or a named pipe matches neither.
	ErrForeign = errors.New("not a tracker store")
	// ErrIsDir: the store's path is a directory. It comes with ErrForeign.
	ErrIsDir = errors.New("store path is a directory")
	// ErrWrongFile: the file is another program's (not a bbolt database, or
	// one without tracker's marker). It comes with ErrForeign.
	ErrWrongFile = errors.New("another program's file")
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
	// ErrDamaged: the store's bytes are not what bbolt wrote (cut short,
	// overwritten); the error is a *DamagedError naming the file and what
	// was found. Nothing but a backup brings the lost bytes back.
	ErrDamaged = errors.New("store is damaged")
	// ErrExists: a backup would replace an existing file.
	ErrExists = errors.New("file already exists")
	// ErrNoVersions: the model series holds no version yet.
	ErrNoVersions = errors.New("no versions")
	// ErrBadWeek: a week was not written as a date.
	ErrBadWeek = errors.New("not a week")
	// ErrNoFeature: a feature past the inputs of the model's versions.
	ErrNoFeature = errors.New("no such feature")
	// ErrNoRecord: no record of the experiment asked for.
	ErrNoRecord = errors.New("no such record")
)

// alsoError is err that matches kind too, with err's message: a finer kind
// (ErrIsDir) of a broad one (ErrForeign) that err already wraps.
type alsoError struct {
	err  error
	kind error
}

func (e alsoError) Error() string        { return e.err.Error() }
func (e alsoError) Unwrap() error        { return e.err }
func (e alsoError) Is(target error) bool { return target == e.kind }

func also(kind, err error) error { return alsoError{err, kind} }

// noFile is the refusal of a read-only open where no file exists.
func noFile(path string) error {
	return also(ErrNoFile, fmt.Errorf("%w at %s: ingest a model first (tracker ingest)", ErrNoStore, path))
}

// wrongFile is the refusal of a file another program wrote: ErrForeign's
// words, then the facts format states.
func wrongFile(format string, args ...any) error {
	return also(ErrWrongFile, fmt.Errorf("%w: "+format, append([]any{ErrForeign}, args...)...))
}

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
	db     boltDB
	file   *os.File // bbolt's own file, which checkStructure reads
	path   string
	now    func() time.Time
	schema uint32
}

// Open opens the store at path, creating it unless opts.ReadOnly. It refuses
// files that are not tracker stores, schemas this build cannot read, and
// files too damaged to map safely.
//
// A new store comes into being whole or not at all: it is built at the
// latest schema in a temporary file beside path and linked into place (see
// create), so a crash while creating leaves no store, never a half-made one.
// A 0-byte file at path is refused, for reading and for writing: it may be
// a placeholder someone else is about to fill, and cannot be replaced
// atomically without the risk of replacing a store made meanwhile.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.LockTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	var db *bolt.DB
	var file *os.File
	for attempt := 0; ; attempt++ {
		info, statErr := os.Stat(path)
		if opts.ReadOnly && errors.Is(statErr, fs.ErrNotExist) {
			return nil, noFile(path)
		}
		if statErr == nil && info.IsDir() {
			return nil, also(ErrIsDir, fmt.Errorf("%w: %s is a directory", ErrForeign, path))
		}
		if statErr == nil {
			if err := safefile.Check(path); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrForeign, err)
			}
		}
		if !opts.ReadOnly {
			removeStrays(path)
			if errors.Is(statErr, fs.ErrNotExist) {
				err := create(path, timeout)
				if errors.Is(err, errRetry) && attempt < 3 {
					continue
				}
				if err != nil {
					return nil, err
				}
			}
		}
		var err error
		db, file, err = openBolt(path, opts.ReadOnly, timeout)
		if errors.Is(err, fs.ErrNotExist) && !opts.ReadOnly && attempt < 3 {
			continue // removed between the stat and the open: create it
		}
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("%w: another tracker process holds %s (waited %s)", ErrLocked, path, timeout)
		case errors.Is(err, ErrDamaged), errors.Is(err, ErrForeign):
			return nil, err
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
			return nil, wrongFile("%s is not a tracker store (%v)", path, err)
		case errors.Is(err, fs.ErrNotExist) && opts.ReadOnly:
			return nil, noFile(path)
		case errors.Is(err, fs.ErrPermission):
			return nil, fmt.Errorf("open store %s: permission denied: check the file's permissions", path)
		case err != nil:
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		break
	}
	// bbolt grows the file 16 MiB past what it needs by default: a quarter
	// of a year of 82x500x3x2 versions as empty space. Growing 1 MiB at a
	// time costs no extra fsyncs here, since every ingest outgrows any slack
	// anyway (bench/README.md has the figures).
	db.AllocSize = 1 << 20
	s := &Store{db: boltDB{db, path}, file: file, path: path, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.checkSchema(opts); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openBolt opens path with bbolt, first checking through bbolt's own file
// handle (its OpenFile hook) that mapping the file is safe. It never
// creates the file: create does that, whole. file is bbolt's handle.
func openBolt(path string, readOnly bool, timeout time.Duration) (db *bolt.DB, file *os.File, err error) {
	openFile := func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag&^os.O_CREATE, perm)
		if err != nil || file != nil {
			return f, err
		}
		if err := precheck(f, path); err != nil {
			f.Close()
			return nil, err
		}
		file = f
		return f, nil
	}
	returned := false
	err = guard(nil, path, "opening it", func() error {
		var err error
		// PreLoadFreelist reads the freelist here, on a guarded goroutine,
		// rather than in Tx.Check's own goroutine, where a fault on a
		// damaged freelist could not be recovered.
		db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: readOnly, Timeout: timeout, OpenFile: openFile, PreLoadFreelist: true})
		returned = true
		return err
	})
	if !returned && file != nil {
		// bbolt panicked while opening: release its file and lock. Its
		// memory map stays until the process ends.
		file.Close()
	}
	if err != nil {
		return nil, nil, err
	}
	return db, file, nil
}

func (s *Store) checkSchema(opts Options) error {
	var v uint32
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = migrations.Schema(tx)
		return err
	})
	if errors.Is(err, migrations.ErrForeign) {
		return wrongFile("%s is a bbolt database without tracker's marker", s.path)
	}
	if err != nil {
		return fmt.Errorf("read store %s: %w", s.path, err)
	}
	latest := migrations.Latest()
	switch {
	case v == 0 && !opts.ReadOnly:
		// An empty bbolt database (tracker's own new stores never are):
		// bring it to the current schema in one transaction.
		if err := s.db.Update(migrations.Init); err != nil {
			return fmt.Errorf("create store %s: %w", s.path, err)
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
		if err := guard(s.db.DB, s.path, "migrating it", func() error { return migrations.Run(s.db.DB, m) }); err != nil {
			return done, err
		}
		done = append(done, m)
		s.schema = m.To
	}
	return done, nil
}
