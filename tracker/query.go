package tracker

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// WeekVersion is a week and its current version (the last one ingested
// for it).
type WeekVersion struct {
	Week    string
	Version uint64
}

// FeaturePoint is one experiment's numbers for one feature of one version.
type FeaturePoint struct {
	WeekVersion
	Kind   string
	Params map[string]string
	ID     [8]byte // the experiment's ID: kind, parameters, data and seed
	Value  float64
	Spread float64
	Rank   int // 0: the experiment did not rank this feature
}

// FeatureHistory returns the newest n weeks that have a version (all when
// n <= 0), oldest first, and feature's numbers from every experiment of
// their current versions. It reads only those weeks, and from each record
// only its small header and the feature's three numbers, so its cost
// follows n, not the size of the store. Versions with fewer inputs than
// feature+1 contribute no points.
func (s *Store) FeatureHistory(model string, feature, n int) ([]WeekVersion, []FeaturePoint, error) {
	if feature < 0 {
		return nil, nil, fmt.Errorf("feature %d: features count from 0", feature)
	}
	var weeks []WeekVersion
	var points []FeaturePoint
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		weeks = latestWeeks(mb.Bucket(bucketWeeks), n)
		c := mb.Bucket(bucketExperiments).Cursor()
		for _, wv := range weeks {
			prefix := versionKey(wv.Version)
			for k, v := c.Seek(prefix); len(k) == 16 && string(k[:8]) == string(prefix); k, v = c.Next() {
				r, err := splitRecord(v)
				if err != nil {
					return fmt.Errorf("model %q week %s: %w", model, wv.Week, err)
				}
				if feature >= r.n {
					continue
				}
				var head struct {
					Kind   string            `json:"kind"`
					Params map[string]string `json:"params"`
				}
				if err := json.Unmarshal(r.header, &head); err != nil {
					return fmt.Errorf("model %q week %s: experiment record: %w", model, wv.Week, err)
				}
				p := FeaturePoint{WeekVersion: wv, Kind: head.Kind, Params: head.Params,
					Value: r.value(feature), Spread: r.spread(feature), Rank: r.rank(feature)}
				copy(p.ID[:], k[8:])
				points = append(points, p)
			}
		}
		return nil
	})
	return weeks, points, err
}

// latestWeeks walks the week index from its end: the newest n weeks with
// their current versions, oldest first.
func latestWeeks(idx *bolt.Bucket, n int) []WeekVersion {
	var out []WeekVersion
	c := idx.Cursor()
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		if len(k) != len(weekLayout)+8 {
			continue
		}
		week := string(k[:len(weekLayout)])
		if len(out) > 0 && out[len(out)-1].Week == week {
			continue // an older version of a week already taken
		}
		if n > 0 && len(out) == n {
			break
		}
		out = append(out, WeekVersion{Week: week, Version: beUint64(k[len(weekLayout):])})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
