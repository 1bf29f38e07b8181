package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/tracker"
)

// DropSpec is a drop-retrain run on one week's version.
type DropSpec struct {
	Model string
	Week  string // a date, or "latest"
	Data  Data   // the training rows
	// Val are the validation rows, read with Data's settings from ValPath;
	// nil validates on the last ValSplit of Data's rows.
	Val      *dataset.Dataset
	ValPath  string
	ValSplit float64
	// Options are the run's settings; Features, the features to drop by
	// index or name (nil: all), replace Options.Features.
	Options  experiments.DropRetrainOptions
	Features []string
	Seed     uint64
	Shard    dropretrain.Shard // the part of the run this process does
	Workers  int               // trainings at once
	// Out is a shard file to append the trainings to, instead of the
	// store, which is then only read.
	Out string
	// Resume refuses to start a run none of whose trainings is stored.
	Resume bool
	// Replace records the run over a record of the same series on other
	// data or with another seed, as MethodSpec.Replace.
	Replace bool
	// KeepGC leaves the GC percent as it is while trainings run, as when
	// the user set GOGC.
	KeepGC bool
	// Retrain runs one training; nil means experiments.RetrainOne on the
	// version and data. Tests put failures here.
	Retrain dropretrain.RetrainFunc
}

// dropRun is one drop-retrain run as planned: the version, the data, the
// record's identity and which trainings are done.
type dropRun struct {
	week    *Week
	opts    experiments.DropRetrainOptions
	data    *experiments.DropRetrainData
	names   []string
	plan    *dropretrain.Plan
	retrain dropretrain.RetrainFunc
	replace bool // record over a rival
	// adopt is the training data whose header names the series takes
	// when the run is recorded, as a method run's do (adoptNames); nil
	// when the series has names already.
	adopt *Data
}

func (run *dropRun) outcome() *Outcome {
	return &Outcome{Kind: experiments.KindDropRetrain, Weeks: []*Week{run.week}, Names: run.names}
}

// DropRetrain runs spec's share of a drop-retrain's trainings, keeping
// each the moment it finishes, and once every training of the run is
// stored combines and records them. The Outcome has the week when the run
// is recorded, by this call or before (a record already stored is noted,
// and shown unless the trainings go to a shard file); otherwise it is
// empty and a note says what is left.
func DropRetrain(ctx context.Context, env Env, spec DropSpec) (*Outcome, error) {
	run, err := planDrop(&env, &spec)
	if err != nil {
		return nil, err
	}
	w := run.week
	if w.Stored != nil {
		env.notef("week %s: drop-retrain already recorded with these parameters, data and seed (on %s); nothing to run, showing the stored result\n",
			w.Version.Week, w.Stored.CreatedAt.Format(time.DateOnly))
		if spec.Out != "" {
			return &Outcome{Kind: experiments.KindDropRetrain}, nil
		}
		w.Record = *w.Stored
		return run.outcome(), nil
	}
	if err := run.noteResume(&env, &spec); err != nil {
		return nil, err
	}
	recorded, err := run.execute(ctx, &env, &spec)
	if err != nil {
		return nil, err
	}
	if !recorded {
		return &Outcome{Kind: experiments.KindDropRetrain}, nil
	}
	return run.outcome(), nil
}

// noteResume notes how much of the run is done already, and refuses a
// resume of a run that never started.
func (run *dropRun) noteResume(env *Env, spec *DropSpec) error {
	done := len(run.plan.Done)
	if spec.Resume && done == 0 {
		return fact.Errorf(ErrNothingToResume, "no trainings of a drop-retrain with these parameters, data and seed are stored for week %s%s",
			run.week.Version.Week, inFile(spec.Out))
	}
	if done > 0 {
		env.notef("resuming: %d of %d trainings of this run are already done%s\n", done, len(run.plan.Tasks), inFile(spec.Out))
	}
	return nil
}

func inFile(out string) string {
	if out == "" {
		return ""
	}
	return " in " + out
}

// planDrop reads the version, the feature names and any finished
// trainings, holding the store read-only for that only. It matches the
// data's columns to the series' feature names (the validation rows' to
// the training rows' header when the series has none), and refuses a run
// with a rival unless spec.Replace, before any training.
func planDrop(env *Env, spec *DropSpec) (*dropRun, error) {
	if err := checkRole(spec.Data.Role); err != nil {
		return nil, err
	}
	store, err := env.Open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	vi, err := store.VersionAt(spec.Model, spec.Week)
	if err != nil {
		return nil, err
	}
	run := &dropRun{retrain: spec.Retrain, replace: spec.Replace}
	if run.names, err = store.Features(spec.Model); err != nil {
		return nil, err
	}
	if err := spec.matchColumns(env, run.names); err != nil {
		return nil, err
	}
	valParam, err := spec.valParam()
	if err != nil {
		return nil, err
	}
	train := spec.Data.Rows
	if err := CheckColumns(spec.Data.Path, train, vi.Inputs, fmt.Sprintf("week %s (version %d)", vi.Week, vi.Version)); err != nil {
		return nil, err
	}
	if run.names == nil {
		run.names, run.adopt = train.Names, &spec.Data
	}
	if run.opts, err = spec.options(run.names, vi.Inputs); err != nil {
		return nil, err
	}
	if run.data, err = experiments.NewDropRetrainData(train, spec.Val, spec.ValSplit, max(vi.Outputs, 2)); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.files(), err)
	}
	snap, err := store.Snapshot(vi.Model, vi.Version)
	if err != nil {
		return nil, err
	}
	params := run.opts.Params(valParam)
	spec.Data.params(params)
	run.week = &Week{Version: vi, snap: snap, WeightSum: experiments.WeightSum(snap), Record: tracker.Experiment{
		Kind: experiments.KindDropRetrain, Params: params, DataSHA256: train.SHA256, DataRows: train.Rows, Seed: int64(spec.Seed),
	}}
	run.plan = dropretrain.NewPlan(run.opts.Tasks(vi.Inputs))
	if run.week.Stored, err = store.Recorded(vi.Model, vi.Version, &run.week.Record); err != nil || run.week.Stored != nil {
		return run, err
	}
	exps, err := store.Experiments(vi.Model, vi.Version)
	if err != nil {
		return nil, err
	}
	run.week.rival = tracker.Rival(exps, &run.week.Record)
	if err := checkRivals([]*Week{run.week}, spec.Replace); err != nil {
		return nil, err
	}
	return run, run.loadParts(store, spec.Out, env.ToolVersion)
}

// matchColumns matches the training rows' columns to the series' feature
// names, and the validation rows' to the same names, or to the training
// rows' header when the series has none.
func (spec *DropSpec) matchColumns(env *Env, names []string) error {
	model := "model " + quote.Short(spec.Model)
	if err := MatchColumns(env.Notes, spec.Data.Path, spec.Data.Rows, names, model); err != nil {
		return err
	}
	if spec.Val == nil {
		return nil
	}
	if names == nil && spec.Data.Rows.Names != nil {
		names, model = spec.Data.Rows.Names, spec.Data.Path
	}
	return MatchColumns(env.Notes, spec.ValPath, spec.Val, names, model)
}

// valParam says where the validation rows come from, for the record's
// parameters: a split of the training rows, or the validation file's
// fingerprint.
func (spec *DropSpec) valParam() (string, error) {
	if spec.Val == nil {
		return "split:" + strconv.FormatFloat(spec.ValSplit, 'g', -1, 64), nil
	}
	if train := spec.Data.Rows; !slices.Equal(spec.Val.Classes, train.Classes) {
		return "", fact.Errorf(ErrClasses, "%s has classes %s but %s has %s", spec.ValPath, quote.List(spec.Val.Classes), spec.Data.Path, quote.List(train.Classes))
	}
	return "sha256:" + spec.Val.SHA256, nil
}

// files names the data files, for messages.
func (spec *DropSpec) files() string {
	if spec.Val == nil {
		return spec.Data.Path
	}
	return spec.Data.Path + " and " + spec.ValPath
}

// options are the run's settings on a version with inputs features whose
// names are names, the features given by index or name.
func (spec *DropSpec) options(names []string, inputs int) (experiments.DropRetrainOptions, error) {
	opts := spec.Options
	if spec.Features != nil {
		opts.Features = []int{}
		for _, f := range spec.Features {
			i, err := experiments.FeatureIndex(f, names, inputs)
			if err != nil {
				return opts, err
			}
			opts.Features = append(opts.Features, i)
		}
		slices.Sort(opts.Features)
		opts.Features = slices.Compact(opts.Features)
	}
	if err := opts.Check(inputs); err != nil {
		return opts, fact.Wrap(ErrOptions, err)
	}
	return opts, nil
}

// execute runs shard's pending trainings and, once the run is complete in
// the store, records it; recorded says it did.
func (run *dropRun) execute(ctx context.Context, env *Env, spec *DropSpec) (recorded bool, err error) {
	sink, err := run.newSink(env, spec.Out)
	if err != nil {
		return false, err
	}
	defer sink.Close()
	if !spec.KeepGC {
		defer capGCPercent(retrainGCPercent)()
	}
	if err := run.train(ctx, env, spec.Workers, run.plan.Pending(spec.Shard), sink); err != nil {
		return false, err
	}
	if spec.Out == "" && !run.plan.Complete() {
		// Other shards may have stored their trainings meanwhile: the last
		// shard to finish records the run.
		if err := run.reloadParts(env.Open); err != nil {
			return false, err
		}
	}
	plan := run.plan
	if !plan.Complete() {
		next := "run the other shards: the run is recorded when its last training is stored"
		if spec.Out != "" {
			next = "merge the shards' files with tracker import"
		}
		env.notef("shard %s done: %d of %d trainings of this run are done, %d belong to other shards; %s\n",
			spec.Shard, len(plan.Done), len(plan.Tasks), len(plan.Tasks)-len(plan.Done), next)
		return false, nil
	}
	if spec.Out != "" {
		env.notef("all %d trainings are in %s: record them with tracker import %s\n", len(plan.Tasks), spec.Out, spec.Out)
		return false, nil
	}
	return true, run.finish(env)
}

// loadParts adds the run's trainings already done: those in the shard
// file out, or with no file in the store's parts.
func (run *dropRun) loadParts(store *tracker.Store, out, toolVersion string) error {
	var parts map[string][]byte
	var err error
	if out != "" {
		line := run.shardLine(toolVersion)
		parts, err = dropretrain.ReadParts(out, &line)
	} else {
		parts, err = store.Parts(run.week.Version.Model, run.week.Version.Version, &run.week.Record)
	}
	if err != nil {
		return err
	}
	return run.addParts(parts)
}

// addParts adds stored trainings to the run's done set, checking that each
// belongs to it.
func (run *dropRun) addParts(parts map[string][]byte) error {
	if err := run.plan.AddParts(parts); err != nil {
		return fmt.Errorf("%w: run tracker verify", err)
	}
	return nil
}

// reloadParts reads the run's trainings from the store again.
func (run *dropRun) reloadParts(open Opener) error {
	store, err := open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	parts, err := store.Parts(run.week.Version.Model, run.week.Version.Version, &run.week.Record)
	if err != nil {
		return err
	}
	return run.addParts(parts)
}

// train runs the pending trainings on workers goroutines, keeping each in
// sink the moment it finishes, with a bar.
func (run *dropRun) train(ctx context.Context, env *Env, workers int, pending []experiments.Task, sink dropretrain.Sink) error {
	if len(pending) == 0 {
		return nil
	}
	retrain := run.retrain
	if retrain == nil {
		retrain = func(ctx context.Context, t experiments.Task, progress func(int)) (experiments.Retrain, error) {
			return experiments.RetrainOne(ctx, run.week.snap, run.data, run.opts, uint64(run.week.Record.Seed), t, progress)
		}
	}
	bar := env.bar("drop-retrain")
	defer bar.Done()
	runner := dropretrain.Runner{Workers: workers, Epochs: run.opts.Epochs, Retrain: retrain,
		Sink: doneSink{sink, run.plan}, Progress: bar}
	return run.stopped(runner.Run(ctx, pending))
}

// stopped says how far the run got when its trainings stopped on err. A
// panic in a training stays in the error as a *dropretrain.PanicError.
func (run *dropRun) stopped(err error) error {
	if err == nil {
		return nil
	}
	done, all := len(run.plan.Done), len(run.plan.Tasks)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: %d of %d trainings of this run are stored; run the same command again to continue", done, all)
	}
	return fmt.Errorf("week %s: %w (%d of %d trainings of this run are stored; run the same command again to continue)", run.week.Version.Week, err, done, all)
}

// doneSink keeps a training in sink, then counts it done.
type doneSink struct {
	sink dropretrain.Sink
	plan *dropretrain.Plan
}

func (s doneSink) Save(r experiments.Retrain) error {
	if err := s.sink.Save(r); err != nil {
		return err
	}
	s.plan.Done[r.Task] = r
	return nil
}

// finish combines every training into the record and records it, which
// also removes the stored trainings.
func (run *dropRun) finish(env *Env) error {
	w := run.week
	all := run.plan.Retrains()
	res, detail, err := experiments.CombineRetrains(run.opts, w.Version.Inputs, all)
	if err != nil {
		return err
	}
	if w.Record.Detail, err = json.Marshal(detail); err != nil {
		return err
	}
	var took time.Duration
	for _, r := range all {
		took += time.Duration(r.TookMS) * time.Millisecond
	}
	e := &w.Record
	e.Value, e.Spread, e.Rank, e.Extra = res.Value, res.Spread, res.Rank, res.Extra
	e.Took, e.ToolVersion, e.CreatedAt = took, env.ToolVersion, env.Now().UTC()
	store, err := env.Open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	// The names go first: a run killed between the two writes then leaves
	// names without the record, which its rerun records, and never the
	// record without the names, which a rerun would find and stop at.
	if run.adopt != nil {
		if _, err := adoptNames(env, store, w.Version.Model, run.adopt); err != nil {
			return err
		}
	}
	if _, err := recordWeek(env, store, w, run.replace); err != nil {
		return fmt.Errorf("record drop-retrain for week %s: %w", w.Version.Week, err)
	}
	return nil
}
