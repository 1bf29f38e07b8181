package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
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

// shardSpec is which part of a run this process does.
type shardSpec struct{ index, count int }

func (s shardSpec) String() string { return fmt.Sprintf("%d/%d", s.index, s.count) }

// parseShard reads --shard I/N, or --shards N with I from the job engine.
func parseShard(f *dropFlags, getenv func(string) string) (shardSpec, error) {
	if f.shard != "" {
		if f.shards != 0 {
			return shardSpec{}, usagef("give --shard I/N or --shards N, not both")
		}
		i, n, ok := strings.Cut(f.shard, "/")
		index, err1 := strconv.Atoi(i)
		count, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
			return shardSpec{}, usagef("--shard %q: want I/N with 0 <= I < N, such as 0/4", f.shard)
		}
		return shardSpec{index, count}, nil
	}
	if f.shards < 0 {
		return shardSpec{}, usagef("--shards %d: give a positive number", f.shards)
	}
	if f.shards == 0 {
		return shardSpec{0, 1}, nil
	}
	for _, name := range []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"} {
		if v := getenv(name); v != "" {
			index, err := strconv.Atoi(v)
			if err != nil || index < 0 || index >= f.shards {
				return shardSpec{}, usagef("%s=%q is not a shard index from 0 to %d (--shards %d)", name, v, f.shards-1, f.shards)
			}
			return shardSpec{index, f.shards}, nil
		}
	}
	return shardSpec{}, usagef("--shards %d: JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are unset; give --shard I/N", f.shards)
}

// dropRun is one drop-retrain run as planned: the version, the data, the
// experiment's identity and which trainings are done.
type dropRun struct {
	job   *weekJob
	opts  experiments.DropRetrainOptions
	data  *experiments.DropRetrainData
	names []string
	shard shardSpec
	tasks []experiments.Task // every training of the run
	done  map[experiments.Task]experiments.Retrain
	// retrain runs one training; nil means experiments.RetrainOne on the
	// run's version and data. Tests put failures here.
	retrain func(ctx context.Context, t experiments.Task, progress func(epoch int)) (experiments.Retrain, error)
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
	run, err := planDropRetrain(g, f, shard)
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
	var pending []experiments.Task
	for _, t := range run.tasks {
		if _, ok := run.done[t]; !ok && t.Shard(shard.count) == shard.index {
			pending = append(pending, t)
		}
	}
	if f.resume && len(run.done) == 0 {
		return fmt.Errorf("--resume: no trainings of a drop-retrain with these parameters, data and seed are stored for week %s%s: check the flags, or drop --resume to start it",
			run.job.vi.Week, outNote(f.out))
	}
	if len(run.done) > 0 {
		fmt.Fprintf(g.env.ErrOut, "resuming: %d of %d trainings of this run are already done%s\n", len(run.done), len(run.tasks), outNote(f.out))
	}
	sink, err := newDropSink(g, f, run)
	if err != nil {
		return err
	}
	defer sink.close()
	if g.env.Getenv("GOGC") == "" {
		defer capGCPercent(retrainGCPercent)()
	}
	if err := trainAll(ctx, g, f.workers, run, pending, sink); err != nil {
		return err
	}
	if f.out == "" && len(run.done) < len(run.tasks) {
		// Other shards may have stored their trainings meanwhile: the last
		// shard to finish records the run.
		if err := run.reloadParts(g); err != nil {
			return err
		}
	}
	if len(run.done) < len(run.tasks) {
		left := len(run.tasks) - len(run.done)
		next := "run the other shards: the run is recorded when its last training is stored"
		if f.out != "" {
			next = "merge the shards' files with tracker import"
		}
		fmt.Fprintf(g.env.ErrOut, "shard %s done: %d of %d trainings of this run are done, %d belong to other shards; %s\n",
			shard, len(run.done), len(run.tasks), left, next)
		return nil
	}
	if f.out != "" {
		fmt.Fprintf(g.env.ErrOut, "all %d trainings are in %s: record them with tracker import %s\n", len(run.tasks), f.out, f.out)
		return nil
	}
	if err := finishDropRetrain(g, run); err != nil {
		return err
	}
	return printRuns(g, format, experiments.KindDropRetrain, []*weekJob{run.job}, run.names)
}

func outNote(out string) string {
	if out == "" {
		return ""
	}
	return " in " + out
}

// planDropRetrain reads the version and any finished trainings, holding the
// store only for that.
func planDropRetrain(g *globals, f *dropFlags, shard shardSpec) (*dropRun, error) {
	train, err := f.data.read(f.data.path)
	if err != nil {
		return nil, err
	}
	var val *dataset.Dataset
	valParam := "split:" + strconv.FormatFloat(f.valSplit, 'g', -1, 64)
	if f.valPath != "" {
		if val, err = f.data.read(f.valPath); err != nil {
			return nil, err
		}
		valParam = "sha256:" + val.SHA256
		if !slices.Equal(val.Classes, train.Classes) {
			return nil, fmt.Errorf("%s has classes %s but %s has %s: list the class values with --classes so both read the same", f.valPath, quote.List(val.Classes), f.data.path, quote.List(train.Classes))
		}
	}
	store, err := g.open(true)
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
	opts := f.opts
	if f.features != nil {
		opts.Features = []int{}
		for _, spec := range f.features {
			i, err := featureIndex(spec, names, vi.Inputs)
			if err != nil {
				return nil, err
			}
			opts.Features = append(opts.Features, i)
		}
		slices.Sort(opts.Features)
		opts.Features = slices.Compact(opts.Features)
	}
	if err := opts.Check(vi.Inputs); err != nil {
		return nil, usageError{err}
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
	run := &dropRun{job: job, opts: opts, data: data, names: names, shard: shard, tasks: opts.Tasks(vi.Inputs), done: map[experiments.Task]experiments.Retrain{}}
	if job.stored, err = storedExperiment(store, vi, &job.exp); err != nil || job.stored != nil {
		return run, err
	}
	var parts map[string][]byte
	if f.out != "" {
		parts, err = readShardParts(f.out, job)
	} else {
		parts, err = store.Parts(vi.Model, vi.Version, &job.exp)
	}
	if err != nil {
		return nil, err
	}
	return run, run.addParts(parts)
}

// addParts adds stored trainings to the run's done set, checking that each
// belongs to it.
func (run *dropRun) addParts(parts map[string][]byte) error {
	for key, b := range parts {
		var r experiments.Retrain
		if err := json.Unmarshal(b, &r); err != nil || r.Task.Key() != key {
			return fmt.Errorf("stored training %s of this run is damaged (%v): run tracker verify", key, err)
		}
		if !slices.Contains(run.tasks, r.Task) {
			return fmt.Errorf("stored training %s does not belong to this run's %d trainings: run tracker verify", key, len(run.tasks))
		}
		run.done[r.Task] = r
	}
	return nil
}

// reloadParts reads the run's trainings from the store again.
func (run *dropRun) reloadParts(g *globals) error {
	store, err := g.open(true)
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

// trainAll runs the pending trainings on workers goroutines, handing each
// result to sink the moment it finishes, on this goroutine.
func trainAll(ctx context.Context, g *globals, workers int, run *dropRun, pending []experiments.Task, sink *dropSink) error {
	if len(pending) == 0 {
		return nil
	}
	workers = min(workers, len(pending))
	if workers > 1 {
		// Each training's matrix products get their share of the cores.
		defer nn.SetBLASThreads(nn.BLASThreads())
		nn.SetBLASThreads(runtime.NumCPU() / workers)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type epochDone struct {
		task  experiments.Task
		epoch int
	}
	type finished struct {
		task experiments.Task
		r    experiments.Retrain
		err  error
	}
	retrain := run.retrain
	if retrain == nil {
		retrain = func(ctx context.Context, t experiments.Task, progress func(int)) (experiments.Retrain, error) {
			return experiments.RetrainOne(ctx, run.job.snap, run.data, run.opts, uint64(run.job.exp.Seed), t, progress)
		}
	}
	todo := make(chan experiments.Task)
	epochs := make(chan epochDone, workers)
	results := make(chan finished)
	for range workers {
		go func() {
			for t := range todo {
				r, err := retrainSafely(ctx, retrain, t, func(e int) {
					select {
					case epochs <- epochDone{t, e}:
					default: // progress is best effort
					}
				})
				results <- finished{t, r, err}
			}
		}()
	}
	// The feeder stops handing out work once ctx ends; sent counts what it
	// handed out, so the loop below waits for exactly those results.
	sent := make(chan int, 1)
	go func() {
		defer close(todo)
		n := 0
		defer func() { sent <- n }()
		for _, t := range pending {
			select {
			case todo <- t:
				n++
			case <-ctx.Done():
				return
			}
		}
	}()

	total := len(pending) * run.opts.Epochs
	bar := newProgress(g.env, "drop-retrain")
	defer bar.done()
	doneEpochs, running, over := 0, map[experiments.Task]int{}, map[experiments.Task]bool{}
	var firstErr error
	expect := -1 // results to wait for, once the feeder has finished
	for received := 0; expect < 0 || received < expect; {
		select {
		case n := <-sent:
			expect = n
		case e := <-epochs:
			if over[e.task] {
				continue // a late report of a finished training
			}
			running[e.task] = e.epoch
			bar.label = fmt.Sprintf("drop-retrain %s epoch %d/%d", e.task, e.epoch, run.opts.Epochs)
			bar.update(doneEpochs+sum(running), total)
		case res := <-results:
			received++
			delete(running, res.task)
			over[res.task] = true
			doneEpochs += run.opts.Epochs // early stopping finishes a training's share
			if res.err != nil {
				if firstErr == nil {
					firstErr = res.err
					cancel()
				}
				continue
			}
			// A training that finished is kept, even after another failed.
			if err := sink.save(res.r); err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				continue
			}
			run.done[res.r.Task] = res.r
			bar.update(doneEpochs+sum(running), total)
		}
	}
	if firstErr != nil {
		if errors.Is(firstErr, context.Canceled) {
			return fmt.Errorf("interrupted: %d of %d trainings of this run are stored; run the same command again to continue", len(run.done), len(run.tasks))
		}
		err := fmt.Errorf("week %s: %w (%d of %d trainings of this run are stored; run the same command again to continue)", run.job.vi.Week, firstErr, len(run.done), len(run.tasks))
		if p := (*trainingPanic)(nil); errors.As(firstErr, &p) {
			// As Main reports a panic on its own goroutine.
			err = fmt.Errorf("%w\n%s\n%s", err, bugReport, p.stack)
		}
		return err
	}
	return nil
}

// retrainSafely runs one training and returns a panic in it as a
// *trainingPanic: a panic on a worker goroutine would end the process at
// once, past Main's recover, and lose the trainings other workers have not
// stored; an error lets trainAll keep what finished and stop cleanly.
func retrainSafely(ctx context.Context, retrain func(context.Context, experiments.Task, func(int)) (experiments.Retrain, error), t experiments.Task, progress func(int)) (r experiments.Retrain, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = experiments.Retrain{}, &trainingPanic{task: t, value: p, stack: panicStack()}
		}
	}()
	return retrain(ctx, t, progress)
}

// trainingPanic is a panic recovered in a training: a bug in tracker.
type trainingPanic struct {
	task  experiments.Task
	value any
	stack string
}

func (p *trainingPanic) Error() string { return fmt.Sprintf("%s: internal error: %v", p.task, p.value) }

func sum(m map[experiments.Task]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// finishDropRetrain combines every training into the experiment and
// records it, which also removes the stored trainings.
func finishDropRetrain(g *globals, run *dropRun) error {
	job := run.job
	all := slices.Collect(maps.Values(run.done))
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
	job.exp.Took, job.exp.ToolVersion, job.exp.CreatedAt = took, Version(), g.env.Now().UTC()
	store, err := g.open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Record(job.vi.Model, job.vi.Version, []tracker.Experiment{job.exp}); err != nil {
		return fmt.Errorf("record drop-retrain for week %s: %w", job.vi.Week, err)
	}
	return nil
}
