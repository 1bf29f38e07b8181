package tracker

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// An unfinished experiment keeps its finished pieces (each training of a
// drop-retrain) in models/<name>/parts/<version><id>/, so an interrupted
// run resumes where it stopped. Record removes them when the whole
// experiment lands. The ID covers kind, parameters, data and seed, so
// pieces of runs that differ in any of them never meet.
var (
	partsIdentityKey = []byte("experiment") // JSON of the experiment's identity
	partPrefix       = "part/"
)

// ErrPartConflict: a piece is already stored with a different result.
var ErrPartConflict = errors.New("a different result is already stored")

// SaveParts stores finished pieces of experiment e (its identity: kind,
// params, data, seed) against a version, all in one transaction. A piece
// already stored with the same bytes is skipped; one stored with other
// bytes fails the whole call with ErrPartConflict. It returns how many
// pieces were new.
func (s *Store) SaveParts(model string, version uint64, e *Experiment, parts map[string][]byte) (added int, err error) {
	identity, err := json.Marshal(identityOf(e))
	if err != nil {
		return 0, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		if _, err := getVersion(mb.Bucket(bucketVersions), version); err != nil {
			return fmt.Errorf("model %q: %w", model, err)
		}
		key := experimentKey(version, e.ID())
		if mb.Bucket(bucketExperiments).Get(key) != nil {
			return fmt.Errorf("model %q version %d already holds the finished %s experiment", model, version, e.Kind)
		}
		all, err := partsBucket(mb)
		if err != nil {
			return err
		}
		b, err := all.CreateBucketIfNotExists(key)
		if err != nil {
			return err
		}
		if err := b.Put(partsIdentityKey, identity); err != nil {
			return err
		}
		for k, v := range parts {
			pk := []byte(partPrefix + k)
			if old := b.Get(pk); old != nil {
				if string(old) != string(v) {
					return fmt.Errorf("%w: %s %q of model %q version %d", ErrPartConflict, e.Kind, k, model, version)
				}
				continue
			}
			if err := b.Put(pk, v); err != nil {
				return err
			}
			added++
		}
		if added == 0 {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	if err != nil {
		return 0, err
	}
	return added, nil
}

// Parts returns the stored pieces of unfinished experiment e, by key; none
// is an empty map.
func (s *Store) Parts(model string, version uint64, e *Experiment) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		all, err := partsBucket(mb)
		if err != nil {
			return err
		}
		b := all.Bucket(experimentKey(version, e.ID()))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if name, ok := cutPrefix(k, partPrefix); ok {
				out[name] = append([]byte(nil), v...)
			}
			return nil
		})
	})
	return out, err
}

func cutPrefix(k []byte, prefix string) (string, bool) {
	if len(k) < len(prefix) || string(k[:len(prefix)]) != prefix {
		return "", false
	}
	return string(k[len(prefix):]), true
}

func partsBucket(mb *bolt.Bucket) (*bolt.Bucket, error) {
	b := mb.Bucket(bucketParts)
	if b == nil {
		return nil, fmt.Errorf("the store has no parts bucket: run tracker migrate")
	}
	return b, nil
}

// identity is what an experiment's ID covers.
type identity struct {
	Kind   string            `json:"kind"`
	Params map[string]string `json:"params"`
	Data   string            `json:"data"`
	Rows   int               `json:"rows"`
	Seed   int64             `json:"seed"`
}

func identityOf(e *Experiment) identity {
	return identity{e.Kind, e.Params, e.DataSHA256, e.DataRows, e.Seed}
}
