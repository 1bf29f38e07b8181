package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/tracker"
)

func newImportCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "import FILE.jsonl...",
		Short: "Merge drop-retrain results computed elsewhere into the store",
		Long: `Merge the files that tracker run drop-retrain --out wrote (one per shard, say)
into the store. The files must all hold trainings of one run: the same week
and version, parameters, data and seed. A training present twice, or
already stored with a different result, is refused and nothing is imported.
When every training of the run is in, the run is recorded as an experiment
like any other; until then the trainings wait in the store for the rest.

tracker import drop-retrain FILE.csv records numbers from retrains done
outside tracker, in Keras say.`,
		Args: minArgs(1, "one or more files written by tracker run drop-retrain --out"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return importShards(g, format, args)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	cmd.AddCommand(newImportDropRetrainCmd(g))
	return cmd
}

func importShards(g *globals, formatFlag string, files []string) error {
	format, err := pickFormat(formatFlag, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	lines, err := readShardFiles(g.env.ErrOut, files)
	if err != nil {
		return err
	}
	m, err := dropretrain.Gather(lines)
	if err != nil {
		return err
	}
	run, added, err := storeShards(g.open, g.env.ErrOut, m)
	if err != nil || run == nil {
		return err
	}
	plan := run.plan
	fmt.Fprintf(g.env.ErrOut, "imported %d new trainings from %d files (%d were already stored); %d of %d trainings of this run are in\n",
		added, len(files), m.Lines()-added, len(plan.Done), len(plan.Tasks))
	if !plan.Complete() {
		fmt.Fprintf(g.env.ErrOut, "missing: %s; import the other shards' files to record the run\n", plan.Missing())
		return nil
	}
	if err := finishDropRetrain(g.open, g.env.Now, run); err != nil {
		return err
	}
	run.job.weightSum = experiments.WeightSum(run.job.snap)
	return printRuns(g, format, experiments.KindDropRetrain, []*weekJob{run.job}, run.names)
}

// readShardFiles reads the lines of every --out file given to import,
// noting a file that holds none.
func readShardFiles(errOut io.Writer, files []string) ([]dropretrain.PlacedLine, error) {
	var lines []dropretrain.PlacedLine
	for _, path := range files {
		ls, err := dropretrain.ReadFile(path)
		if err != nil {
			return nil, shardFileHint(err)
		}
		if len(ls) == 0 {
			// A shard with no features of its own (more shards than
			// features) leaves an empty file.
			fmt.Fprintf(errOut, "%s holds no results\n", path)
		}
		lines = append(lines, ls...)
	}
	return lines, nil
}

// storeShards stores the gathered trainings the store lacks and reads back
// every training of the run, holding the store for that only. A run
// already recorded is said so and gives a nil run.
func storeShards(open opener, errOut io.Writer, m *dropretrain.Merge) (run *dropRun, added int, err error) {
	store, err := open(false)
	if err != nil {
		return nil, 0, err
	}
	defer store.Close()
	first := &m.Run
	vi, err := store.FindVersion(first.Model, first.Week, first.Hash)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", first.Where, err)
	}
	plan, err := m.Check(vi.Inputs)
	if err != nil {
		return nil, 0, err
	}
	exp := tracker.Experiment{Kind: first.Kind, Params: first.Params, DataSHA256: first.DataSHA256, DataRows: first.DataRows, Seed: first.Seed}
	if have, err := store.Parts(vi.Model, vi.Version, &exp); err == nil {
		if err := m.SkipStored(have); err != nil {
			return nil, 0, err
		}
	}
	stored, err := store.Recorded(vi.Model, vi.Version, &exp)
	if err != nil {
		return nil, 0, err
	}
	if stored != nil {
		fmt.Fprintf(errOut, "week %s: this drop-retrain is already recorded (on %s); nothing imported\n", vi.Week, stored.CreatedAt.Format(time.DateOnly))
		return nil, 0, nil
	}
	run = &dropRun{job: &weekJob{vi: vi, exp: exp}, opts: m.Opts, plan: plan}
	if added, err = store.SaveParts(vi.Model, vi.Version, &exp, m.Parts); err != nil {
		return nil, 0, err
	}
	all, err := store.Parts(vi.Model, vi.Version, &exp)
	if err != nil {
		return nil, 0, err
	}
	if run.job.snap, err = store.Snapshot(vi.Model, vi.Version); err != nil {
		return nil, 0, err
	}
	if run.names, err = store.Features(vi.Model); err != nil {
		return nil, 0, err
	}
	if plan.Done, err = dropretrain.DecodeParts(all); err != nil {
		return nil, 0, err
	}
	return run, added, nil
}
