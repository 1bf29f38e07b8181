package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/tracker"
)

// dropFlags are drop-retrain's flags.
type dropFlags struct {
	model, week, format string
	data                dataOptions
	valSplit            float64
	valPath             string
	opts                experiments.DropRetrainOptions
	features            []string
	workers             int
	shard               string
	shards              int
	out                 string
	resume              bool
	seed                uint64
}

func newDropRetrainCmd(g *globals) *cobra.Command {
	f := &dropFlags{}
	cmd := &cobra.Command{
		Use:   "drop-retrain [--week W] --data F --label COL [--val-split 0.2 | --val FILE] [--epochs E] [--batch B] [--lr X] [--seeds K] [--metric accuracy|logloss|auc] [--features LIST] [--init scratch|snapshot] [--workers P] [--shard I/N] [--out FILE.jsonl] [--resume]",
		Short: "Retrain without each feature and measure how much worse the model gets",
		Long: `Train the week's architecture on the data once with every feature (the
baseline) and once without each feature, for each of K seeds, and score the
validation rows. A feature's value is the baseline metric minus the metric
without it (for logloss the other way round, so larger always means more
important), averaged over seeds; its spread is the standard deviation of
those differences. --init scratch trains from fresh weights; --init snapshot
starts from the week's own weights without the feature's row and fine-tunes,
which is much cheaper and asks how much this model leans on the feature.

Each training is stored the moment it finishes. Running the same command
again, or with --resume, continues an interrupted run; other parameters or
data start a run of their own. --workers P runs P trainings at once.

Across machines: --shard I/N runs only the features with index % N == I
(the baseline runs on shard 0). With --shards N, I comes from
JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID (a
Slurm array). With --out FILE.jsonl the results go to that file instead of
the store, which is only read; tracker import merges the files.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDropRetrain(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", tracker.DefaultModel, "model series name")
	fl.StringVar(&f.week, "week", "latest", "the week whose architecture and weights are used, YYYY-MM-DD or latest")
	fl.StringVar(&f.format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	f.data.register(cmd, "label column holding each row's true class, by name or 0-based index")
	fl.Float64Var(&f.valSplit, "val-split", 0.2, "validate on this fraction of the data's last rows, as Keras's validation_split")
	fl.StringVar(&f.valPath, "val", "", "validate on this CSV file (same columns) instead of a split")
	fl.IntVar(&f.opts.Epochs, "epochs", 10, "training epochs (at most, with early stopping)")
	fl.IntVar(&f.opts.Batch, "batch", 256, "rows per training step")
	fl.Float64Var(&f.opts.LR, "lr", 0.001, "Adam learning rate")
	fl.IntVar(&f.opts.Patience, "patience", 3, "stop after this many epochs without a lower validation loss and keep the best (0 = off)")
	fl.IntVar(&f.opts.Seeds, "seeds", 3, "trainings per feature and for the baseline, each with its own seed")
	fl.StringVar(&f.opts.Metric, "metric", "accuracy", "validation metric: accuracy, logloss or auc")
	fl.StringVar(&f.opts.Init, "init", experiments.InitScratch, "scratch (fresh weights) or snapshot (the week's weights, fine-tuned)")
	fl.StringSliceVar(&f.features, "features", nil, "features to drop, by index or name (default: all)")
	fl.IntVar(&f.workers, "workers", 1, "trainings run at once")
	fl.StringVar(&f.shard, "shard", "", "run only shard I of N, as I/N")
	fl.IntVar(&f.shards, "shards", 0, "number of shards, the shard index coming from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID")
	fl.StringVar(&f.out, "out", "", "append results to this JSON-lines file instead of the store (for tracker import)")
	fl.BoolVar(&f.resume, "resume", false, "continue an interrupted run; fails if there is none with these settings")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed of the run: seed index s trains with a seed derived from it")
	return cmd
}

// parseShard reads --shard I/N, or --shards N with I from the job engine.
func parseShard(f *dropFlags, getenv func(string) string) (dropretrain.Shard, error) {
	if f.shard != "" {
		if f.shards != 0 {
			return dropretrain.Shard{}, usagef("give --shard I/N or --shards N, not both")
		}
		s, err := dropretrain.ParseShard(f.shard)
		if err != nil {
			return s, usagef("--shard %v", err)
		}
		return s, nil
	}
	if f.shards < 0 {
		return dropretrain.Shard{}, usagef("--shards %d: give a positive number", f.shards)
	}
	if f.shards == 0 {
		return dropretrain.Whole, nil
	}
	s, err := dropretrain.ShardFromEnv(f.shards, getenv)
	switch {
	case errors.Is(err, dropretrain.ErrNoShardIndex):
		return s, usagef("--shards %d: %v; give --shard I/N", f.shards, err)
	case err != nil:
		return s, usagef("%v (--shards %d)", err, f.shards)
	}
	return s, nil
}

// opener opens the store, read-only or not (globals.open): the helpers of
// a command get it rather than every global.
type opener func(readOnly bool) (*tracker.Store, error)

// dropRun is one drop-retrain run as planned: the version, the data, the
// experiment's identity and which trainings are done.
type dropRun struct {
	job   *weekJob
	opts  experiments.DropRetrainOptions
	data  *experiments.DropRetrainData
	names []string
	plan  *dropretrain.Plan
	// retrain runs one training; nil means experiments.RetrainOne on the
	// run's version and data. Tests put failures here.
	retrain dropretrain.RetrainFunc
}

// retrainGCPercent is the GC percent while trainings run, unless GOGC is
// set. main's 400 suits short commands; a drop-retrain runs for minutes to
// hours and each training leaves about 15 MB of garbage (82 -> 500x3 -> 2),
// so at 400 the heap climbs for several trainings to five times its live
// size: peak RSS 210 MB after 20 trainings against 153 MB after 5, where
// 100 holds both near 115 MB (bench/README.md). A collection costs
// milliseconds against seconds per training.
const retrainGCPercent = 100

func runDropRetrain(ctx context.Context, g *globals, f *dropFlags) error {
	format, err := pickFormat(f.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	shard, err := parseShard(f, g.env.Getenv)
	if err != nil {
		return err
	}
	if f.data.path == "" || f.data.label == "" {
		return usagef("drop-retrain needs --data FILE and --label COL: the rows to train on and the column holding their class")
	}
	if f.workers < 1 {
		return usagef("--workers %d: give a positive number", f.workers)
	}
	run, err := planDropRetrain(g.open, f)
	if err != nil {
		return err
	}
	if run.job.stored != nil {
		fmt.Fprintf(g.env.ErrOut, "week %s: drop-retrain already recorded with these parameters, data and seed (on %s); nothing to run, showing the stored result\n",
			run.job.vi.Week, run.job.stored.CreatedAt.Format(time.DateOnly))
		if f.out != "" {
			return nil
		}
		run.job.exp = *run.job.stored
		return printRuns(g, format, experiments.KindDropRetrain, []*weekJob{run.job}, run.names)
	}
	if err := noteResume(g.env.ErrOut, f, run); err != nil {
		return err
	}
	recorded, err := executeDropRetrain(ctx, g.env, g.open, f, run, shard)
	if err != nil || !recorded {
		return err
	}
	return printRuns(g, format, experiments.KindDropRetrain, []*weekJob{run.job}, run.names)
}

// noteResume says how much of the run is done already, and refuses
// --resume of a run that never started.
func noteResume(errOut io.Writer, f *dropFlags, run *dropRun) error {
	done := len(run.plan.Done)
	if f.resume && done == 0 {
		return fmt.Errorf("--resume: no trainings of a drop-retrain with these parameters, data and seed are stored for week %s%s: check the flags, or drop --resume to start it",
			run.job.vi.Week, outNote(f.out))
	}
	if done > 0 {
		fmt.Fprintf(errOut, "resuming: %d of %d trainings of this run are already done%s\n", done, len(run.plan.Tasks), outNote(f.out))
	}
	return nil
}

func outNote(out string) string {
	if out == "" {
		return ""
	}
	return " in " + out
}

// executeDropRetrain runs shard's pending trainings and, once the run is
// complete in the store, records it; recorded says it did.
func executeDropRetrain(ctx context.Context, env Env, open opener, f *dropFlags, run *dropRun, shard dropretrain.Shard) (recorded bool, err error) {
	sink, err := newDropSink(open, f.out, run.job)
	if err != nil {
		return false, err
	}
	defer sink.Close()
	if env.Getenv("GOGC") == "" {
		defer capGCPercent(retrainGCPercent)()
	}
	if err := trainPending(ctx, env, f.workers, run, run.plan.Pending(shard), sink); err != nil {
		return false, err
	}
	if f.out == "" && !run.plan.Complete() {
		// Other shards may have stored their trainings meanwhile: the last
		// shard to finish records the run.
		if err := run.reloadParts(open); err != nil {
			return false, err
		}
	}
	if !run.plan.Complete() {
		left := len(run.plan.Tasks) - len(run.plan.Done)
		next := "run the other shards: the run is recorded when its last training is stored"
		if f.out != "" {
			next = "merge the shards' files with tracker import"
		}
		fmt.Fprintf(env.ErrOut, "shard %s done: %d of %d trainings of this run are done, %d belong to other shards; %s\n",
			shard, len(run.plan.Done), len(run.plan.Tasks), left, next)
		return false, nil
	}
	if f.out != "" {
		fmt.Fprintf(env.ErrOut, "all %d trainings are in %s: record them with tracker import %s\n", len(run.plan.Tasks), f.out, f.out)
		return false, nil
	}
	return true, finishDropRetrain(open, env.Now, run)
}

// planDropRetrain reads the data, the version and any finished trainings,
// holding the store only for that.
func planDropRetrain(open opener, f *dropFlags) (*dropRun, error) {
	train, val, valParam, err := f.readData()
	if err != nil {
		return nil, err
	}
	store, err := open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	vi, err := versionFor(store, f.model, f.week)
	if err != nil {
		return nil, err
	}
	if err := f.data.checkColumns(train, vi.Inputs, fmt.Sprintf("week %s (version %d)", vi.Week, vi.Version)); err != nil {
		return nil, err
	}
	names, err := store.Features(f.model)
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = train.Names
	}
	opts, err := f.options(names, vi.Inputs)
	if err != nil {
		return nil, err
	}
	data, err := experiments.NewDropRetrainData(train, val, f.valSplit, max(vi.Outputs, 2))
	if err != nil {
		files := f.data.path
		if f.valPath != "" {
			files += " and " + f.valPath
		}
		return nil, fmt.Errorf("%s: %w", files, err)
	}
	snap, err := store.Snapshot(vi.Model, vi.Version)
	if err != nil {
		return nil, err
	}
	params := opts.Params(valParam)
	f.data.params(params)
	job := &weekJob{vi: vi, snap: snap, weightSum: experiments.WeightSum(snap), exp: tracker.Experiment{
		Kind: experiments.KindDropRetrain, Params: params, DataSHA256: train.SHA256, DataRows: train.Rows, Seed: int64(f.seed),
	}}
	run := &dropRun{job: job, opts: opts, data: data, names: names, plan: dropretrain.NewPlan(opts.Tasks(vi.Inputs))}
	if job.stored, err = store.Recorded(vi.Model, vi.Version, &job.exp); err != nil || job.stored != nil {
		return run, err
	}
	return run, run.loadParts(store, f.out)
}

// readData reads --data and --val, and says where the validation rows
// come from: a split of --data, or the --val file's fingerprint.
func (f *dropFlags) readData() (train, val *dataset.Dataset, valParam string, err error) {
	if train, err = f.data.read(f.data.path); err != nil {
		return nil, nil, "", err
	}
	if f.valPath == "" {
		return train, nil, "split:" + strconv.FormatFloat(f.valSplit, 'g', -1, 64), nil
	}
	if val, err = f.data.read(f.valPath); err != nil {
		return nil, nil, "", err
	}
	if !slices.Equal(val.Classes, train.Classes) {
		return nil, nil, "", fmt.Errorf("%s has classes %s but %s has %s: list the class values with --classes so both read the same", f.valPath, quote.List(val.Classes), f.data.path, quote.List(train.Classes))
	}
	return train, val, "sha256:" + val.SHA256, nil
}

// options are the run's settings on a model with inputs features, the
// --features given by index or name.
func (f *dropFlags) options(names []string, inputs int) (experiments.DropRetrainOptions, error) {
	opts := f.opts
	if f.features != nil {
		opts.Features = []int{}
		for _, spec := range f.features {
			i, err := featureIndex(spec, names, inputs)
			if err != nil {
				return opts, err
			}
			opts.Features = append(opts.Features, i)
		}
		slices.Sort(opts.Features)
		opts.Features = slices.Compact(opts.Features)
	}
	if err := opts.Check(inputs); err != nil {
		return opts, usageError{err}
	}
	return opts, nil
}

// loadParts adds the run's trainings already done: those in the --out
// file, or in the store's parts bucket.
func (run *dropRun) loadParts(store *tracker.Store, out string) error {
	var parts map[string][]byte
	var err error
	if out != "" {
		line := shardLine(run.job)
		parts, err = dropretrain.ReadParts(out, &line)
		err = shardFileHint(err)
	} else {
		parts, err = store.Parts(run.job.vi.Model, run.job.vi.Version, &run.job.exp)
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
func (run *dropRun) reloadParts(open opener) error {
	store, err := open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	parts, err := store.Parts(run.job.vi.Model, run.job.vi.Version, &run.job.exp)
	if err != nil {
		return err
	}
	return run.addParts(parts)
}

// trainPending runs the pending trainings on workers goroutines, keeping
// each in sink the moment it finishes, with a progress bar on a terminal.
func trainPending(ctx context.Context, env Env, workers int, run *dropRun, pending []experiments.Task, sink dropretrain.Sink) error {
	if len(pending) == 0 {
		return nil
	}
	retrain := run.retrain
	if retrain == nil {
		retrain = func(ctx context.Context, t experiments.Task, progress func(int)) (experiments.Retrain, error) {
			return experiments.RetrainOne(ctx, run.job.snap, run.data, run.opts, uint64(run.job.exp.Seed), t, progress)
		}
	}
	bar := newProgress(env, "drop-retrain")
	defer bar.done()
	runner := dropretrain.Runner{Workers: workers, Epochs: run.opts.Epochs, Retrain: retrain,
		Sink: doneSink{sink, run.plan}, Progress: barProgress{bar}}
	return run.stopped(runner.Run(ctx, pending))
}

// stopped says how far the run got when its trainings stopped on err.
func (run *dropRun) stopped(err error) error {
	if err == nil {
		return nil
	}
	done, all := len(run.plan.Done), len(run.plan.Tasks)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: %d of %d trainings of this run are stored; run the same command again to continue", done, all)
	}
	stopped := fmt.Errorf("week %s: %w (%d of %d trainings of this run are stored; run the same command again to continue)", run.job.vi.Week, err, done, all)
	if p := (*dropretrain.PanicError)(nil); errors.As(err, &p) {
		// As Main reports a panic on its own goroutine.
		stopped = fmt.Errorf("%w\n%s\n%s", stopped, bugReport, p.Stack)
	}
	return stopped
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

// barProgress shows a run's progress on the bar.
type barProgress struct{ bar *progress }

func (p barProgress) Update(label string, done, total int) {
	p.bar.label = label
	p.bar.update(done, total)
}

// finishDropRetrain combines every training into the experiment and
// records it, which also removes the stored trainings.
func finishDropRetrain(open opener, now func() time.Time, run *dropRun) error {
	job := run.job
	all := run.plan.Retrains()
	res, detail, err := experiments.CombineRetrains(run.opts, job.vi.Inputs, all)
	if err != nil {
		return err
	}
	if job.exp.Detail, err = json.Marshal(detail); err != nil {
		return err
	}
	var took time.Duration
	for _, r := range all {
		took += time.Duration(r.TookMS) * time.Millisecond
	}
	job.exp.Value, job.exp.Spread, job.exp.Rank = res.Value, res.Spread, res.Rank
	job.exp.Took, job.exp.ToolVersion, job.exp.CreatedAt = took, Version(), now().UTC()
	store, err := open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Record(job.vi.Model, job.vi.Version, []tracker.Experiment{job.exp}); err != nil {
		return fmt.Errorf("record drop-retrain for week %s: %w", job.vi.Week, err)
	}
	return nil
}
