package tracker

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/snapshot"
)

// VersionInfo describes one stored version without its weights.
type VersionInfo struct {
	Model       string
	Version     uint64
	Week        string
	Hash        string
	IngestedAt  time.Time
	Inputs      int
	Outputs     int
	Params      int
	Meta        snapshot.Meta
	Layers      []snapshot.Spec
	Experiments int
}

func beUint64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func info(model string, rec versionRecord) VersionInfo {
	vi := VersionInfo{
		Model: model, Version: rec.Version, Week: rec.Week, Hash: rec.Hash, IngestedAt: rec.IngestedAt,
		Inputs: rec.Inputs, Outputs: rec.Outputs, Params: rec.Params, Meta: rec.Meta,
	}
	for _, l := range rec.Layers {
		vi.Layers = append(vi.Layers, l.spec())
	}
	return vi
}

// Models lists the model series in name order.
func (s *Store) Models() ([]string, error) {
	var names []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketModels).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

func modelBucket(tx *bolt.Tx, model string) (*bolt.Bucket, error) {
	mb := tx.Bucket(bucketModels).Bucket([]byte(model))
	if mb == nil {
		return nil, fmt.Errorf("%w: no model series %q in this store (tracker list shows the series)", ErrNotFound, model)
	}
	return mb, nil
}

// Versions lists a model's versions by week, then version; model "" lists
// every series.
func (s *Store) Versions(model string) ([]VersionInfo, error) {
	var out []VersionInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		var models []string
		if model != "" {
			if _, err := modelBucket(tx, model); err != nil {
				return err
			}
			models = []string{model}
		} else {
			_ = tx.Bucket(bucketModels).ForEachBucket(func(k []byte) error {
				models = append(models, string(k))
				return nil
			})
		}
		for _, m := range models {
			mb := tx.Bucket(bucketModels).Bucket([]byte(m))
			versions, weeks, exps := mb.Bucket(bucketVersions), mb.Bucket(bucketWeeks), mb.Bucket(bucketExperiments)
			c := weeks.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if len(k) != len(weekLayout)+8 {
					return fmt.Errorf("model %q: week index key %x is damaged: run tracker verify", m, k)
				}
				rec, err := getVersion(versions, beUint64(k[len(weekLayout):]))
				if err != nil {
					return err
				}
				vi := info(m, rec)
				vi.Experiments = countPrefix(exps, versionKey(rec.Version))
				out = append(out, vi)
			}
		}
		return nil
	})
	return out, err
}

func countPrefix(b *bolt.Bucket, prefix []byte) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// Version returns the latest version of a model's week.
func (s *Store) Version(model, week string) (VersionInfo, error) {
	var vi VersionInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		v, ok := latestInWeek(mb.Bucket(bucketWeeks), week)
		if !ok {
			return fmt.Errorf("%w: model %q has no version for week %s (tracker list shows the weeks)", ErrNotFound, model, week)
		}
		rec, err := getVersion(mb.Bucket(bucketVersions), v)
		if err != nil {
			return err
		}
		vi = info(model, rec)
		vi.Experiments = countPrefix(mb.Bucket(bucketExperiments), versionKey(v))
		return nil
	})
	return vi, err
}

// Snapshot loads a stored version with its weights, checking every blob's
// checksum and the content hash.
func (s *Store) Snapshot(model string, version uint64) (*snapshot.Snapshot, error) {
	var snap *snapshot.Snapshot
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		rec, err := getVersion(mb.Bucket(bucketVersions), version)
		if err != nil {
			return fmt.Errorf("model %q: %w", model, err)
		}
		snap, err = rebuild(tx.Bucket(bucketBlobs), rec)
		if err != nil {
			return fmt.Errorf("model %q version %d: %w (tracker verify checks the whole store)", model, version, err)
		}
		return nil
	})
	return snap, err
}

// rebuild turns a version record and its blobs back into a snapshot.
func rebuild(blobs *bolt.Bucket, rec versionRecord) (*snapshot.Snapshot, error) {
	layers := make([]snapshot.Layer, len(rec.Layers))
	for i, lr := range rec.Layers {
		layers[i].Spec = lr.spec()
		for _, tr := range lr.Tensors {
			data, err := readBlob(blobs, tr.Blob)
			if err != nil {
				return nil, fmt.Errorf("layer %q weight %q: %w", lr.Name, tr.Name, err)
			}
			layers[i].Weights = append(layers[i].Weights, snapshot.Tensor{Name: tr.Name, Shape: tr.Shape, Data: data})
		}
	}
	snap, err := snapshot.New(rec.Inputs, layers, rec.Meta)
	if err != nil {
		return nil, err
	}
	if snap.Hash() != rec.Hash {
		return nil, fmt.Errorf("content hash is %s, the record says %s", snap.Hash(), rec.Hash)
	}
	return snap, nil
}

// readBlob decodes a blob (copying it out of bbolt) after checking that its
// bytes still hash to its key.
func readBlob(blobs *bolt.Bucket, key string) ([]float32, error) {
	k, err := hex.DecodeString(key)
	if err != nil || len(k) != sha256.Size {
		return nil, fmt.Errorf("blob key %q is not a SHA-256", key)
	}
	b := getBlob(blobs, k)
	if b == nil {
		return nil, fmt.Errorf("blob %s is missing", key[:12])
	}
	if sum := sha256.Sum256(b); !bytes.Equal(sum[:], k) {
		return nil, fmt.Errorf("blob %s fails its checksum", key[:12])
	}
	return snapshot.BytesFloat32(b)
}

// Experiments returns the experiments recorded against a version, in key order.
func (s *Store) Experiments(model string, version uint64) ([]*Experiment, error) {
	var out []*Experiment
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		out, err = versionExperiments(mb, model, version)
		return err
	})
	return out, err
}

// versionExperiments decodes the experiments of version in model bucket mb.
func versionExperiments(mb *bolt.Bucket, model string, version uint64) ([]*Experiment, error) {
	var out []*Experiment
	prefix := versionKey(version)
	c := mb.Bucket(bucketExperiments).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		e, err := decodeExperiment(v)
		if err != nil {
			return nil, fmt.Errorf("model %q version %d: %w", model, version, err)
		}
		out = append(out, e)
	}
	return out, nil
}
