package tracker

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
)

// Selection rules, written once: which version a week argument names,
// which versions a run over several weeks uses, and which record speaks
// for a week. docs/METHODS.md states the same rules for users.

// Data roles. A record's role says what its rows were to the week:
// DefaultRole for the week's own data, another name (such as
// "reference", a fixed set every week is run on) for other data. A role
// other than the default is recorded as the parameter RoleParam, which
// makes its records a series of their own; the default is left out, so
// records made before roles existed and every default run keep their
// series.
const (
	DefaultRole = "week"
	RoleParam   = "data_role"
)

// RoleOf is e's data role.
func RoleOf(e *Experiment) string {
	if r := e.Params[RoleParam]; r != "" {
		return r
	}
	return DefaultRole
}

// OfRole is the records of exps whose data role is role.
func OfRole(exps []*Experiment, role string) []*Experiment {
	var out []*Experiment
	for _, e := range exps {
		if RoleOf(e) == role {
			out = append(out, e)
		}
	}
	return out
}

// Latest is the model's newest version: the latest version of its newest
// week. A series with none gives an error matching ErrNoVersions.
func (s *Store) Latest(model string) (VersionInfo, error) {
	all, err := s.Versions(model)
	if err != nil {
		return VersionInfo{}, err
	}
	if len(all) == 0 {
		return VersionInfo{}, noVersions(model)
	}
	return all[len(all)-1], nil
}

func noVersions(model string) error {
	return fact.Errorf(ErrNoVersions, "model %q has no versions", model)
}

// VersionAt is the version a week argument names: "latest", or a date
// (YYYY-MM-DD or YYYYMMDD) whose latest version it is. A week that is not
// a date gives an error matching ErrBadWeek.
func (s *Store) VersionAt(model, week string) (VersionInfo, error) {
	if week == "latest" {
		return s.Latest(model)
	}
	w, err := ParseWeek(week)
	if err != nil {
		return VersionInfo{}, err
	}
	return s.Version(model, w)
}

// CurrentVersions is the current version (the latest ingested) of each
// week, oldest first: of the newest n weeks, or of every week when n <= 0.
// A series with none gives an error matching ErrNoVersions.
func (s *Store) CurrentVersions(model string, n int) ([]VersionInfo, error) {
	all, err := s.Versions(model)
	if err != nil {
		return nil, err
	}
	var current []VersionInfo // one per week
	for _, v := range all {
		if k := len(current); k > 0 && current[k-1].Week == v.Week {
			current[k-1] = v
			continue
		}
		current = append(current, v)
	}
	if len(current) == 0 {
		return nil, noVersions(model)
	}
	if n > 0 {
		current = current[max(0, len(current)-n):]
	}
	return current, nil
}

// FindVersion is the version of model in week whose content hash is hash,
// as results computed elsewhere name it. Both errors match ErrNotFound.
func (s *Store) FindVersion(model, week, hash string) (VersionInfo, error) {
	all, err := s.Versions(model)
	if err != nil {
		return VersionInfo{}, err
	}
	var inWeek []string
	for _, v := range all {
		if v.Week != week {
			continue
		}
		if v.Hash == hash {
			return v, nil
		}
		inWeek = append(inWeek, v.Hash[:12])
	}
	if inWeek == nil {
		return VersionInfo{}, fact.Errorf(ErrNotFound, "model %s has no version for week %s: ingest it first", quote.Short(model), quote.Short(week))
	}
	return VersionInfo{}, fact.Errorf(ErrNotFound, "the results were computed on version %.12q of week %s, but model %s's versions of that week are %s", hash, week, quote.Short(model), quote.List(inWeek))
}

// Recorded is the record the version holds with e's identity (same kind,
// parameters, data and seed), or nil, so a caller can skip recomputing it.
func (s *Store) Recorded(model string, version uint64, e *Experiment) (*Experiment, error) {
	var found *Experiment
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		if mb.Bucket(bucketVersions).Get(versionKey(version)) == nil {
			return fmt.Errorf("%w: model %q has no version %d", ErrNotFound, model, version)
		}
		v := mb.Bucket(bucketExperiments).Get(experimentKey(version, e.ID()))
		if v == nil {
			return nil
		}
		found, err = decodeExperiment(v)
		if err != nil {
			return fmt.Errorf("model %q version %d: %w", model, version, err)
		}
		return nil
	})
	return found, err
}

// experiment is the record of version with id.
func (s *Store) experiment(model string, version uint64, id [8]byte) (*Experiment, error) {
	var e *Experiment
	err := s.db.View(func(tx *bolt.Tx) error {
		mb, err := modelBucket(tx, model)
		if err != nil {
			return err
		}
		v := mb.Bucket(bucketExperiments).Get(experimentKey(version, id))
		if v == nil {
			return fmt.Errorf("%w: model %q version %d has no experiment %x", ErrNotFound, model, version, id)
		}
		if e, err = decodeExperiment(v); err != nil {
			return fmt.Errorf("model %q version %d: %w", model, version, err)
		}
		return nil
	})
	return e, err
}

// SeriesRecord is the record that speaks for a week in a series (one kind
// with one set of parameters): among the week's records exps, the newest
// of that series, or nil. A week may hold several, run again on other
// data or with another seed (recorded over a Rival only when asked to);
// every command shows the same one.
func SeriesRecord(exps []*Experiment, series string) *Experiment {
	var best *Experiment
	for _, e := range exps {
		if SeriesKey(e.Kind, e.Params) == series && (best == nil || e.CreatedAt.After(best.CreatedAt)) {
			best = e
		}
	}
	return best
}

// Rival is the record that e would take the week from: among a week's
// records exps, the one that speaks for e's series (SeriesRecord) when
// none of exps has e's identity. A rival holds other data or another seed
// (the parameters are the series'), so recording e would change what
// every command shows for the week: a caller records it only when asked
// to. Nil when the series has no record in the week, or when e is stored
// already (recording it again adds nothing).
func Rival(exps []*Experiment, e *Experiment) *Experiment {
	id := e.ID()
	for _, x := range exps {
		if x.ID() == id {
			return nil
		}
	}
	return SeriesRecord(exps, SeriesKey(e.Kind, e.Params))
}

// SeriesRecords is the record that speaks for each series a week holds,
// the most telling kind first (order(kind) is larger for a more telling
// kind, as experiments.TellingOf gives), then by series key.
func SeriesRecords(exps []*Experiment, order func(kind string) int) []*Experiment {
	var out []*Experiment
	seen := map[string]bool{}
	for _, e := range exps {
		if key := SeriesKey(e.Kind, e.Params); !seen[key] {
			seen[key] = true
			out = append(out, SeriesRecord(exps, key))
		}
	}
	slices.SortStableFunc(out, func(a, b *Experiment) int {
		return cmp.Or(order(b.Kind)-order(a.Kind), cmp.Compare(SeriesKey(a.Kind, a.Params), SeriesKey(b.Kind, b.Params)))
	})
	return out
}

// MostTelling is the record to rank a week by: the newest record of kind,
// or with kind "" the newest of the most telling kind recorded, where
// moreTelling(a, b) says kind a tells more than kind b. It is nil when
// the week has no such record.
func MostTelling(exps []*Experiment, kind string, moreTelling func(a, b string) bool) *Experiment {
	var best *Experiment
	for _, e := range exps {
		if kind != "" && e.Kind != kind {
			continue
		}
		if best == nil {
			best = e
			continue
		}
		if kind == "" && e.Kind != best.Kind && (moreTelling(e.Kind, best.Kind) || moreTelling(best.Kind, e.Kind)) {
			if moreTelling(e.Kind, best.Kind) {
				best = e
			}
			continue
		}
		if e.CreatedAt.After(best.CreatedAt) {
			best = e
		}
	}
	return best
}

// RankBy is MostTelling among the records of one data role, for a command
// that ranks a week: a run on a reference set never speaks for the week's
// own data. Without a record the error, matching ErrNoRecord, lists the
// kinds the week has.
func RankBy(exps []*Experiment, kind, role, week string, moreTelling func(a, b string) bool) (*Experiment, error) {
	if e := MostTelling(OfRole(exps, role), kind, moreTelling); e != nil {
		return e, nil
	}
	if role != DefaultRole {
		kind = strings.TrimSpace(kind + " " + RoleParam + "=" + role)
	}
	var have []string
	for _, e := range exps {
		if !slices.Contains(have, e.Kind) {
			have = append(have, e.Kind)
		}
	}
	return nil, fact.Errorf(ErrNoRecord, "week %s has no %s experiment; it has %s", week, kind, strings.Join(have, ", "))
}
