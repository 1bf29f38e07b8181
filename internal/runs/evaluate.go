package runs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/tracker"
)

// Scorer computes a model's quality metrics and their standard errors
// from its class probabilities (rows x classes, row-major) and the rows'
// labels.
type Scorer func(probs []float64, classes int, labels []int) (Score, error)

// Score is what a Scorer measured: each metric, its standard error, and
// why any of them is not defined on these rows.
type Score struct {
	Metrics, SE tracker.Numbers
	NotDefined  map[string]string
}

// EvalSpec is a run of evaluate: each week's model scored on labelled
// rows.
type EvalSpec struct {
	Model string
	Weeks Weeks
	Data  Data
	Score Scorer
	// Replace records a week's evaluation over one of the same role on
	// other data, which it then replaces as the one that speaks for the
	// week; without it such a run is refused before any week is scored.
	Replace bool
}

// EvalWeek is one version an evaluate run covers, with its evaluation.
type EvalWeek struct {
	Version    tracker.VersionInfo
	Evaluation tracker.Evaluation
	// Stored says the version held this evaluation already, which the
	// run then shows instead of computing it again.
	Stored bool
	rival  *tracker.Evaluation
	// restamp is the evaluation that speaks for the week when the run
	// asked to replace it with this stored one: recording stamps the
	// stored one after it instead of scoring again.
	restamp *tracker.Evaluation
}

// Evaluate scores each week spec covers, oldest first, recording each
// week's evaluation in its own short write as soon as it is computed,
// under the same rules as Measure: a week holding the evaluation already
// is noted and shown, and a week whose role already has an evaluation on
// other data refuses the run unless spec.Replace.
func Evaluate(ctx context.Context, env Env, spec EvalSpec) ([]*EvalWeek, error) {
	if spec.Data.Rows.Labels == nil {
		return nil, fact.Errorf(experiments.ErrNoLabels, "%s: evaluate needs labelled rows", spec.Data.Path)
	}
	weeks, err := planEvaluation(&env, &spec)
	if err != nil {
		return nil, err
	}
	if !spec.Replace {
		for _, w := range weeks {
			if w.rival != nil {
				return nil, evalRivalError(w, w.rival)
			}
		}
	}
	for i, w := range weeks {
		if w.Stored {
			env.notef("week %s: evaluate already recorded on this data (on %s); nothing stored, showing the stored result\n",
				w.Version.Week, w.Evaluation.CreatedAt.Format(time.DateOnly))
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted before week %s: nothing stored for it (%d earlier weeks were stored)", w.Version.Week, i)
		}
		if w.restamp != nil {
			w.Evaluation.CreatedAt = env.Now().UTC()
			if err := recordEvaluation(&env, &spec, w); err != nil {
				return nil, fmt.Errorf("record evaluate for week %s: %w", w.Version.Week, err)
			}
			continue
		}
		if err := scoreWeek(ctx, &env, &spec, w); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, fmt.Errorf("interrupted during week %s: nothing stored for it", w.Version.Week)
			}
			return nil, fmt.Errorf("week %s: %w", w.Version.Week, err)
		}
		if err := recordEvaluation(&env, &spec, w); err != nil {
			return nil, fmt.Errorf("record evaluate for week %s: %w", w.Version.Week, err)
		}
	}
	return weeks, nil
}

// planEvaluation reads what the run needs from the store and closes it.
func planEvaluation(env *Env, spec *EvalSpec) ([]*EvalWeek, error) {
	if err := checkRole(spec.Data.Role); err != nil {
		return nil, err
	}
	store, err := env.Open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	versions, err := spec.Weeks.versions(store, spec.Model)
	if err != nil {
		return nil, err
	}
	names, err := store.Features(spec.Model)
	if err != nil {
		return nil, err
	}
	if err := MatchColumns(env.Notes, spec.Data.Path, spec.Data.Rows, names, "model "+quote.Short(spec.Model)); err != nil {
		return nil, err
	}
	spec.Data.weeks = len(versions)
	params := map[string]string{}
	spec.Data.params(params)
	delete(params, roleKey) // the record keeps its role as a field
	role := spec.Data.Role
	if role == "" {
		role = DefaultRole
	}
	var weeks []*EvalWeek
	for _, vi := range versions {
		if err := CheckColumns(spec.Data.Path, spec.Data.Rows, vi.Inputs, fmt.Sprintf("week %s (version %d)", vi.Week, vi.Version)); err != nil {
			return nil, err
		}
		w := &EvalWeek{Version: vi, Evaluation: tracker.Evaluation{
			Role: role, Params: params, DataSHA256: spec.Data.Rows.SHA256, DataRows: spec.Data.Rows.Rows,
		}}
		evs, err := store.Evaluations(vi.Model, vi.Version)
		if err != nil {
			return nil, err
		}
		w.rival = evalRival(evs, &w.Evaluation)
		speaking := tracker.SpeakingEvaluation(evs, role)
		for _, e := range evs {
			if e.ID() != w.Evaluation.ID() {
				continue
			}
			// Stored and speaking: shown as it is. Stored but another one
			// speaks: shown, or with Replace stamped to speak again.
			w.Evaluation, w.Stored, w.rival = *e, !spec.Replace || e == speaking, nil
			if !w.Stored {
				w.restamp = speaking
			}
		}
		weeks = append(weeks, w)
	}
	return weeks, nil
}

// evalRival is Rival's rule for evaluations: the evaluation that speaks
// for e's role in the week, unless the week holds e itself.
func evalRival(evs []*tracker.Evaluation, e *tracker.Evaluation) *tracker.Evaluation {
	id := e.ID()
	for _, x := range evs {
		if x.ID() == id {
			return nil
		}
	}
	return tracker.SpeakingEvaluation(evs, e.Role)
}

// evalRivalError says that w's evaluation would take the week from rival,
// with both data hashes; it matches ErrReplace.
func evalRivalError(w *EvalWeek, rival *tracker.Evaluation) error {
	other := fmt.Sprintf("this run's data is %.12s (%d rows)", w.Evaluation.DataSHA256, w.Evaluation.DataRows)
	if rival.DataSHA256 == w.Evaluation.DataSHA256 {
		other = "this run reads it with other settings: " + settingsDiff(rival.Params, w.Evaluation.Params)
	}
	return fact.Errorf(ErrReplace, "week %s already has an evaluation of data role %s on data %.12s (%d rows, recorded %s), and %s",
		w.Version.Week, rival.Role, rival.DataSHA256, rival.DataRows, rival.CreatedAt.Format(time.DateOnly), other)
}

// settingsDiff says how two records' reading settings differ.
func settingsDiff(was, now map[string]string) string {
	var parts []string
	for _, k := range dataKeys {
		if was[k] != now[k] {
			parts = append(parts, fmt.Sprintf("%s %s, not %s", k, quote.Short(now[k]), quote.Short(was[k])))
		}
	}
	return strings.Join(parts, "; ")
}

// scoreWeek runs the week's model on the rows and scores its outputs.
func scoreWeek(ctx context.Context, env *Env, spec *EvalSpec, w *EvalWeek) error {
	start := time.Now()
	store, err := env.Open(true)
	if err != nil {
		return err
	}
	snap, err := store.Snapshot(w.Version.Model, w.Version.Version)
	store.Close()
	if err != nil {
		return err
	}
	net, err := nn.New(snap)
	if err != nil {
		return err
	}
	d := spec.Data.Rows
	out, err := net.ForwardAll(ctx, d.X, d.Rows)
	if err != nil {
		return err
	}
	probs, classes := ClassProbabilities(out, net.Outputs())
	for row, l := range d.Labels {
		if l >= classes {
			return fact.Errorf(experiments.ErrLabelClass, "%s, data row %d: label %s is class %d, but week %s's model has %d classes",
				spec.Data.Path, row+1, quote.Short(d.Classes[l]), l, w.Version.Week, classes)
		}
	}
	e := &w.Evaluation
	score, err := spec.Score(probs, classes, d.Labels)
	if err != nil {
		return fmt.Errorf("%s: %w", spec.Data.Path, err)
	}
	e.Metrics, e.SE, e.NotDefined = score.Metrics, score.SE, score.NotDefined
	e.Took, e.ToolVersion, e.CreatedAt = time.Since(start), env.ToolVersion, env.Now().UTC()
	return nil
}

// ClassProbabilities turns a net's outputs (rows x outs) into class
// probabilities: a single sigmoid output is class 1's probability of two
// classes.
func ClassProbabilities(out []float32, outs int) ([]float64, int) {
	if outs == 1 {
		probs := make([]float64, 2*len(out))
		for i, p := range out {
			probs[2*i], probs[2*i+1] = 1-float64(p), float64(p)
		}
		return probs, 2
	}
	probs := make([]float64, len(out))
	for i, p := range out {
		probs[i] = float64(p)
	}
	return probs, outs
}

// recordEvaluation stores w's evaluation in its own short write, checking
// for a rival again with the store open for writing. A replacement is
// stamped after its rival, so it speaks for the week even when two
// machines' clocks differ.
func recordEvaluation(env *Env, spec *EvalSpec, w *EvalWeek) error {
	store, err := env.Open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	evs, err := store.Evaluations(w.Version.Model, w.Version.Version)
	if err != nil {
		return err
	}
	e := &w.Evaluation
	rival := evalRival(evs, e)
	if w.restamp != nil {
		rival = w.restamp // this record is stored; the one that speaks is what it replaces
	}
	if rival != nil {
		if !spec.Replace {
			return evalRivalError(w, rival)
		}
		if !e.CreatedAt.After(rival.CreatedAt) {
			e.CreatedAt = rival.CreatedAt.Add(time.Nanosecond)
		}
	}
	added, err := store.PutEvaluation(w.Version.Model, w.Version.Version, e, spec.Replace)
	if err != nil {
		return err
	}
	if rival != nil && added {
		env.notef("week %s: this evaluation now speaks for the week; the one on data %.12s (recorded %s) is kept\n",
			w.Version.Week, rival.DataSHA256, rival.CreatedAt.Format(time.DateOnly))
	}
	storeRunProfile(env, store, w.Version.Model, w.Version.Week, &spec.Data)
	return nil
}
