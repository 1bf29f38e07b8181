package tracker

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// VerifyReport is what Verify checked and what it found wrong.
type VerifyReport struct {
	Models, Versions, Blobs, Experiments int
	Problems                             []string
	// Damaged says some problems are in bbolt's pages, not in tracker's
	// records: only a backup restores such a store. A damaged meta page
	// alone is a problem but not Damaged (see checkStructure).
	Damaged bool
}

// Verify checks the file's pages first, its meta pages and b+trees (see
// checkStructure), then re-reads every version, blob and experiment,
// checking blob checksums, content hashes, the week index and that every
// stored number can be written out. When the pages are damaged it stops
// there: reading records through damaged pages is what crashes. It
// changes nothing.
func (s *Store) Verify() (VerifyReport, error) {
	var r VerifyReport
	err := s.db.View(func(tx *bolt.Tx) error {
		note, problems := checkStructure(tx, s.file)
		if note != "" {
			// Not Damaged: the store is whole as of the previous commit,
			// and a backup would most likely be older still.
			r.Problems = append(r.Problems, note)
		}
		if len(problems) > 0 {
			r.Problems, r.Damaged = append(r.Problems, problems...), true
			return nil
		}
		s.verifyRecords(tx, &r)
		return nil
	})
	return r, err
}

// verifyRecords checks what tracker stored, once the pages are sound.
func (s *Store) verifyRecords(tx *bolt.Tx, r *VerifyReport) {
	problem := func(format string, args ...any) {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
	models, blobs := tx.Bucket(bucketModels), tx.Bucket(bucketBlobs)
	if models == nil || blobs == nil {
		problem("the store has no models or blobs bucket")
		return
	}
	used := map[string]bool{}
	{
		err := models.ForEachBucket(func(name []byte) error {
			model := string(name)
			r.Models++
			mb := models.Bucket(name)
			versions, weeks, exps := mb.Bucket(bucketVersions), mb.Bucket(bucketWeeks), mb.Bucket(bucketExperiments)
			if versions == nil || weeks == nil || exps == nil {
				problem("model %q: missing versions, weeks or experiments bucket", model)
				return nil
			}
			inputs := map[uint64]int{}
			indexed := map[uint64]string{}
			_ = weeks.ForEach(func(k, _ []byte) error {
				if len(k) != len(weekLayout)+8 {
					problem("model %q: week index key %x has the wrong length", model, k)
					return nil
				}
				indexed[beUint64(k[len(weekLayout):])] = string(k[:len(weekLayout)])
				return nil
			})
			_ = versions.ForEach(func(k, _ []byte) error {
				r.Versions++
				if len(k) != 8 {
					problem("model %q: version key %x is not 8 bytes", model, k)
					return nil
				}
				v := beUint64(k)
				rec, err := getVersion(versions, v)
				if err != nil {
					problem("model %q: %v", model, err)
					return nil
				}
				inputs[v] = rec.Inputs
				if rec.Version != v {
					problem("model %q: version %d's record says version %d", model, v, rec.Version)
				}
				if w, ok := indexed[v]; !ok || w != rec.Week {
					problem("model %q version %d (week %s): missing from the week index", model, v, rec.Week)
				}
				delete(indexed, v)
				for _, l := range rec.Layers {
					for _, t := range l.Tensors {
						used[t.Blob] = true
					}
				}
				if _, err := rebuild(blobs, rec); err != nil {
					problem("model %q version %d (week %s): %v", model, v, rec.Week, err)
				}
				return nil
			})
			for v, w := range indexed {
				problem("model %q: week index lists version %d (week %s), which does not exist", model, v, w)
			}
			_ = exps.ForEach(func(k, val []byte) error {
				r.Experiments++
				if len(k) != 16 {
					problem("model %q: experiment key %x is not 16 bytes", model, k)
					return nil
				}
				v := beUint64(k[:8])
				e, err := decodeExperiment(val)
				switch n, ok := inputs[v]; {
				case !ok:
					problem("model %q: an experiment refers to version %d, which does not exist", model, v)
				case err != nil:
					problem("model %q version %d: %v", model, v, err)
				case len(e.Value) != n:
					problem("model %q version %d: experiment %s has %d features, the model has %d inputs", model, v, e.Kind, len(e.Value), n)
				default:
					if err := checkNumbers(e); err != nil {
						problem("model %q version %d: %v: no output format can write it", model, v, err)
					}
				}
				return nil
			})
			verifyParts(mb, model, inputs, problem)
			verifyQuality(mb, model, inputs, problem)
			return nil
		})
		if err != nil {
			problem("models: %v", err)
		}
		_ = blobs.ForEach(func(k, v []byte) error {
			r.Blobs++
			if v != nil {
				problem("blobs: key %x is a plain value, not a blob bucket", k[:min(len(k), 6)])
				return nil
			}
			if !used[hex.EncodeToString(k)] {
				problem("blob %x is referenced by no version (harmless, but wasted space)", k[:min(len(k), 6)])
			}
			return nil
		})
	}
}

// verifyParts checks the pieces of unfinished experiments: each belongs to
// an existing version and to no finished experiment.
func verifyParts(mb *bolt.Bucket, model string, inputs map[uint64]int, problem func(string, ...any)) {
	parts := mb.Bucket(bucketParts)
	if parts == nil {
		problem("model %q: missing parts bucket", model)
		return
	}
	exps := mb.Bucket(bucketExperiments)
	_ = parts.ForEach(func(k, v []byte) error {
		if v != nil || len(k) != 16 {
			problem("model %q: parts entry %x is not an experiment's bucket", model, k)
			return nil
		}
		v0 := beUint64(k[:8])
		var id identity
		if err := json.Unmarshal(parts.Bucket(k).Get(partsIdentityKey), &id); err != nil {
			problem("model %q version %d: an unfinished experiment's identity is damaged: %v", model, v0, err)
			return nil
		}
		switch {
		case inputs[v0] == 0:
			problem("model %q: unfinished %s refers to version %d, which does not exist", model, id.Kind, v0)
		case exps.Get(k) != nil:
			problem("model %q version %d: pieces of %s are left over after it finished", model, v0, id.Kind)
		}
		return nil
	})
}

// verifyQuality checks the records of schema 4: each evaluation decodes
// and belongs to an existing version, and each data profile decodes.
func verifyQuality(mb *bolt.Bucket, model string, inputs map[uint64]int, problem func(string, ...any)) {
	evs, profs := mb.Bucket(bucketEvaluations), mb.Bucket(bucketProfiles)
	if evs == nil || profs == nil {
		problem("model %q: missing evaluations or profiles bucket", model)
		return
	}
	// The checks bucket may be missing from a store an early build took to
	// schema 4: the first check makes it.
	_ = evs.ForEach(func(k, v []byte) error {
		var e Evaluation
		switch {
		case len(k) != 16 || v == nil:
			problem("model %q: evaluation key %x is not a record's", model, k)
		case inputs[beUint64(k[:8])] == 0:
			problem("model %q: an evaluation refers to version %d, which does not exist", model, beUint64(k[:8]))
		case json.Unmarshal(v, &e) != nil:
			problem("model %q version %d: an evaluation record is damaged", model, beUint64(k[:8]))
		case e.ID() != [8]byte(k[8:]):
			problem("model %q version %d: an evaluation is stored under another record's key", model, beUint64(k[:8]))
		}
		return nil
	})
	_ = profs.ForEach(func(k, v []byte) error {
		var p DataProfile
		switch {
		case v == nil:
			problem("model %q: profiles entry %q is a bucket, not a record", model, k)
		case json.Unmarshal(v, &p) != nil:
			problem("model %q: the data profile %q is damaged", model, k)
		case !bytes.Equal(profileKey(&p), k):
			problem("model %q: the data profile of week %s is stored under key %q", model, p.Week, k)
		}
		return nil
	})
}
