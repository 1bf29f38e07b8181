package runs

import (
	"fmt"
	"time"

	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/tracker"
)

// No silent replacement. A week may hold several records of one series
// (kind, parameters and data role) and the newest speaks for it
// (tracker.SeriesRecord), so a record on other data or with another seed
// changes what every command shows for the week. A run refuses that
// unless asked to replace: when it plans, before any work, and again in
// recordWeek with the store open for writing. A record with the identity
// of one stored is no rival: the run shows the stored one.

// checkRivals refuses a run with a rival in any of its weeks unless
// replace, naming the first and counting the others.
func checkRivals(weeks []*Week, replace bool) error {
	if replace {
		return nil
	}
	var first *Week
	more := 0
	for _, w := range weeks {
		switch {
		case w.rival == nil:
		case first == nil:
			first = w
		default:
			more++
		}
	}
	if first == nil {
		return nil
	}
	return rivalError(first, first.rival, more)
}

// rivalError says that w's record would take the week from rival, the
// record that speaks for its series there, with both data hashes and
// seeds, and how many more of the run's weeks hold such a record. It
// matches ErrReplace.
func rivalError(w *Week, rival *tracker.Experiment, more int) error {
	e := &w.Record
	also := ""
	if more > 0 {
		also = fmt.Sprintf(" (%d more of the run's weeks have a record of this series too)", more)
	}
	return fact.Errorf(ErrReplace, "week %s already has a %s record of data role %s with these parameters, on data %.12s with seed %d (recorded %s), and this run's data is %.12s with seed %d%s",
		w.Version.Week, e.Kind, recordRole(e), rival.DataSHA256, rival.Seed, rival.CreatedAt.Format(time.DateOnly), e.DataSHA256, e.Seed, also)
}

// recordRole is a record's data role.
func recordRole(e *tracker.Experiment) string {
	if r := e.Params[roleKey]; r != "" {
		return r
	}
	return DefaultRole
}

// recordWeek stores w's record against its version, unless the version
// holds it already; added says it was new. Every record a run makes is
// stored here. A record that would take the week from a rival is refused
// unless replace; the store is open for writing, so no other run records
// between the check and the write. A replacement is stamped after its
// rival, so it speaks for the week even when two machines' clocks differ.
func recordWeek(env *Env, store *tracker.Store, w *Week, replace bool) (added bool, err error) {
	exps, err := store.Experiments(w.Version.Model, w.Version.Version)
	if err != nil {
		return false, err
	}
	rival := tracker.Rival(exps, &w.Record)
	if rival != nil {
		if !replace {
			return false, rivalError(w, rival, 0)
		}
		if e := &w.Record; !e.CreatedAt.After(rival.CreatedAt) {
			e.CreatedAt = rival.CreatedAt.Add(time.Nanosecond)
		}
	}
	news, err := store.Record(w.Version.Model, w.Version.Version, []tracker.Experiment{w.Record})
	if err != nil {
		return false, err
	}
	if rival != nil && news[0] {
		env.notef("week %s: this %s record now speaks for the week; the one on data %.12s with seed %d (recorded %s) is kept\n",
			w.Version.Week, w.Record.Kind, rival.DataSHA256, rival.Seed, rival.CreatedAt.Format(time.DateOnly))
	}
	return news[0], nil
}

// CheckMethodRivals plans spec as Measure would and says whether any of
// its weeks holds a rival it may not replace, storing nothing: a caller
// that runs several specs as one (a --previous-data run's three) checks
// them all before running any, so none lands half.
func CheckMethodRivals(env Env, spec MethodSpec) error {
	weeks, _, err := planWeeks(&env, &spec)
	if err != nil {
		return err
	}
	return checkRivals(weeks, spec.Replace)
}

// CheckEvalRivals is CheckMethodRivals for an evaluate run.
func CheckEvalRivals(env Env, spec EvalSpec) error {
	weeks, err := planEvaluation(&env, &spec)
	if err != nil {
		return err
	}
	if !spec.Replace {
		for _, w := range weeks {
			if w.rival != nil {
				return evalRivalError(w, w.rival)
			}
		}
	}
	return nil
}
