package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/runs"
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
	record              recordFlags
}

func newDropRetrainCmd(g *globals) *cobra.Command {
	f := &dropFlags{}
	cmd := &cobra.Command{
		Use:   "drop-retrain [--week W] --data F --label COL [--val-split 0.2 | --val FILE] [--epochs E] [--batch B] [--lr X] [--seeds K] [--metric accuracy|logloss|auc] [--features LIST] [--init scratch|snapshot] [--workers P] [--shard I/N] [--out FILE.jsonl] [--resume] [--data-role NAME] [--replace]",
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
data start a run of their own. A run on other data or with another seed than
the week's recorded drop-retrain of these parameters is refused before any
training, unless --replace or --data-role NAME (see tracker run --help).
--workers P runs P trainings at once.

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
	f.record.register(cmd, true)
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
	if err := f.record.validate(); err != nil {
		return err
	}
	spec := runs.DropSpec{Model: f.model, Week: f.week, ValPath: f.valPath, ValSplit: f.valSplit,
		Options: f.opts, Features: f.features, Seed: f.seed, Shard: shard, Workers: f.workers,
		Out: f.out, Resume: f.resume, Replace: f.record.replace, KeepGC: g.env.Getenv("GOGC") != ""}
	if err := f.readData(&spec); err != nil {
		return err
	}
	out, err := runs.DropRetrain(ctx, runEnv(g), spec)
	if err != nil {
		return runsError(err)
	}
	return printRuns(g, format, out)
}

// readData reads --data and --val into spec.
func (f *dropFlags) readData(spec *runs.DropSpec) error {
	train, err := f.data.read(f.data.path)
	if err != nil {
		return err
	}
	spec.Data = f.data.spec(train, f.record.role)
	if f.valPath != "" {
		spec.Val, err = f.data.read(f.valPath)
	}
	return err
}
