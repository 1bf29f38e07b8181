package runs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/tracker"
)

// Method is one behavioural importance method as a run drives it.
type Method struct {
	Kind string
	// Params are the method's parameters on data of dataRows rows,
	// watching output unit output: the ones its result carries.
	Params func(dataRows, output int) map[string]string
	Run    func(ctx context.Context, r *experiments.Run) (experiments.Result, error)
	// Unit is what the method's progress counts, for the bar's label.
	Unit string
}

// Weeks says which weeks a run covers: the week Week names (a date), the
// newest N, or All; otherwise, or with Week "latest", the newest week.
// Each week is run on its current version.
type Weeks struct {
	Week string
	N    int
	All  bool
}

// versions is the current version of each week ws names, oldest first.
func (ws Weeks) versions(store *tracker.Store, model string) ([]tracker.VersionInfo, error) {
	switch {
	case ws.Week != "" && ws.Week != "latest":
		vi, err := store.VersionAt(model, ws.Week)
		return []tracker.VersionInfo{vi}, err
	case ws.All:
		return store.CurrentVersions(model, 0)
	case ws.N > 0:
		return store.CurrentVersions(model, ws.N)
	}
	return store.CurrentVersions(model, 1)
}

// MethodSpec is a run of a behavioural method on data over weeks.
type MethodSpec struct {
	Model  string
	Weeks  Weeks
	Data   Data
	Output int // the output unit watched; negative: each version's last
	Seed   uint64
	Method Method
	// Replace records a week's result over a record of the same series on
	// other data or with another seed (tracker.Rival), which it then
	// replaces as the one that speaks for the week; without it such a run
	// is refused before any week is computed.
	Replace bool
}

// Measure runs spec's method on each week it covers, oldest first, and
// records each week's result in its own short write as soon as it is
// computed. A week that already holds the record is noted and not run
// again; a week holding a rival refuses the run (see rival.go). The
// data's columns are matched to the series' feature names once
// (MatchColumns), and the names adopted from the data's header when the
// series has none. An interrupt (ctx cancelled) stores nothing for the
// week it stopped in and says how many weeks were stored before.
func Measure(ctx context.Context, env Env, spec MethodSpec) (*Outcome, error) {
	weeks, names, err := planWeeks(&env, &spec)
	if err != nil {
		return nil, err
	}
	if err := checkRivals(weeks, spec.Replace); err != nil {
		return nil, err
	}
	m := &spec.Method
	for i, w := range weeks {
		if w.Stored != nil {
			env.notef("week %s: %s already recorded with these parameters, data and seed (on %s); nothing stored, showing the stored result\n",
				w.Version.Week, m.Kind, w.Stored.CreatedAt.Format(time.DateOnly))
			w.Record = *w.Stored
			continue
		}
		label := fmt.Sprintf("%s %s (%d/%d)", m.Kind, w.Version.Week, i+1, len(weeks))
		if err := compute(ctx, &env, w, &spec, label); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, fmt.Errorf("interrupted during week %s: nothing stored for it (%d earlier weeks were stored)", w.Version.Week, computed(weeks[:i]))
			}
			return nil, fmt.Errorf("week %s: %w", w.Version.Week, err)
		}
		adopted, err := record(&env, &spec, w, names == nil)
		if err != nil {
			return nil, err
		}
		if adopted != nil {
			names = adopted
		}
	}
	return &Outcome{Kind: m.Kind, Weeks: weeks, Names: names}, nil
}

// computed is how many of weeks the run computed and stored.
func computed(weeks []*Week) int {
	n := 0
	for _, w := range weeks {
		if w.Stored == nil {
			n++
		}
	}
	return n
}

// planWeeks reads what the run needs from the store and closes it again,
// so no lock is held while the method runs: ingests can go on meanwhile.
// It matches the data's columns to the series' feature names, and
// returns the weeks and those names.
func planWeeks(env *Env, spec *MethodSpec) ([]*Week, []string, error) {
	if err := checkRole(spec.Data.Role); err != nil {
		return nil, nil, err
	}
	store, err := env.Open(true)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	versions, err := spec.Weeks.versions(store, spec.Model)
	if err != nil {
		return nil, nil, err
	}
	names, err := store.Features(spec.Model)
	if err != nil {
		return nil, nil, err
	}
	if err := MatchColumns(env.Notes, spec.Data.Path, spec.Data.Rows, names, "model "+quote.Short(spec.Model)); err != nil {
		return nil, nil, err
	}
	spec.Data.weeks = len(versions)
	weeks := make([]*Week, 0, len(versions))
	for _, vi := range versions {
		w, err := planWeek(store, spec, vi)
		if err != nil {
			return nil, nil, err
		}
		weeks = append(weeks, w)
	}
	return weeks, names, nil
}

// planWeek is the run's record on version vi: its identity, the record
// stored with it if any or else its rival, and the version's weight-sum,
// stored or computed.
func planWeek(store *tracker.Store, spec *MethodSpec, vi tracker.VersionInfo) (*Week, error) {
	data := spec.Data.Rows
	if err := CheckColumns(spec.Data.Path, data, vi.Inputs, fmt.Sprintf("week %s (version %d)", vi.Week, vi.Version)); err != nil {
		return nil, err
	}
	output := spec.Output
	if output < 0 {
		output = vi.Outputs - 1
	}
	if output >= vi.Outputs {
		return nil, &OutputError{Output: output, Week: vi.Week, Outputs: vi.Outputs}
	}
	params := spec.Method.Params(data.Rows, output)
	spec.Data.params(params)
	w := &Week{Version: vi, Record: tracker.Experiment{
		Kind: spec.Method.Kind, Params: params, DataSHA256: data.SHA256, DataRows: data.Rows, Seed: int64(spec.Seed),
	}}
	exps, err := store.Experiments(vi.Model, vi.Version)
	if err != nil {
		return nil, err
	}
	id := w.Record.ID()
	haveWeightSum := false
	for _, e := range exps {
		switch {
		case e.ID() == id:
			w.Stored = e
		case e.Kind == experiments.KindWeightSum:
			w.WeightSum = experiments.Result{Kind: e.Kind, Value: e.Value, Rank: e.Rank}
			haveWeightSum = true
		}
	}
	w.rival = tracker.Rival(exps, &w.Record)
	if w.Stored == nil || !haveWeightSum {
		if w.snap, err = store.Snapshot(vi.Model, vi.Version); err != nil {
			return nil, err
		}
	}
	if !haveWeightSum {
		w.WeightSum = experiments.WeightSum(w.snap)
	}
	return w, nil
}

// compute runs the method on one week's version, filling its record's
// results, with a bar named label.
func compute(ctx context.Context, env *Env, w *Week, spec *MethodSpec, label string) error {
	net, err := nn.New(w.snap)
	if err != nil {
		return err
	}
	m := &spec.Method
	output, _ := strconv.Atoi(w.Record.Params["output"])
	label += " " + m.Unit
	bar := env.bar(label)
	start := time.Now()
	res, err := m.Run(ctx, &experiments.Run{Net: net, Data: spec.Data.Rows, Output: output, Seed: uint64(w.Record.Seed),
		Progress: func(done, total int) { bar.Update(label, done, total) }})
	bar.Done()
	if err != nil {
		return err
	}
	if !maps.Equal(res.Params, withoutData(w.Record.Params)) {
		return fmt.Errorf("internal error: %s ran with parameters %v but planned %v", m.Kind, res.Params, w.Record.Params)
	}
	e := &w.Record
	e.Took = time.Since(start)
	e.ToolVersion = env.ToolVersion
	e.CreatedAt = env.Now().UTC()
	e.Value, e.Spread, e.Rank, e.Extra = res.Value, res.Spread, res.Rank, res.Extra
	return nil
}

// record stores one week's result in its own short transaction and, with
// adopt, the data header's feature names when the series has none, in
// the transaction before: a run killed between the two then leaves names
// without the record, which its rerun records, and never the record
// without the names, which a rerun would find and pass over. It returns
// the names it stored, if any.
func record(env *Env, spec *MethodSpec, w *Week, adopt bool) ([]string, error) {
	store, err := env.Open(false)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var names []string
	if adopt {
		if names, err = adoptNames(env, store, w.Version.Model, &spec.Data); err != nil {
			return nil, err
		}
	}
	if _, err := recordWeek(env, store, w, spec.Replace); err != nil {
		return nil, fmt.Errorf("record %s for week %s: %w", w.Record.Kind, w.Version.Week, err)
	}
	storeRunProfile(env, store, w.Version.Model, w.Version.Week, &spec.Data)
	return names, nil
}
