package retrain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/tracker"
)

// Env is what a check gets from around it.
type Env struct {
	Open        func(readOnly bool) (*tracker.Store, error)
	Now         func() time.Time
	ToolVersion string
	Notes       io.Writer // a line per history pair computed; nil discards
}

func (env *Env) notef(format string, args ...any) {
	if env.Notes != nil {
		fmt.Fprintf(env.Notes, format, args...)
	}
}

// Explicit are bounds the user gave, NaN where not given; they replace
// the learned or default bound of their quantities.
type Explicit struct {
	MaxChurn, MinCKA, MaxScaleChange float64
}

// NoExplicit gives no bound.
var NoExplicit = Explicit{MaxChurn: math.NaN(), MinCKA: math.NaN(), MaxScaleChange: math.NaN()}

// CheckSpec is one check: week Week (a date, or "" / "latest" for the
// newest) of Model against Against ("" for the newest earlier week that
// passed its check, was accepted or was never checked), with rows when
// the check reads data.
type CheckSpec struct {
	Model, Week, Against string
	Rows                 *dataset.Dataset
	Bounds               Explicit
}

// ErrNoReference: the week has no earlier normal week to compare with.
var ErrNoReference = errors.New("no week to compare with")

// Check compares a week with its reference, bounds every quantity by
// what the model's normal retrains showed (or by the defaults while fewer
// than MinHistory are known), and stores the result. A history pair's
// measures are computed once and stored for later checks.
func Check(ctx context.Context, env Env, spec CheckSpec) (*tracker.CheckResult, error) {
	plan, res, err := planAndJudge(ctx, env, spec)
	if err != nil {
		return nil, err
	}
	store, err := env.Open(false)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	for pair, m := range plan.computed {
		if err := store.PutMeasures(spec.Model, pair[0], pair[1], m); err != nil {
			return nil, err
		}
	}
	if err := store.PutCheck(spec.Model, res); err != nil {
		return nil, err
	}
	return res, nil
}

// checkPlan is what a check read: the week, its reference, their
// comparison, and the history of normal pairs' measures.
type checkPlan struct {
	week, ref tracker.VersionInfo
	cmp       *Comparison
	history   []map[string]float64 // oldest first
	computed  map[[2]uint64]tracker.Numbers
	dataHash  string
}

func planCheck(ctx context.Context, env *Env, store *tracker.Store, spec CheckSpec) (*checkPlan, error) {
	versions, err := store.CurrentVersions(spec.Model, 0)
	if err != nil {
		return nil, err
	}
	checks, err := store.Checks(spec.Model)
	if err != nil {
		return nil, err
	}
	wi := len(versions) - 1
	if spec.Week != "" && spec.Week != "latest" {
		if wi = slices.IndexFunc(versions, func(v tracker.VersionInfo) bool { return v.Week == spec.Week }); wi < 0 {
			return nil, fact.Errorf(tracker.ErrNotFound, "model %s has no version for week %s", spec.Model, spec.Week)
		}
	}
	normal := func(v tracker.VersionInfo) bool { return checks.Standing(v.Week, v.Version).Normal() }
	ri := -1
	if spec.Against != "" {
		if ri = slices.IndexFunc(versions, func(v tracker.VersionInfo) bool { return v.Week == spec.Against }); ri < 0 {
			return nil, fact.Errorf(tracker.ErrNotFound, "model %s has no version for week %s to compare with", spec.Model, spec.Against)
		}
	} else {
		for i := wi - 1; i >= 0; i-- {
			if normal(versions[i]) {
				ri = i
				break
			}
		}
	}
	if ri < 0 {
		return nil, fact.Errorf(ErrNoReference, "week %s of model %s has no earlier week that passed its check, was accepted or was never checked", versions[wi].Week, spec.Model)
	}
	p := &checkPlan{week: versions[wi], ref: versions[ri], computed: map[[2]uint64]tracker.Numbers{}}
	if spec.Rows != nil {
		p.dataHash = spec.Rows.SHA256
	}
	if p.cmp, err = Read(ctx, store, spec.Model, p.ref, p.week, spec.Rows); err != nil {
		return nil, err
	}
	// The history: consecutive normal weeks before the reference's, up to
	// it, newest MaxHistory pairs.
	var past []tracker.VersionInfo
	for i := 0; i <= ri; i++ {
		if normal(versions[i]) {
			past = append(past, versions[i])
		}
	}
	if len(past) > MaxHistory+1 {
		past = past[len(past)-MaxHistory-1:]
	}
	for i := 1; i < len(past); i++ {
		a, b := past[i-1], past[i]
		m, ok := checks.Measures[[2]uint64{a.Version, b.Version}]
		if !ok {
			c, err := Read(ctx, store, spec.Model, a, b, nil)
			if err != nil {
				return nil, fmt.Errorf("history weeks %s and %s: %w", a.Week, b.Week, err)
			}
			m = measureMap(c.Measures())
			p.computed[[2]uint64{a.Version, b.Version}] = m
			env.notef("learned from weeks %s -> %s\n", a.Week, b.Week)
		}
		p.history = append(p.history, m)
	}
	// The pair checked now joins the history of later checks when it
	// passes; its measures are cached either way.
	p.computed[[2]uint64{p.ref.Version, p.week.Version}] = measureMap(p.cmp.Measures())
	return p, nil
}

// measureMap are the measures that need no rows, by name: what a history
// pair stores.
func measureMap(ms []Measure) tracker.Numbers {
	out := tracker.Numbers{}
	for _, m := range ms {
		if !m.Data {
			out[m.Name] = m.Value
		}
	}
	return out
}

// judge bounds every measure and lists the violations.
func (p *checkPlan) judge(spec CheckSpec, env Env) *tracker.CheckResult {
	res := &tracker.CheckResult{Week: p.week.Week, Version: p.week.Version, Against: p.ref.Week, AgainstVersion: p.ref.Version,
		Learned: len(p.history) >= MinHistory, Measures: tracker.Numbers{}, DataSHA256: p.dataHash,
		ToolVersion: env.ToolVersion, CreatedAt: env.Now().UTC()}
	for _, m := range p.cmp.Measures() {
		res.Measures[m.Name] = m.Value
		b := p.bound(m, spec.Bounds)
		if !b.Outside(m.Value) {
			continue
		}
		if m.SE > 0 && math.Abs(m.Value) <= SEGate*m.SE {
			continue // within the metric's own sampling error
		}
		res.Violations = append(res.Violations, tracker.Violation{What: m.Name, Value: m.Value, Bound: b.String(), Cause: m.Cause})
	}
	res.Violations = append(res.Violations, p.cmp.Rules()...)
	res.Pass = len(res.Violations) == 0
	return res
}

// bound is the bound of m: the user's, else learned from the history,
// else the default. Quantities that need rows have no history here
// (their rows are this check's alone), so they keep their defaults.
func (p *checkPlan) bound(m Measure, e Explicit) Bound {
	switch {
	case m.Name == "behaviour/churn" && !math.IsNaN(e.MaxChurn):
		return Upper(e.MaxChurn)
	case m.Side == Below && m.Data && !math.IsNaN(e.MinCKA) && len(m.Name) > 4 && m.Name[len(m.Name)-4:] == "/cka":
		return Lower(e.MinCKA)
	case m.Side == Both && !math.IsNaN(e.MaxScaleChange):
		return Within(1/(1+e.MaxScaleChange), 1+e.MaxScaleChange)
	case m.Data:
		return m.Default
	}
	past := make([]float64, 0, len(p.history))
	for _, h := range p.history {
		v, ok := h[m.Name]
		if !ok {
			v = math.NaN()
		}
		past = append(past, v)
	}
	return Learn(past, m.Side, m.Default)
}

// Difference is a diff of two weeks: their comparison, judged as a check
// of B against A would judge it, and one line saying what changed most.
type Difference struct {
	Comparison *Comparison
	Result     *tracker.CheckResult
	Verdict    string
}

// Diff compares week spec.Week with week spec.Against and judges it as
// Check would, storing nothing: a diff is a question, not a gate.
func Diff(ctx context.Context, env Env, spec CheckSpec) (*Difference, error) {
	if spec.Against == "" || spec.Week == "" {
		return nil, errors.New("a diff needs two weeks")
	}
	plan, res, err := planAndJudge(ctx, env, spec)
	if err != nil {
		return nil, err
	}
	return &Difference{Comparison: plan.cmp, Result: res, Verdict: plan.verdict(res, spec)}, nil
}

// planAndJudge reads what a check or a diff needs from a store opened
// read-only and closed again, then judges it.
func planAndJudge(ctx context.Context, env Env, spec CheckSpec) (*checkPlan, *tracker.CheckResult, error) {
	store, err := env.Open(true)
	if err != nil {
		return nil, nil, err
	}
	plan, err := planCheck(ctx, &env, store, spec)
	store.Close()
	if err != nil {
		return nil, nil, err
	}
	return plan, plan.judge(spec, env), nil
}

// verdict says what changed most: the broken bounds when there are any,
// else the quantity furthest from its history's median in robust
// standard deviations.
func (p *checkPlan) verdict(res *tracker.CheckResult, spec CheckSpec) string {
	if len(res.Violations) > 0 {
		v := res.Violations[0]
		more := ""
		if n := len(res.Violations) - 1; n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		return fmt.Sprintf("out of this model's normal bounds: %s (likely cause: %s)%s", v.What, v.Cause, more)
	}
	if len(p.history) < MinHistory {
		return fmt.Sprintf("within the default bounds (%d changes between normal weeks are known, %d are needed to learn them)", len(p.history), MinHistory)
	}
	best, score := "", 0.0
	for _, m := range p.cmp.Measures() {
		if m.Data {
			continue
		}
		var past []float64
		for _, h := range p.history {
			if v, ok := h[m.Name]; ok && !math.IsNaN(v) {
				past = append(past, v)
			}
		}
		if len(past) < MinHistory {
			continue
		}
		med := median(past)
		dev := make([]float64, len(past))
		for i, x := range past {
			dev[i] = math.Abs(x - med)
		}
		s := 1.4826 * median(dev)
		if s == 0 {
			continue
		}
		if z := math.Abs(m.Value-med) / s; z > score {
			best, score = fmt.Sprintf("%s %.4g against a median of %.4g", m.Name, m.Value, med), z
		}
	}
	if best == "" {
		return "within this model's normal bounds"
	}
	return fmt.Sprintf("within this model's normal bounds; the largest departure is %s (%.1f robust sds)", best, score)
}
