package tracker

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Record stores experiments against an existing version in one
// transaction: all land or none do. An experiment with the ID of one
// already stored is left as it was; added[i] says which were new.
func (s *Store) Record(model string, version uint64, exps []Experiment) (added []bool, err error) {
	encs := make([][]byte, len(exps))
	for i := range exps {
		if encs[i], err = encodeExperiment(&exps[i]); err != nil {
			return nil, err
		}
	}
	added = make([]bool, len(exps))
	err = s.db.Update(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		rec, err := getVersion(mb.Bucket(bucketVersions), version)
		if err != nil {
			return fmt.Errorf("model %q: %w", model, err)
		}
		b := mb.Bucket(bucketExperiments)
		for i := range exps {
			if n := len(exps[i].Value); n != rec.Inputs {
				return fmt.Errorf("experiment %s has %d values, but model %q version %d has %d inputs", exps[i].Kind, n, model, version, rec.Inputs)
			}
			k := experimentKey(version, exps[i].ID())
			if b.Get(k) != nil {
				continue
			}
			if err := b.Put(k, encs[i]); err != nil {
				return err
			}
			added[i] = true
			// The finished experiment replaces its pieces.
			if parts := mb.Bucket(bucketParts); parts != nil && parts.Bucket(k) != nil {
				if err := parts.DeleteBucket(k); err != nil {
					return err
				}
			}
		}
		if !slices.Contains(added, true) {
			return errUnchanged // leave the file byte-identical
		}
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return nil, err
	}
	return added, nil
}

// featuresKey holds a model series' feature names in its bucket: a JSON
// array, one name per input, index order.
var featuresKey = []byte("features")

// Features returns a series' feature names, or nil when none were set.
func (s *Store) Features(model string) ([]string, error) {
	var names []string
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		v := mb.Get(featuresKey)
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(v, &names); err != nil {
			return fmt.Errorf("model %q: the stored feature names are damaged: %w", model, err)
		}
		return nil
	})
	return names, err
}

// SetFeatures stores a series' feature names. There must be one per input
// of the series' newest version, each non-empty and distinct, so a feature
// can be addressed by name.
func (s *Store) SetFeatures(model string, names []string) error {
	if err := checkFeatureNames(names); err != nil {
		return err
	}
	enc, err := json.Marshal(names)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		k, v := mb.Bucket(bucketVersions).Cursor().Last()
		if k == nil {
			return noVersions(model)
		}
		var rec versionRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("model %q version %d record is damaged: %w", model, beUint64(k), err)
		}
		if len(names) != rec.Inputs {
			return fmt.Errorf("%d feature names for model %q, whose newest version (week %s) has %d inputs: give one name per input, in column order", len(names), model, rec.Week, rec.Inputs)
		}
		return mb.Put(featuresKey, enc)
	})
}

func checkFeatureNames(names []string) error {
	seen := map[string]int{}
	for i, n := range names {
		if n == "" {
			return fmt.Errorf("feature %d has an empty name", i)
		}
		if j, ok := seen[n]; ok {
			return fmt.Errorf("features %d and %d are both named %q: names must be distinct", j, i, n)
		}
		seen[n] = i
	}
	if len(names) == 0 {
		return fmt.Errorf("no feature names given")
	}
	return nil
}
