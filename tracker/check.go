package tracker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CheckResult is one `tracker check` of a week against a reference week:
// whether it passed, every bound it broke, and every quantity it measured
// (so a later check can learn what a normal retrain looks like).
type CheckResult struct {
	Week           string      `json:"week"`
	Version        uint64      `json:"version"`
	Against        string      `json:"against"`
	AgainstVersion uint64      `json:"against_version"`
	Pass           bool        `json:"pass"`
	Learned        bool        `json:"learned"`        // the history held enough changes to learn bounds from
	Bounds         int         `json:"bounds"`         // quantities bounded
	LearnedBounds  int         `json:"learned_bounds"` // of them, bounded by what the history showed, not a default
	Violations     []Violation `json:"violations"`
	Measures       Numbers     `json:"measures,omitempty"`
	DataSHA256     string      `json:"data_sha256,omitempty"` // the rows a --data check read
	ToolVersion    string      `json:"tool_version"`
	CreatedAt      time.Time   `json:"created_at"`
}

// Violation is one bound a check found broken.
type Violation struct {
	What    string  `json:"what"`
	Feature *int    `json:"feature"` // the feature's index, nil when the bound is not a feature's
	Value   float64 `json:"value"`
	Bound   string  `json:"bound"`
	Cause   string  `json:"cause"` // data, model or quality
	Detail  string  `json:"detail,omitempty"`
}

// violationJSON is a Violation as stored: a NaN value (a bound that is
// not a number's, such as a feature that went to zero) is null.
type violationJSON struct {
	What    string   `json:"what"`
	Feature *int     `json:"feature"`
	Value   *float64 `json:"value"`
	Bound   string   `json:"bound"`
	Cause   string   `json:"cause"`
	Detail  string   `json:"detail,omitempty"`
}

// MarshalJSON writes a NaN value as null.
func (v Violation) MarshalJSON() ([]byte, error) {
	j := violationJSON{What: v.What, Feature: v.Feature, Bound: v.Bound, Cause: v.Cause, Detail: v.Detail}
	if !math.IsNaN(v.Value) && !math.IsInf(v.Value, 0) {
		j.Value = &v.Value
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads null as NaN.
func (v *Violation) UnmarshalJSON(b []byte) error {
	var j violationJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*v = Violation{What: j.What, Feature: j.Feature, Value: math.NaN(), Bound: j.Bound, Cause: j.Cause, Detail: j.Detail}
	if j.Value != nil {
		v.Value = *j.Value
	}
	return nil
}

// Acceptance records that a week's retrain is the new normal although its
// check failed (a feature removed upstream on purpose, say): later
// checks compare with it.
type Acceptance struct {
	Week      string    `json:"week"`
	Version   uint64    `json:"version"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// Keys in the checks bucket: "c/WEEK/TIME" a check result, "a/WEEK/TIME"
// an acceptance, "m/" BE64(a) BE64(b) the weight measures between
// versions a and b, and "d/" BE64(a) BE64(b) SHA16 their measures on the
// rows of that data hash. TIME is the record's creation time in a fixed
// width, so a week's records sort oldest first.
func checkKey(kind, week string, at time.Time) []byte {
	return []byte(kind + "/" + week + "/" + at.UTC().Format("2006-01-02T15:04:05.000000000Z"))
}

// PairKey names a pair's cached measures: two versions, and for measures
// on rows the rows' data hash.
type PairKey struct {
	A, B uint64
	Data string // "" for the weight measures
}

func (k PairKey) key() []byte {
	if k.Data == "" {
		return append(append([]byte("m/"), versionKey(k.A)...), versionKey(k.B)...)
	}
	d := k.Data
	if len(d) > 16 {
		d = d[:16]
	}
	return append(append(append([]byte("d/"), versionKey(k.A)...), versionKey(k.B)...), d...)
}

// CachedMeasures are what a check leaves for later ones about a pair:
// the weight measures, which depend on the two versions alone, and with
// rows the measures on them.
type CachedMeasures struct {
	A, B       uint64
	Values     Numbers
	Data       string  // the rows' data hash, "" without rows
	DataValues Numbers // the measures on those rows
}

// PutCheck stores a check result and the measures it computed, in one
// write.
func (s *Store) PutCheck(model string, c *CheckResult, cache []CachedMeasures) error {
	if c.Violations == nil {
		c.Violations = []Violation{}
	}
	recs := map[string]any{string(checkKey("c", c.Week, c.CreatedAt)): c}
	for _, m := range cache {
		if len(m.Values) > 0 {
			recs[string(PairKey{A: m.A, B: m.B}.key())] = m.Values
		}
		if m.Data != "" && len(m.DataValues) > 0 {
			recs[string(PairKey{A: m.A, B: m.B, Data: m.Data}.key())] = m.DataValues
		}
	}
	return s.putCheckRecords(model, recs)
}

// PutAcceptance stores an acceptance.
func (s *Store) PutAcceptance(model string, a *Acceptance) error {
	if strings.TrimSpace(a.Reason) == "" {
		return errors.New("an acceptance needs a reason")
	}
	return s.putCheckRecords(model, map[string]any{string(checkKey("a", a.Week, a.CreatedAt)): a})
}

func (s *Store) putCheckRecords(model string, recs map[string]any) error {
	encs := make(map[string][]byte, len(recs))
	for k, v := range recs {
		enc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		encs[k] = enc
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		// A store taken to schema 4 by a build before the checks bucket
		// joined that step lacks it: made here, as empty is what it held.
		b, err := mb.CreateBucketIfNotExists(bucketChecks)
		if err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(encs)) {
			if err := b.Put([]byte(k), encs[k]); err != nil {
				return err
			}
		}
		return nil
	})
}

// CheckHistory is what the checks bucket holds: every check result and
// acceptance, oldest first, and the cached measures by version pair.
type CheckHistory struct {
	Checks      []*CheckResult
	Acceptances []*Acceptance
	Measures    map[PairKey]Numbers
}

// Checks reads a series' checks bucket.
func (s *Store) Checks(model string) (*CheckHistory, error) {
	h := &CheckHistory{Measures: map[PairKey]Numbers{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		b := mb.Bucket(bucketChecks)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			bad := func(err error) error {
				return fmt.Errorf("%w: model %q: the check record %q is damaged: %v", ErrDamaged, model, k, err)
			}
			switch {
			case bytes.HasPrefix(k, []byte("c/")):
				c := new(CheckResult)
				if err := json.Unmarshal(v, c); err != nil {
					return bad(err)
				}
				h.Checks = append(h.Checks, c)
			case bytes.HasPrefix(k, []byte("a/")):
				a := new(Acceptance)
				if err := json.Unmarshal(v, a); err != nil {
					return bad(err)
				}
				h.Acceptances = append(h.Acceptances, a)
			case (bytes.HasPrefix(k, []byte("m/")) && len(k) == 18) || (bytes.HasPrefix(k, []byte("d/")) && len(k) > 18):
				var m Numbers
				if err := json.Unmarshal(v, &m); err != nil {
					return bad(err)
				}
				h.Measures[PairKey{A: beUint64(k[2:10]), B: beUint64(k[10:18]), Data: string(k[18:])}] = m
			}
			return nil
		})
	})
	return h, err
}

// Standing is what the checks say of a week's version: never checked,
// passed, failed, or accepted (after a failure).
type Standing string

const (
	Unchecked Standing = "unchecked"
	Passed    Standing = "passed"
	Failed    Standing = "failed"
	Accepted  Standing = "accepted"
)

// Standing is the week's standing for its version: accepted once an
// acceptance of the version is stored (a later check of it does not undo
// the team's decision), else its newest check's verdict, else unchecked.
func (h *CheckHistory) Standing(week string, version uint64) Standing {
	if slices.ContainsFunc(h.Acceptances, func(a *Acceptance) bool { return a.Week == week && a.Version == version }) {
		return Accepted
	}
	cs := h.ChecksOf(week, version)
	switch {
	case len(cs) == 0:
		return Unchecked
	case cs[len(cs)-1].Pass:
		return Passed
	}
	return Failed
}

// Normal reports whether a week may be the reference of a later one and
// part of the history its bounds are learned from: passed, accepted, or
// never checked (a team starts checking at some week).
func (st Standing) Normal() bool { return st != Failed }

// ChecksOf are the check results of week's version, oldest first.
func (h *CheckHistory) ChecksOf(week string, version uint64) []*CheckResult {
	return slices.DeleteFunc(slices.Clone(h.Checks), func(c *CheckResult) bool { return c.Week != week || c.Version != version })
}
