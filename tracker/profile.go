package tracker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DataProfile is a week's data summarised per column (experiments/profile
// makes and reads Profile; the store keeps it as given), under a data
// role: "train" for the rows the week's model was trained on, or the role
// of the run that read them. It belongs to the week, not to a version: a
// retrain of the week is trained on the same data. Its identity is the
// week, the role and the data's hash.
type DataProfile struct {
	Week        string          `json:"week"`
	Role        string          `json:"data_role"`
	DataSHA256  string          `json:"data_sha256"`
	DataRows    int             `json:"data_rows"`
	Source      string          `json:"source,omitempty"` // the file's name, for messages
	Profile     json.RawMessage `json:"profile"`
	ToolVersion string          `json:"tool_version"`
	CreatedAt   time.Time       `json:"created_at"`
}

// binsKey holds a model series' histogram bins in its bucket: fixed by its
// first profile, so every later week's PSI compares like with like.
var binsKey = []byte("profile_bins")

// profileKey orders profiles by week, then role, then data.
func profileKey(p *DataProfile) []byte {
	sha := p.DataSHA256
	if len(sha) > 16 {
		sha = sha[:16]
	}
	return []byte(p.Week + "/" + p.Role + "/" + sha)
}

// PutProfile stores p in one transaction, with bins as the series' bins
// when it has none yet. A profile of the same week, role and data already
// stored is left as it was (added false), unless restamp: then the stored
// one takes p's creation time, so it speaks for the week again (a
// --replace back to an earlier file). The caller decides about a profile
// of other data in the week and role (SpeakingProfile) before, with the
// store open for writing.
func (s *Store) PutProfile(model string, p *DataProfile, bins json.RawMessage, restamp bool) (added bool, err error) {
	if w, err := ParseWeek(p.Week); err != nil || w != p.Week {
		return false, fmt.Errorf("profile week %q: want YYYY-MM-DD", p.Week)
	}
	if p.Role == "" || p.DataSHA256 == "" || len(p.Profile) == 0 {
		return false, errors.New("a data profile needs a data role, a data hash and a profile")
	}
	enc, err := json.Marshal(p)
	if err != nil {
		return false, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		b, err := schema4Bucket(mb, bucketProfiles, model)
		if err != nil {
			return err
		}
		k := profileKey(p)
		if old := b.Get(k); old != nil {
			if !restamp {
				return errUnchanged
			}
			if enc, err = restamped(old, func(was *DataProfile) *time.Time { return &was.CreatedAt }, p.CreatedAt); err != nil {
				return fmt.Errorf("%w: model %q: the data profile %s is damaged: %v", ErrDamaged, model, k, err)
			}
		}
		if len(bins) > 0 && mb.Get(binsKey) == nil {
			if err := mb.Put(binsKey, bins); err != nil {
				return err
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

// ProfileBins are the series' histogram bins, nil before its first
// profile.
func (s *Store) ProfileBins(model string) (json.RawMessage, error) {
	var out json.RawMessage
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		if v := mb.Get(binsKey); v != nil {
			out = slices.Clone(v)
		}
		return nil
	})
	return out, err
}

// Profiles are every stored profile of the series, by week, then role,
// then data.
func (s *Store) Profiles(model string) ([]*DataProfile, error) {
	return s.profiles(model, "")
}

// WeekProfiles are the stored profiles of one week, in every role.
func (s *Store) WeekProfiles(model, week string) ([]*DataProfile, error) {
	return s.profiles(model, week+"/")
}

// profiles are the stored profiles whose keys start with prefix.
func (s *Store) profiles(model, prefix string) ([]*DataProfile, error) {
	var out []*DataProfile
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		b := mb.Bucket(bucketProfiles)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
			p := new(DataProfile)
			if err := json.Unmarshal(v, p); err != nil {
				return fmt.Errorf("%w: model %q: the data profile %s is damaged: %v", ErrDamaged, model, k, err)
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// SpeakingProfile is the profile that speaks for week in role among ps:
// the newest, or nil.
func SpeakingProfile(ps []*DataProfile, week, role string) *DataProfile {
	var best *DataProfile
	for _, p := range ps {
		if p.Week == week && p.Role == role && (best == nil || p.CreatedAt.After(best.CreatedAt)) {
			best = p
		}
	}
	return best
}

// ProfiledWeeks are the weeks the series has a profile of role for,
// oldest first, each once. It reads the keys alone (week/role/data):
// a profile is kilobytes a column, and listing the weeks needs none.
func (s *Store) ProfiledWeeks(model, role string) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		b := mb.Bucket(bucketProfiles)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			week, rest, ok := strings.Cut(string(k), "/")
			r, _, ok2 := strings.Cut(rest, "/")
			if ok && ok2 && r == role && (len(out) == 0 || out[len(out)-1] != week) {
				out = append(out, week)
			}
		}
		return nil
	})
	return out, err
}
