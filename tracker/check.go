package tracker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	Learned        bool        `json:"learned"` // the bounds were learned from the model's history, not defaults
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
// an acceptance, "m/" BE64(a) BE64(b) the measures between versions a
// and b. TIME is the record's creation time, RFC 3339 with nanoseconds,
// so a week's records sort oldest first.
func checkKey(kind, week string, at time.Time) []byte {
	return []byte(kind + "/" + week + "/" + at.UTC().Format(time.RFC3339Nano))
}

func measuresKey(a, b uint64) []byte {
	return append(append([]byte("m/"), versionKey(a)...), versionKey(b)...)
}

// PutCheck stores a check result.
func (s *Store) PutCheck(model string, c *CheckResult) error {
	if c.Violations == nil {
		c.Violations = []Violation{}
	}
	return s.putCheckRecord(model, checkKey("c", c.Week, c.CreatedAt), c)
}

// PutAcceptance stores an acceptance.
func (s *Store) PutAcceptance(model string, a *Acceptance) error {
	if strings.TrimSpace(a.Reason) == "" {
		return errors.New("an acceptance needs a reason")
	}
	return s.putCheckRecord(model, checkKey("a", a.Week, a.CreatedAt), a)
}

// PutMeasures stores the measures between versions a and b, a cache a
// later check reads instead of computing them again.
func (s *Store) PutMeasures(model string, a, b uint64, m Numbers) error {
	return s.putCheckRecord(model, measuresKey(a, b), m)
}

func (s *Store) putCheckRecord(model string, key []byte, v any) error {
	enc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		b, err := schema4Bucket(mb, bucketChecks, model)
		if err != nil {
			return err
		}
		return b.Put(key, enc)
	})
}

// CheckHistory is what the checks bucket holds: every check result and
// acceptance, oldest first, and the cached measures by version pair.
type CheckHistory struct {
	Checks      []*CheckResult
	Acceptances []*Acceptance
	Measures    map[[2]uint64]Numbers
}

// Checks reads a series' checks bucket.
func (s *Store) Checks(model string) (*CheckHistory, error) {
	h := &CheckHistory{Measures: map[[2]uint64]Numbers{}}
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
			case bytes.HasPrefix(k, []byte("m/")) && len(k) == 18:
				var m Numbers
				if err := json.Unmarshal(v, &m); err != nil {
					return bad(err)
				}
				h.Measures[[2]uint64{beUint64(k[2:10]), beUint64(k[10:18])}] = m
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

// Standing is the week's standing for its version: accepted when an
// acceptance of the version is not older than its newest check, else the
// newest check's verdict, else unchecked.
func (h *CheckHistory) Standing(week string, version uint64) Standing {
	var check *CheckResult
	for _, c := range h.Checks {
		if c.Week == week && c.Version == version && (check == nil || !c.CreatedAt.Before(check.CreatedAt)) {
			check = c
		}
	}
	var accept *Acceptance
	for _, a := range h.Acceptances {
		if a.Week == week && a.Version == version && (accept == nil || !a.CreatedAt.Before(accept.CreatedAt)) {
			accept = a
		}
	}
	switch {
	case accept != nil && (check == nil || !accept.CreatedAt.Before(check.CreatedAt)):
		return Accepted
	case check == nil:
		return Unchecked
	case check.Pass:
		return Passed
	}
	return Failed
}

// Normal reports whether a week may be the reference of a later one and
// part of the history its bounds are learned from: passed, accepted, or
// never checked (a team starts checking at some week).
func (st Standing) Normal() bool { return st != Failed }

// ChecksOf are the check results of week, oldest first.
func (h *CheckHistory) ChecksOf(week string) []*CheckResult {
	return slices.DeleteFunc(slices.Clone(h.Checks), func(c *CheckResult) bool { return c.Week != week })
}
