package tracker

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/snapshot"
)

// DefaultModel is the series name when none is given.
const DefaultModel = "default"

var modelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckModelName refuses series names that would be awkward in files,
// spreadsheets and shells.
func CheckModelName(name string) error {
	if !modelName.MatchString(name) {
		return fmt.Errorf("model name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// IngestRequest is one model version to store.
type IngestRequest struct {
	Model    string
	Week     string // YYYY-MM-DD
	Snapshot *snapshot.Snapshot
	// Replace adds a new version when the week already has different content.
	Replace bool
	// Experiments are recorded against the new version in the same transaction.
	Experiments []Experiment
}

// errUnchanged rolls back an ingest that would write nothing.
var errUnchanged = errors.New("nothing to write")

// IngestResult says what happened to one request.
type IngestResult struct {
	Model     string
	Week      string
	Version   uint64
	Hash      string
	Unchanged bool // the week's latest version already had this content
}

// Ingest stores every request in one write transaction: all land or none do.
func (s *Store) Ingest(reqs []IngestRequest) ([]IngestResult, error) {
	type prepared struct {
		rec   versionRecord
		blobs map[string][]byte
		exps  [][]byte
		ids   [][8]byte
	}
	// Encode everything before the write transaction opens.
	preps := make([]prepared, len(reqs))
	for i, r := range reqs {
		if err := CheckModelName(r.Model); err != nil {
			return nil, err
		}
		if w, err := ParseWeek(r.Week); err != nil || w != r.Week {
			return nil, fmt.Errorf("week %q: want YYYY-MM-DD", r.Week)
		}
		p := prepared{blobs: map[string][]byte{}}
		snap := r.Snapshot
		p.rec = versionRecord{
			Week: r.Week, Hash: snap.Hash(), Inputs: snap.Inputs(), Outputs: snap.Outputs(),
			Params: snap.Params(), Meta: snap.Meta(),
		}
		for _, l := range snap.Layers() {
			lr := layerRecord{Spec: l.Spec, Momentum: l.Spec.Momentum, Inbound: l.Spec.Inbound}
			for _, t := range l.Weights {
				b := snapshot.Float32Bytes(t.Data)
				sum := sha256.Sum256(b)
				key := hex.EncodeToString(sum[:])
				p.blobs[key] = b
				lr.Tensors = append(lr.Tensors, tensorRef{Name: t.Name, Shape: t.Shape, Blob: key})
			}
			p.rec.Layers = append(p.rec.Layers, lr)
		}
		for j := range r.Experiments {
			e := &r.Experiments[j]
			if len(e.Value) != snap.Inputs() {
				return nil, fmt.Errorf("experiment %s has %d values for a model with %d inputs", e.Kind, len(e.Value), snap.Inputs())
			}
			enc, err := encodeExperiment(e)
			if err != nil {
				return nil, err
			}
			p.exps = append(p.exps, enc)
			p.ids = append(p.ids, e.ID())
		}
		preps[i] = p
	}

	results := make([]IngestResult, len(reqs))
	wrote := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		models := tx.Bucket(bucketModels)
		blobs := tx.Bucket(bucketBlobs)
		for i, r := range reqs {
			p := &preps[i]
			res := IngestResult{Model: r.Model, Week: r.Week, Hash: p.rec.Hash}
			mb, err := models.CreateBucketIfNotExists([]byte(r.Model))
			if err != nil {
				return err
			}
			versions, err := mb.CreateBucketIfNotExists(bucketVersions)
			if err != nil {
				return err
			}
			weeks, err := mb.CreateBucketIfNotExists(bucketWeeks)
			if err != nil {
				return err
			}
			exps, err := mb.CreateBucketIfNotExists(bucketExperiments)
			if err != nil {
				return err
			}
			for _, b := range [][]byte{bucketParts, bucketEvaluations, bucketProfiles, bucketChecks} {
				if _, err := mb.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			if latest, ok := latestInWeek(weeks, r.Week); ok {
				prev, err := getVersion(versions, latest)
				if err != nil {
					return err
				}
				if prev.Hash == p.rec.Hash {
					res.Version, res.Unchanged = latest, true
					results[i] = res
					continue
				}
				if !r.Replace {
					return fmt.Errorf("%w: model %q week %s is version %d (hash %s), and this model differs (hash %s)",
						ErrConflict, r.Model, r.Week, latest, prev.Hash[:12], p.rec.Hash[:12])
				}
			}
			seq, err := versions.NextSequence()
			if err != nil {
				return err
			}
			p.rec.Version = seq
			p.rec.IngestedAt = s.now().UTC()
			enc, err := json.Marshal(p.rec)
			if err != nil {
				return err
			}
			if err := versions.Put(versionKey(seq), enc); err != nil {
				return err
			}
			if err := weeks.Put(weekKey(r.Week, seq), nil); err != nil {
				return err
			}
			for key, b := range p.blobs {
				k, _ := hex.DecodeString(key)
				if err := putBlob(blobs, k, b); err != nil {
					return err
				}
			}
			for j, e := range p.exps {
				if err := exps.Put(experimentKey(seq, p.ids[j]), e); err != nil {
					return err
				}
			}
			res.Version = seq
			results[i] = res
			wrote = true
		}
		if !wrote {
			// bbolt's commit writes a new meta page and freelist even
			// when nothing changed: roll back so a re-ingest of what is
			// already stored leaves the file byte-identical.
			return errUnchanged
		}
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return nil, err
	}
	return results, nil
}

// latestInWeek returns the newest version of week in a model's weeks index.
func latestInWeek(weeks *bolt.Bucket, week string) (uint64, bool) {
	c := weeks.Cursor()
	prefix := []byte(week)
	var last []byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		last = k
	}
	if last == nil {
		return 0, false
	}
	return beUint64(last[len(prefix):]), true
}

func getVersion(versions *bolt.Bucket, v uint64) (versionRecord, error) {
	var rec versionRecord
	data := versions.Get(versionKey(v))
	if data == nil {
		return rec, fmt.Errorf("%w: version %d", ErrNotFound, v)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("version %d record is damaged: %w", v, err)
	}
	return rec, nil
}
