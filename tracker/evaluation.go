package tracker

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of schema 4 (docs/FORMAT.md).
var (
	bucketEvaluations = []byte("evaluations")
	bucketProfiles    = []byte("profiles")
	bucketChecks      = []byte("checks")
)

// Evaluation is a version's quality on labelled rows, as run evaluate
// records it: the metrics and their standard errors by name. Its
// identity is the data role, the parameters (label column, dropped
// columns, classes) and the data's hash, so evaluating again on the same
// rows finds the stored record, and the newest record of a data role
// speaks for the week (SpeakingEvaluation), as for importance records.
type Evaluation struct {
	Role       string            `json:"data_role"`
	Params     map[string]string `json:"params,omitempty"`
	DataSHA256 string            `json:"data_sha256"`
	DataRows   int               `json:"data_rows"`
	Metrics    Numbers           `json:"metrics"`
	SE         Numbers           `json:"se,omitempty"`
	// NotDefined says why a metric or its standard error is null, keyed
	// by the metric's name (or name_se): AUC with one class present, say.
	NotDefined  map[string]string `json:"not_defined,omitempty"`
	ToolVersion string            `json:"tool_version"`
	Took        time.Duration     `json:"took_ns"`
	CreatedAt   time.Time         `json:"created_at"`
}

// Numbers are named values; NaN (a metric not defined for the data, such
// as AUC with one class present, or an unknown standard error) is written
// as JSON null.
type Numbers map[string]float64

// MarshalJSON writes NaN as null.
func (x Numbers) MarshalJSON() ([]byte, error) {
	out := make(map[string]*float64, len(x))
	for name, v := range x {
		out[name] = nil
		if !math.IsNaN(v) {
			out[name] = &v
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads null as NaN.
func (x *Numbers) UnmarshalJSON(b []byte) error {
	var in map[string]*float64
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*x = make(Numbers, len(in))
	for name, v := range in {
		(*x)[name] = math.NaN()
		if v != nil {
			(*x)[name] = *v
		}
	}
	return nil
}

// ID identifies an evaluation by what it evaluated on and how.
func (e *Evaluation) ID() [8]byte {
	enc, _ := json.Marshal(struct {
		Role   string            `json:"role"`
		Params map[string]string `json:"params"`
		Data   string            `json:"data"`
		Rows   int               `json:"rows"`
	}{e.Role, e.Params, e.DataSHA256, e.DataRows})
	sum := sha256.Sum256(enc)
	var id [8]byte
	copy(id[:], sum[:])
	return id
}

// check refuses a record no reader could use.
func (e *Evaluation) check() error {
	if e.Role == "" {
		return errors.New("an evaluation needs a data role")
	}
	if len(e.Metrics) == 0 {
		return errors.New("an evaluation needs at least one metric")
	}
	for name, v := range e.Metrics {
		if math.IsInf(v, 0) {
			return fmt.Errorf("metric %s is infinite", name)
		}
	}
	return nil
}

// PutEvaluation stores e against version in one transaction. A record
// with e's identity already stored is left as it was (added false),
// unless restamp: then the stored one takes e's creation time, so it
// speaks for the week again (a --replace back to earlier rows). The
// caller decides about rivals (SpeakingEvaluation) before, with the store
// open for writing so no other process records in between.
func (s *Store) PutEvaluation(model string, version uint64, e *Evaluation, restamp bool) (added bool, err error) {
	if err := e.check(); err != nil {
		return false, err
	}
	enc, err := json.Marshal(e)
	if err != nil {
		return false, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		if _, err := getVersion(mb.Bucket(bucketVersions), version); err != nil {
			return fmt.Errorf("model %q: %w", model, err)
		}
		b, err := schema4Bucket(mb, bucketEvaluations, model)
		if err != nil {
			return err
		}
		k := experimentKey(version, e.ID())
		if old := b.Get(k); old != nil {
			if !restamp {
				return errUnchanged
			}
			if enc, err = restamped(old, func(was *Evaluation) *time.Time { return &was.CreatedAt }, e.CreatedAt); err != nil {
				return fmt.Errorf("%w: model %q version %d: an evaluation record is damaged: %v", ErrDamaged, model, version, err)
			}
		}
		added = true
		return b.Put(k, enc)
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	return added, err
}

// schema4Bucket is a model's bucket of schema 4, with an error saying
// what to do when the store predates it.
func schema4Bucket(mb *bolt.Bucket, name []byte, model string) (*bolt.Bucket, error) {
	b := mb.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%w: model %q has no %s bucket: the store predates schema 4; run tracker migrate", ErrDamaged, model, name)
	}
	return b, nil
}

// Evaluations are the evaluation records of version, in key order.
func (s *Store) Evaluations(model string, version uint64) ([]*Evaluation, error) {
	var out []*Evaluation
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		out, err = versionEvaluations(mb, model, version)
		return err
	})
	return out, err
}

func versionEvaluations(mb *bolt.Bucket, model string, version uint64) ([]*Evaluation, error) {
	b, err := schema4Bucket(mb, bucketEvaluations, model)
	if err != nil {
		return nil, err
	}
	var out []*Evaluation
	prefix := versionKey(version)
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		e := new(Evaluation)
		if err := json.Unmarshal(v, e); err != nil {
			return nil, fmt.Errorf("%w: model %q version %d: an evaluation record is damaged: %v", ErrDamaged, model, version, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// SpeakingEvaluation is the evaluation that speaks for a week in a data
// role: the newest of that role among evs, or nil. It is SeriesRecord's
// rule for quality records.
func SpeakingEvaluation(evs []*Evaluation, role string) *Evaluation {
	var best *Evaluation
	for _, e := range evs {
		if e.Role == role && (best == nil || e.CreatedAt.After(best.CreatedAt)) {
			best = e
		}
	}
	return best
}

// EvaluationWeek is one week of a quality series: its version and every
// evaluation the version holds.
type EvaluationWeek struct {
	WeekVersion
	Evaluations []*Evaluation
}

// Speaking is the week's evaluation that speaks for role, nil when it has
// none.
func (w *EvaluationWeek) Speaking(role string) *Evaluation {
	return SpeakingEvaluation(w.Evaluations, role)
}

// EvaluationHistory is the newest n weeks that have a version (all when
// n <= 0), oldest first, each with its evaluations, read in one
// transaction.
func (s *Store) EvaluationHistory(model string, n int) ([]EvaluationWeek, error) {
	var out []EvaluationWeek
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		weeks := latestWeeks(mb.Bucket(bucketWeeks), n)
		if len(weeks) == 0 {
			return noVersions(model)
		}
		for _, wv := range weeks {
			evs, err := versionEvaluations(mb, model, wv.Version)
			if err != nil {
				return err
			}
			out = append(out, EvaluationWeek{WeekVersion: wv, Evaluations: evs})
		}
		return nil
	})
	return out, err
}

// restamped is a stored record's JSON with its creation time set to at,
// so that it speaks for its week again: a --replace back to a record
// already stored. An error means the stored record does not decode.
func restamped[T any](old []byte, created func(*T) *time.Time, at time.Time) ([]byte, error) {
	var was T
	if err := json.Unmarshal(old, &was); err != nil {
		return nil, err
	}
	*created(&was) = at
	return json.Marshal(&was)
}
