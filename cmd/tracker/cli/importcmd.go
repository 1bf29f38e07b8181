package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
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
	var lines []placedLine
	for _, path := range files {
		ls, err := readShardFile(path)
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			// A shard with no features of its own (more shards than
			// features) leaves an empty file.
			fmt.Fprintf(g.env.ErrOut, "%s holds no results\n", path)
		}
		lines = append(lines, ls...)
	}
	if len(lines) == 0 {
		return fmt.Errorf("the files hold no results: check that the shards ran")
	}
	first := &lines[0]
	seen := map[experiments.Task]string{}
	parts := map[string][]byte{}
	for _, l := range lines {
		if diff := sameRun(&first.shardLine, &l.shardLine); diff != "" {
			return fmt.Errorf("%s is from another run than %s: %s; import each run's files on their own", l.where, first.where, diff)
		}
		if at, dup := seen[l.Retrain.Task]; dup {
			return fmt.Errorf("%s and %s both hold %s: give each shard's file once", at, l.where, l.Retrain.Task)
		}
		seen[l.Retrain.Task] = l.where
		b, err := json.Marshal(l.Retrain)
		if err != nil {
			return err
		}
		parts[l.Retrain.Task.Key()] = b
	}
	opts, err := experiments.ParseDropRetrainParams(first.Params)
	if err != nil {
		return fmt.Errorf("%s: %w", first.where, err)
	}

	store, err := g.open(false)
	if err != nil {
		return err
	}
	vi, err := findVersion(store, first.Model, first.Week, first.Hash)
	if err != nil {
		store.Close()
		return fmt.Errorf("%s: %w", first.where, err)
	}
	if err := opts.Check(vi.Inputs); err != nil {
		store.Close()
		return fmt.Errorf("%s: %w", first.where, err)
	}
	exp := tracker.Experiment{Kind: first.Kind, Params: first.Params, DataSHA256: first.DataSHA256, DataRows: first.DataRows, Seed: first.Seed}
	job := &weekJob{vi: vi, exp: exp}
	run := &dropRun{job: job, opts: opts, tasks: opts.Tasks(vi.Inputs), done: map[experiments.Task]experiments.Retrain{}}
	for _, l := range lines {
		if !slices.Contains(run.tasks, l.Retrain.Task) {
			store.Close()
			return fmt.Errorf("%s holds %s, which is not one of this run's %d trainings: the file is damaged or was edited", l.where, l.Retrain.Task, len(run.tasks))
		}
	}
	// A training already stored with the same result (its duration aside:
	// the same work run twice takes different times) is skipped; another
	// result for it is a conflict.
	if have, err := store.Parts(vi.Model, vi.Version, &exp); err == nil {
		for key, b := range have {
			var old experiments.Retrain
			newer, ok := parts[key]
			if !ok || json.Unmarshal(b, &old) != nil {
				continue
			}
			var r experiments.Retrain
			if json.Unmarshal(newer, &r) == nil {
				r.TookMS, old.TookMS = 0, 0
				if sameRetrain(r, old) {
					delete(parts, key)
					continue
				}
			}
			store.Close()
			return fmt.Errorf("%s: the store already holds a different result for %s of this run: the runs differ (another tracker build?); import into a copy of the store to compare", seen[r.Task], r.Task)
		}
	}
	stored, err := storedExperiment(store, vi, &exp)
	if err == nil && stored != nil {
		store.Close()
		fmt.Fprintf(g.env.ErrOut, "week %s: this drop-retrain is already recorded (on %s); nothing imported\n", vi.Week, stored.CreatedAt.Format(time.DateOnly))
		return nil
	}
	var added int
	if err == nil {
		added, err = store.SaveParts(vi.Model, vi.Version, &exp, parts)
	}
	var all map[string][]byte
	if err == nil {
		all, err = store.Parts(vi.Model, vi.Version, &exp)
	}
	if err == nil {
		job.snap, err = store.Snapshot(vi.Model, vi.Version)
	}
	if err == nil {
		run.names, err = store.Features(vi.Model)
	}
	store.Close()
	if err != nil {
		return err
	}
	for key, b := range all {
		var r experiments.Retrain
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("stored training %s is damaged: %v", key, err)
		}
		run.done[r.Task] = r
	}
	fmt.Fprintf(g.env.ErrOut, "imported %d new trainings from %d files (%d were already stored); %d of %d trainings of this run are in\n",
		added, len(files), len(lines)-added, len(run.done), len(run.tasks))
	if len(run.done) < len(run.tasks) {
		fmt.Fprintf(g.env.ErrOut, "missing: %s; import the other shards' files to record the run\n", missingShards(run))
		return nil
	}
	if err := finishDropRetrain(g, run); err != nil {
		return err
	}
	job.weightSum = experiments.WeightSum(job.snap)
	return printRuns(g, format, experiments.KindDropRetrain, []*weekJob{job}, run.names)
}

// storedExperiment is the finished experiment with e's identity, or nil.
func storedExperiment(store *tracker.Store, vi tracker.VersionInfo, e *tracker.Experiment) (*tracker.Experiment, error) {
	exps, err := store.Experiments(vi.Model, vi.Version)
	if err != nil {
		return nil, err
	}
	id := e.ID()
	for _, x := range exps {
		if x.ID() == id {
			return x, nil
		}
	}
	return nil, nil
}

// missingShards names the trainings a run still lacks.
func missingShards(run *dropRun) string {
	var missing []experiments.Task
	for _, t := range run.tasks {
		if _, ok := run.done[t]; !ok {
			missing = append(missing, t)
		}
	}
	names := make([]string, 0, 6)
	for _, t := range missing[:min(5, len(missing))] {
		names = append(names, t.String())
	}
	s := fmt.Sprintf("%d trainings (%s", len(missing), strings.Join(names, ", "))
	if len(missing) > 5 {
		s += ", …"
	}
	return s + ")"
}

// sameRetrain compares two trainings' results field by field.
func sameRetrain(a, b experiments.Retrain) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
