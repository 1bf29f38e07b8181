package retrain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/experiments/profile"
	"github.com/tracker-ml/tracker/experiments/quality"
	"github.com/tracker-ml/tracker/experiments/weightdiff"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

// Comparison is what tracker can measure between a reference week A and
// a week B of one series, each part where its records exist.
type Comparison struct {
	Model string
	A, B  tracker.VersionInfo
	Names []string // the series' feature names, nil when it has none

	Weights *weightdiff.Diff // per Dense layer; nil when the architectures differ
	// ArchChange says how the architectures differ, "" when they do not:
	// a violation a team can accept (a layer resized on purpose).
	ArchChange string

	// With rows (Data): the hidden layers' linear CKA and the two models'
	// predictions compared, with labels the metrics of each.
	Data      *dataset.Dataset
	CKA       []float64
	Behaviour *quality.Churn
	OnRowsA   *quality.Metrics
	OnRowsB   *quality.Metrics

	// QualityA and QualityB are each week's own evaluation (data role
	// week), nil where not recorded.
	QualityA, QualityB *tracker.Evaluation

	Importance []SeriesDiff

	Drift     *profile.Drift // B's data profile against A's, nil without both
	DriftRole string

	// next holds A's records of its model on B's rows (data role next),
	// which tell a data change from a model change; rowsOfB is the data
	// hash of B's own record of each series, which a next record must
	// share.
	next    []*tracker.Experiment
	rowsOfB map[string]string
}

// SeriesDiff is one importance series recorded in both weeks.
type SeriesDiff struct {
	Label, Key string
	// Compared is how many features neither week calls negligible: the
	// correlations are over those, as the many features that matter little
	// reshuffle every week and would drown the ones that matter.
	Compared          int
	Spearman, Kendall float64
	// BecameNegligible were clearly there in A, with at least ZeroedShare
	// of A's largest value, and are negligible in B, the drop beyond 3
	// standard errors; RoseFromNegligible the other way, with that share
	// of B's. Only methods that can judge negligible (permutation,
	// drop-retrain) fill them.
	BecameNegligible, RoseFromNegligible []int
	// Movers are the significant changes into B when A is the week before
	// it (the verdicts of query week); nil otherwise.
	Movers      []compare.Mover
	Consecutive bool
	Kind        string
	// Judgeable says the method can call a feature negligible, so
	// Compared leaves some out; false for perturb and the weight-based.
	Judgeable bool
}

// Read fills a comparison of versions a and b of model from the store.
func Read(ctx context.Context, store *tracker.Store, model string, a, b tracker.VersionInfo, rows *dataset.Dataset) (*Comparison, error) {
	return read(ctx, store, model, a, b, rows, nil)
}

// read is Read; with weights (a pair's cached weight measures) the
// weights are not compared again and the snapshots are read only for rows.
func read(ctx context.Context, store *tracker.Store, model string, a, b tracker.VersionInfo, rows *dataset.Dataset, weights tracker.Numbers) (*Comparison, error) {
	c := &Comparison{Model: model, A: a, B: b, Data: rows}
	var err error
	if c.Names, err = store.Features(model); err != nil {
		return nil, err
	}
	var snapA, snapB *snapshot.Snapshot
	if weights == nil || rows != nil {
		if snapA, err = store.Snapshot(model, a.Version); err != nil {
			return nil, err
		}
		if snapB, err = store.Snapshot(model, b.Version); err != nil {
			return nil, err
		}
	}
	if weights == nil {
		c.Weights, err = weightdiff.Compare(snapA, snapB)
		if errors.Is(err, weightdiff.ErrArchitecture) {
			c.Weights, c.ArchChange, err = nil, err.Error(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("weeks %s and %s: %w", a.Week, b.Week, err)
		}
	}
	if rows != nil && c.ArchChange == "" {
		if err := c.onRows(ctx, snapA, snapB); err != nil {
			return nil, err
		}
	}
	if err := c.readQuality(store); err != nil {
		return nil, err
	}
	if err := c.readImportance(store); err != nil {
		return nil, err
	}
	if err := c.readDrift(store); err != nil {
		return nil, err
	}
	return c, nil
}

// onRows runs both models on the comparison's rows: each hidden layer's
// CKA, the predictions compared (churn, probability change, with labels
// the negative flip rate), and with labels each model's metrics.
func (c *Comparison) onRows(ctx context.Context, snapA, snapB *snapshot.Snapshot) error {
	netA, err := nn.New(snapA)
	if err != nil {
		return err
	}
	netB, err := nn.New(snapB)
	if err != nil {
		return err
	}
	d := c.Data
	if c.CKA, err = weightdiff.LayerCKA(snapA, snapB, d.X, d.Rows); err != nil {
		return err
	}
	outA, err := netA.ForwardAll(ctx, d.X, d.Rows)
	if err != nil {
		return err
	}
	outB, err := netB.ForwardAll(ctx, d.X, d.Rows)
	if err != nil {
		return err
	}
	pa, k := runs.ClassProbabilities(outA, netA.Outputs())
	pb, _ := runs.ClassProbabilities(outB, netB.Outputs())
	churn, err := quality.Compare(pa, pb, k, d.Labels)
	if err != nil {
		return err
	}
	c.Behaviour = &churn
	if d.Labels != nil {
		ma, err := quality.Evaluate(pa, k, d.Labels)
		if err != nil {
			return err
		}
		mb, err := quality.Evaluate(pb, k, d.Labels)
		if err != nil {
			return err
		}
		c.OnRowsA, c.OnRowsB = &ma, &mb
	}
	return nil
}

// readQuality reads each week's own evaluation.
func (c *Comparison) readQuality(store *tracker.Store) error {
	for _, w := range []struct {
		vi  tracker.VersionInfo
		out **tracker.Evaluation
	}{{c.A, &c.QualityA}, {c.B, &c.QualityB}} {
		evs, err := store.Evaluations(c.Model, w.vi.Version)
		if err != nil {
			return err
		}
		*w.out = tracker.SpeakingEvaluation(evs, tracker.DefaultRole)
	}
	return nil
}

// readImportance compares every series recorded on each week's own rows
// in both weeks.
func (c *Comparison) readImportance(store *tracker.Store) error {
	ra, err := store.Experiments(c.Model, c.A.Version)
	if err != nil {
		return err
	}
	rb, err := store.Experiments(c.Model, c.B.Version)
	if err != nil {
		return err
	}
	c.next = tracker.OfRole(ra, "next")
	c.rowsOfB = map[string]string{}
	weeks, err := store.Weeks(c.Model, 0)
	if err != nil {
		return err
	}
	ia := slices.IndexFunc(weeks, func(w tracker.WeekVersion) bool { return w.Week == c.A.Week })
	ib := slices.IndexFunc(weeks, func(w tracker.WeekVersion) bool { return w.Week == c.B.Week })
	consecutive := ia >= 0 && ib == ia+1
	for _, eb := range tracker.SeriesRecords(tracker.OfRole(rb, tracker.DefaultRole), experiments.TellingOf) {
		key := tracker.SeriesKey(eb.Kind, eb.Params)
		ea := tracker.SeriesRecord(ra, key)
		if ea == nil || len(ea.Value) != len(eb.Value) {
			continue
		}
		c.rowsOfB[key] = eb.DataSHA256
		d := seriesDiff(resultOfRecord(ea), resultOfRecord(eb))
		d.Key, d.Kind, d.Consecutive = key, eb.Kind, consecutive
		if consecutive {
			if d.Movers, err = movers(store, c.Model, c.B.Week, key, eb.Kind); err != nil {
				return err
			}
		}
		c.Importance = append(c.Importance, d)
	}
	// Label the series as query and the report do: the kind, with the
	// parameters that tell several of one kind apart.
	series := make([]*tracker.Series, len(c.Importance))
	for i, d := range c.Importance {
		e := tracker.SeriesRecord(rb, d.Key)
		series[i] = &tracker.Series{Kind: e.Kind, Params: e.Params, Key: d.Key}
	}
	tracker.LabelSeries(series, experiments.OrderOf)
	for _, s := range series {
		for i := range c.Importance {
			if c.Importance[i].Key == s.Key {
				c.Importance[i].Label = s.Label
			}
		}
	}
	return nil
}

// movers are the significant movers into week of series key, judged
// against the series' learned noise as query week judges them.
func movers(store *tracker.Store, model, week, key, kind string) ([]compare.Mover, error) {
	s, err := store.SeriesUpTo(model, week, key, kind, compare.Lookback)
	if err != nil {
		return nil, err
	}
	series := make([]experiments.Result, len(s.Records))
	for i, e := range s.Records {
		if e != nil {
			series[i] = resultOfRecord(e)
		}
	}
	m := compare.Movers(series)
	return append(m.Up, m.Down...), nil
}

func resultOfRecord(e *tracker.Experiment) experiments.Result {
	return experiments.Result{Kind: e.Kind, Params: e.Params, Value: e.Value, Spread: e.Spread, Rank: e.Rank, Extra: e.Extra}
}

// seriesDiff compares one series' two weeks.
func seriesDiff(a, b experiments.Result) SeriesDiff {
	ea, eb := compare.JudgeEffects(a), compare.JudgeEffects(b)
	var d SeriesDiff
	var xs, ys []float64
	maxA, maxB := largest(a.Value), largest(b.Value)
	seA, seB := experiments.StandardErrors(a), experiments.StandardErrors(b)
	// A feature went to zero (or rose from it) only when it mattered, with
	// a quarter of the largest value, and the move itself is beyond 3
	// standard errors of the two weeks' measurements: the noise features a
	// week calls clearly there at its false discovery rate, and the weak
	// ones a retrain leans on more or less, flicker from week to week.
	moved := func(f int) bool {
		se := math.Hypot(seA[f], seB[f])
		return !math.IsNaN(se) && math.Abs(a.Value[f]-b.Value[f]) > 3*se
	}
	for f := range a.Value {
		na, nb := effectAt(ea, f), effectAt(eb, f)
		d.Judgeable = d.Judgeable || na != experiments.EffectUnknown || nb != experiments.EffectUnknown
		switch {
		case na == experiments.EffectClear && nb == experiments.EffectNone && a.Value[f] >= ZeroedShare*maxA && moved(f):
			d.BecameNegligible = append(d.BecameNegligible, f)
		case na == experiments.EffectNone && nb == experiments.EffectClear && b.Value[f] >= ZeroedShare*maxB && moved(f):
			d.RoseFromNegligible = append(d.RoseFromNegligible, f)
		}
		if na == experiments.EffectNone || nb == experiments.EffectNone || !finite(a.Value[f]) || !finite(b.Value[f]) {
			continue
		}
		if (a.Rank != nil && a.Rank[f] == 0) || (b.Rank != nil && b.Rank[f] == 0) {
			continue // not measured
		}
		xs, ys = append(xs, a.Value[f]), append(ys, b.Value[f])
	}
	d.Compared = len(xs)
	d.Spearman, d.Kendall = spearman(xs, ys), kendall(xs, ys)
	return d
}

// ZeroedShare is the share of a week's largest value a feature must have
// had to go to zero: a quarter, a feature the model leaned on. In the
// demo's weeks (2,000 held-out rows, 3 repeats) its weakest planted
// features, at 20 to 25% of the largest, were clearly there one week and
// negligible the next with nothing changed; the feature that stops
// mattering there was the strongest.
const ZeroedShare = 0.25

// largest is the largest finite value of vs, 0 for none.
func largest(vs []float64) float64 {
	m := 0.0
	for _, v := range vs {
		if finite(v) {
			m = max(m, v)
		}
	}
	return m
}

func effectAt(e compare.Effects, f int) experiments.Effect {
	if f < len(e.Effect) {
		return e.Effect[f]
	}
	return experiments.EffectUnknown
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// readDrift compares the two weeks' data profiles: of role train where
// both weeks have one, else of role week (the rows runs read).
func (c *Comparison) readDrift(store *tracker.Store) error {
	// The two weeks' profiles alone: a check reads this for every pair of
	// its history, and a series' profiles are megabytes.
	inA, err := store.WeekProfiles(c.Model, c.A.Week)
	if err != nil {
		return err
	}
	inB, err := store.WeekProfiles(c.Model, c.B.Week)
	if err != nil {
		return err
	}
	for _, role := range []string{"train", tracker.DefaultRole} {
		pa, pb := tracker.SpeakingProfile(inA, c.A.Week, role), tracker.SpeakingProfile(inB, c.B.Week, role)
		if pa == nil || pb == nil {
			continue
		}
		var ref, cur profile.Profile
		if err := json.Unmarshal(pa.Profile, &ref); err != nil {
			return fmt.Errorf("the data profile of week %s is damaged: %v", pa.Week, err)
		}
		if err := json.Unmarshal(pb.Profile, &cur); err != nil {
			return fmt.Errorf("the data profile of week %s is damaged: %v", pb.Week, err)
		}
		if c.Drift, err = profile.Compare(&ref, &cur); err != nil {
			return fmt.Errorf("weeks %s and %s: %w", c.A.Week, c.B.Week, err)
		}
		c.DriftRole = role
		return nil
	}
	return nil
}

// Drifted are the indexes, in the series, of the features whose data
// drifted from A to B.
func (c *Comparison) Drifted() []int {
	if c.Drift == nil {
		return nil
	}
	var out []int
	for _, f := range c.Drift.Features {
		if f.Drifted {
			out = append(out, c.index(f))
		}
	}
	return out
}

// index is a drift row's feature index in the series.
func (c *Comparison) index(f profile.FeatureDrift) int {
	if i := slices.Index(c.Names, f.Name); c.Names != nil && i >= 0 {
		return i
	}
	return f.Current
}
