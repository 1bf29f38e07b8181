package retrain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
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
	// AnyOrder lets Against be after Week: a diff compares any two weeks,
	// a check only with an earlier one.
	AnyOrder bool
}

// ErrReference: the week asked for as the reference is not earlier than
// the week checked.
var ErrReference = errors.New("bad reference week")

// ErrNoReference: every week before the one checked failed its check, so
// none may be its reference.
var ErrNoReference = errors.New("no week to compare with")

// Check compares a week with its reference, bounds every quantity by
// what the model's normal retrains showed (or by the defaults while fewer
// than MinHistory are known), and stores the result, with the measures
// of every pair it computed, in one write. The first week of a series has
// nothing to compare with and passes, saying so.
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
	if err := store.PutCheck(spec.Model, res, plan.computed); err != nil {
		return nil, err
	}
	return res, nil
}

// checkPlan is what a check read: the week, its reference, their
// comparison, and the history of normal pairs' measures.
type checkPlan struct {
	week, ref tracker.VersionInfo
	first     bool // the series' first week: nothing to compare
	cmp       *Comparison
	history   []tracker.Numbers // oldest first
	computed  []tracker.CachedMeasures
	dataHash  string
}

func planCheck(ctx context.Context, env *Env, store *tracker.Store, spec CheckSpec) (*checkPlan, error) {
	versions, err := store.CurrentVersions(spec.Model, 0) // oldest first
	if err != nil {
		return nil, err
	}
	checks, err := store.Checks(spec.Model)
	if err != nil {
		return nil, err
	}
	find := func(week string) int {
		return slices.IndexFunc(versions, func(v tracker.VersionInfo) bool { return v.Week == week })
	}
	wi := len(versions) - 1
	if spec.Week != "" && spec.Week != "latest" {
		if wi = find(spec.Week); wi < 0 {
			return nil, fact.Errorf(tracker.ErrNotFound, "model %s has no version for week %s", spec.Model, spec.Week)
		}
	}
	normal := func(v tracker.VersionInfo) bool { return checks.Standing(v.Week, v.Version).Normal() }
	ri := -1
	if spec.Against != "" {
		if ri = find(spec.Against); ri < 0 {
			return nil, fact.Errorf(tracker.ErrNotFound, "model %s has no version for week %s to compare with", spec.Model, spec.Against)
		}
		if ri == wi {
			return nil, fact.Errorf(ErrReference, "week %s is the week compared: give an earlier week to compare it with", spec.Against)
		}
		if ri > wi && !spec.AnyOrder {
			return nil, fact.Errorf(ErrReference, "week %s is after week %s: a check compares a week with an earlier one", spec.Against, versions[wi].Week)
		}
	} else {
		for i := wi - 1; i >= 0; i-- {
			if normal(versions[i]) {
				ri = i
				break
			}
		}
	}
	p := &checkPlan{week: versions[wi]}
	if spec.Rows != nil {
		p.dataHash = spec.Rows.SHA256
	}
	if ri < 0 {
		if wi == 0 {
			p.first = true
			return p, nil
		}
		return nil, fact.Errorf(ErrNoReference, "every week before %s of model %s failed its check", versions[wi].Week, spec.Model)
	}
	p.ref = versions[ri]
	if p.cmp, err = read(ctx, store, spec.Model, p.ref, p.week, spec.Rows, nil); err != nil {
		return nil, err
	}
	p.computed = append(p.computed, cacheOf(p.cmp, p.dataHash))
	// The history: consecutive normal weeks before the reference's, up to
	// it, newest MaxHistory pairs.
	lo := min(ri, wi) // a diff may name the later week first
	var past []tracker.VersionInfo
	for i := 0; i <= lo; i++ {
		if normal(versions[i]) {
			past = append(past, versions[i])
		}
	}
	if len(past) > MaxHistory+1 {
		past = past[len(past)-MaxHistory-1:]
	}
	pairs := make([][2]tracker.VersionInfo, 0, len(past))
	for i := 1; i < len(past); i++ {
		pairs = append(pairs, [2]tracker.VersionInfo{past[i-1], past[i]})
	}
	p.history = make([]tracker.Numbers, len(pairs))
	newWeights := make([]bool, len(pairs))
	errs := make([]error, len(pairs))
	// Two at a time: a pair's weights take about 200 ms at 500 units, and
	// the machine has two cores.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, pr := range pairs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p.history[i], newWeights[i], errs[i] = pairMeasures(ctx, store, spec.Model, pr[0], pr[1], checks, p.dataHash)
		})
	}
	wg.Wait()
	computed := 0
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("history weeks %s and %s: %w", pairs[i][0].Week, pairs[i][1].Week, err)
		}
		if newWeights[i] {
			computed++
			p.computed = append(p.computed, tracker.CachedMeasures{A: pairs[i][0].Version, B: pairs[i][1].Version, Values: weightsOnly(p.history[i])})
		}
	}
	if computed > 0 {
		env.notef("compared the weights of %d earlier week pairs: the history the bounds are learned from\n", computed)
	}
	return p, nil
}

// pairMeasures are a history pair's measures: its weights' from the
// cache when stored (they depend on the two versions alone), everything
// else read afresh, as records may have been added or replaced since;
// its measures on rows only from the cache of checks on the same rows.
// fresh says the weights were compared now.
func pairMeasures(ctx context.Context, store *tracker.Store, model string, a, b tracker.VersionInfo, checks *tracker.CheckHistory, dataHash string) (m tracker.Numbers, fresh bool, err error) {
	cached, ok := checks.Measures[tracker.PairKey{A: a.Version, B: b.Version}]
	c, err := read(ctx, store, model, a, b, nil, cached)
	if err != nil {
		return nil, false, err
	}
	m = tracker.Numbers{}
	for _, x := range c.Measures() {
		m[x.Name] = x.Value
	}
	for name, v := range cached {
		m[name] = v
	}
	if dataHash != "" {
		for name, v := range checks.Measures[tracker.PairKey{A: a.Version, B: b.Version, Data: dataHash}] {
			m[name] = v
		}
	}
	return m, !ok, nil
}

// cacheOf is what a compared pair leaves for later checks: its weight
// measures, and with rows its measures on them under the rows' hash.
func cacheOf(c *Comparison, dataHash string) tracker.CachedMeasures {
	w, d := tracker.Numbers{}, tracker.Numbers{}
	for _, m := range c.Measures() {
		switch {
		case m.Weights:
			w[m.Name] = m.Value
		case m.Data:
			d[m.Name] = m.Value
		}
	}
	out := tracker.CachedMeasures{A: c.A.Version, B: c.B.Version, Values: w}
	if dataHash != "" {
		out.DataValues, out.Data = d, dataHash
	}
	return out
}

// weightsOnly are the weight measures of m.
func weightsOnly(m tracker.Numbers) tracker.Numbers {
	out := tracker.Numbers{}
	for name, v := range m {
		if strings.HasPrefix(name, "weights/") {
			out[name] = v
		}
	}
	return out
}

// judge bounds every measure and lists the violations.
func (p *checkPlan) judge(spec CheckSpec, env Env) *tracker.CheckResult {
	res := &tracker.CheckResult{Week: p.week.Week, Version: p.week.Version, Against: p.ref.Week, AgainstVersion: p.ref.Version,
		Learned: len(p.history) >= MinHistory, Measures: tracker.Numbers{}, DataSHA256: p.dataHash,
		ToolVersion: env.ToolVersion, CreatedAt: env.Now().UTC(), Violations: []tracker.Violation{}}
	if p.first {
		res.Pass = true
		return res
	}
	for _, m := range p.cmp.Measures() {
		res.Measures[m.Name] = m.Value
		past := p.past(m.Name)
		if math.IsNaN(m.Value) {
			if slices.ContainsFunc(past, func(v float64) bool { return !math.IsNaN(v) }) {
				res.Violations = append(res.Violations, tracker.Violation{What: m.Name + " is not defined", Value: math.NaN(), Bound: "defined in the weeks before", Cause: m.Cause, Detail: m.Detail})
			}
			continue
		}
		b := p.bound(m, past, spec.Bounds)
		res.Bounds++
		if b.Learned {
			res.LearnedBounds++
		}
		if !b.Outside(m.Value) {
			continue
		}
		if m.SE > 0 && math.Abs(m.Value) <= SEGate*m.SE {
			continue // within the metric's own sampling error
		}
		res.Violations = append(res.Violations, tracker.Violation{What: m.Name, Value: m.Value, Bound: b.String(), Cause: m.Cause, Detail: m.Detail})
	}
	res.Violations = append(res.Violations, p.cmp.Rules()...)
	res.Pass = len(res.Violations) == 0
	return res
}

// past are a quantity's values in the history, NaN where a pair lacks it.
func (p *checkPlan) past(name string) []float64 {
	out := make([]float64, 0, len(p.history))
	for _, h := range p.history {
		v, ok := h[name]
		if !ok {
			v = math.NaN()
		}
		out = append(out, v)
	}
	return out
}

// bound is the bound of m: the user's, else learned from past, else the
// default.
func (p *checkPlan) bound(m Measure, past []float64, e Explicit) Bound {
	switch {
	case m.Name == "behaviour/churn" && !math.IsNaN(e.MaxChurn):
		return Upper(e.MaxChurn)
	case strings.HasSuffix(m.Name, "/cka") && !math.IsNaN(e.MinCKA):
		return Lower(e.MinCKA)
	case strings.HasSuffix(m.Name, "/scale_ratio") && !math.IsNaN(e.MaxScaleChange):
		return Within(1/(1+e.MaxScaleChange), 1+e.MaxScaleChange)
	}
	return Learn(past, m.Side, m.Default, m.Log)
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
