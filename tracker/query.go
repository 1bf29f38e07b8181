package tracker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

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
	Params map[string]string // shared between the points of one series: do not modify
	// Series is the same for every week's record of one method with the
	// same parameters (kind and params, not data or seed).
	Series string
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
		cache := headCache{}
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
				h, err := cache.head(r.header)
				if err != nil {
					return fmt.Errorf("model %q week %s: experiment record: %w", model, wv.Week, err)
				}
				p := FeaturePoint{WeekVersion: wv, Kind: h.kind, Params: h.params, Series: h.series,
					Value: r.value(feature), Spread: r.spread(feature), Rank: r.rank(feature)}
				copy(p.ID[:], k[8:])
				points = append(points, p)
			}
		}
		return nil
	})
	return weeks, points, err
}

// Weeks returns the newest n weeks that have a version (all when n <= 0),
// oldest first, with their current versions. It reads only the week index.
func (s *Store) Weeks(model string, n int) ([]WeekVersion, error) {
	var weeks []WeekVersion
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		weeks = latestWeeks(mb.Bucket(bucketWeeks), n)
		return nil
	})
	return weeks, err
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

// seriesHead is what FeatureHistory needs from a record's header.
type seriesHead struct {
	kind   string
	params map[string]string
	series string
}

// headCache reads kind and params from record headers. encodeExperiment
// writes them first, {"kind":"…","params":{…},…}, with params' keys
// sorted, so their raw bytes name the series: a store of 520 weeks x 6
// experiments has 6 distinct prefixes, and only those are parsed.
// Anything else falls back to decoding the whole header.
type headCache map[string]*seriesHead

func (c headCache) head(header []byte) (*seriesHead, error) {
	prefix, ok := kindParamsPrefix(header)
	if ok {
		if h, hit := c[string(prefix)]; hit {
			return h, nil
		}
	}
	var full struct {
		Kind   string            `json:"kind"`
		Params map[string]string `json:"params"`
	}
	src := header
	if ok {
		src = append(append([]byte(nil), prefix...), '}')
	}
	if err := json.Unmarshal(src, &full); err != nil {
		return nil, err
	}
	h := &seriesHead{kind: full.Kind, params: full.Params, series: SeriesKey(full.Kind, full.Params)}
	if ok {
		c[string(prefix)] = h
	}
	return h, nil
}

// kindParamsPrefix returns header up to the end of its params object (or
// of its kind when it has no params): `{"kind":"x","params":{…}`.
func kindParamsPrefix(h []byte) ([]byte, bool) {
	const kindKey, paramsKey = `{"kind":"`, `,"params":{`
	if !bytes.HasPrefix(h, []byte(kindKey)) {
		return nil, false
	}
	i := len(kindKey)
	for ; i < len(h) && h[i] != '"'; i++ {
		if h[i] == '\\' {
			i++
		}
	}
	if i >= len(h) {
		return nil, false
	}
	i++ // past the kind's closing quote
	if !bytes.HasPrefix(h[i:], []byte(paramsKey)) {
		return h[:i], true
	}
	i += len(paramsKey)
	inString := false
	for ; i < len(h); i++ {
		switch ch := h[i]; {
		case inString && ch == '\\':
			i++
		case ch == '"':
			inString = !inString
		case !inString && ch == '}':
			return h[:i+1], true
		}
	}
	return nil, false
}

// SeriesKey names a method and its settings: the same for every week's
// record of it, whatever the data and seed.
func SeriesKey(kind string, params map[string]string) string {
	var b strings.Builder
	b.WriteString(kind)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		b.WriteString("\x00" + k + "=" + params[k])
	}
	return b.String()
}
