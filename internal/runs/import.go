package runs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/tracker"
)

// ShardsSpec is the shard files of one drop-retrain run to import.
type ShardsSpec struct {
	Files []string
	// Replace records the run over a record of the same series on other
	// data or with another seed, as MethodSpec.Replace.
	Replace bool
}

// ImportShards merges the trainings of one drop-retrain run, read from
// shard files, into the store's parts, in one write, and records the run
// when every training is in. Nothing is imported from files that hold a
// training twice, mix runs, or hold a training the store has with another
// result, nor for a week with a rival unless spec.Replace. The Outcome has
// the week when this call recorded the run; otherwise it is empty and a
// note says what is missing, or that the run was recorded before.
func ImportShards(env Env, spec ShardsSpec) (*Outcome, error) {
	files := spec.Files
	lines, err := readShardFiles(&env, files)
	if err != nil {
		return nil, err
	}
	m, err := dropretrain.Gather(lines)
	if err != nil {
		return nil, err
	}
	run, added, err := storeShards(&env, m, spec.Replace)
	if err != nil {
		return nil, err
	}
	none := &Outcome{Kind: experiments.KindDropRetrain}
	if run == nil {
		return none, nil
	}
	plan := run.plan
	env.notef("imported %d new trainings from %d files (%d were already stored); %d of %d trainings of this run are in\n",
		added, len(files), m.Lines()-added, len(plan.Done), len(plan.Tasks))
	if !plan.Complete() {
		env.notef("missing: %s; import the other shards' files to record the run\n", plan.Missing())
		return none, nil
	}
	if err := run.finish(&env); err != nil {
		return nil, err
	}
	run.week.WeightSum = experiments.WeightSum(run.week.snap)
	return run.outcome(), nil
}

// readShardFiles reads the lines of every shard file, noting a file that
// holds none.
func readShardFiles(env *Env, files []string) ([]dropretrain.PlacedLine, error) {
	var lines []dropretrain.PlacedLine
	for _, path := range files {
		ls, err := dropretrain.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if len(ls) == 0 {
			// A shard with no features of its own (more shards than
			// features) leaves an empty file.
			env.notef("%s holds no results\n", path)
		}
		lines = append(lines, ls...)
	}
	return lines, nil
}

// storeShards stores the gathered trainings the store lacks and reads back
// every training of the run, holding the store for that only. A run
// already recorded is noted and gives a nil run; one with a rival is
// refused unless replace.
func storeShards(env *Env, m *dropretrain.Merge, replace bool) (run *dropRun, added int, err error) {
	store, err := env.Open(false)
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
		env.notef("week %s: this drop-retrain is already recorded (on %s); nothing imported\n", vi.Week, stored.CreatedAt.Format(time.DateOnly))
		return nil, 0, nil
	}
	run = &dropRun{week: &Week{Version: vi, Record: exp}, opts: m.Opts, plan: plan, replace: replace}
	exps, err := store.Experiments(vi.Model, vi.Version)
	if err != nil {
		return nil, 0, err
	}
	run.week.rival = tracker.Rival(exps, &exp)
	if err := checkRivals([]*Week{run.week}, replace); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", first.Where, err)
	}
	if added, err = store.SaveParts(vi.Model, vi.Version, &exp, m.Parts); err != nil {
		return nil, 0, err
	}
	all, err := store.Parts(vi.Model, vi.Version, &exp)
	if err != nil {
		return nil, 0, err
	}
	if run.week.snap, err = store.Snapshot(vi.Model, vi.Version); err != nil {
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

// CSVSpec is a file of drop-retrain results computed outside tracker, to
// record against one week's version.
type CSVSpec struct {
	Model string
	Week  string // a date, or "latest"
	Path  string
	// Metric is what the file's metric column holds.
	Metric string
	// Baseline stands in for baseline rows; nil: the file has them.
	Baseline *float64
	// Role is the data role of the retrains, as Data.Role.
	Role string
	// Replace records the file over a record of the same series on other
	// data, as MethodSpec.Replace.
	Replace bool
}

// ImportCSV records the results in spec's file as a drop-retrain of the
// week's version, holding the store for its one step. A file imported
// before is noted, and its stored record shown.
func ImportCSV(env Env, spec CSVSpec) (*Outcome, error) {
	if err := checkRole(spec.Role); err != nil {
		return nil, err
	}
	raw, err := safefile.ReadFile(spec.Path, dropretrain.MaxCSV)
	if err != nil {
		return nil, fmt.Errorf("read retrain results: %w", err)
	}
	store, err := env.Open(false)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	vi, err := store.VersionAt(spec.Model, spec.Week)
	if err != nil {
		return nil, err
	}
	names, err := store.Features(spec.Model)
	if err != nil {
		return nil, err
	}
	exp, err := csvRecord(spec.Path, raw, names, vi.Inputs, spec.Metric, spec.Baseline)
	if err != nil {
		return nil, err
	}
	roleParam(exp.Params, spec.Role)
	exp.ToolVersion, exp.CreatedAt = env.ToolVersion, env.Now().UTC()
	w, err := recordCSV(&env, store, vi, exp, &spec)
	if err != nil {
		return nil, err
	}
	return &Outcome{Kind: experiments.KindDropRetrain, Weeks: []*Week{w}, Names: names}, nil
}

// csvRecord is the drop-retrain record an outside-results file makes on a
// model with inputs features, its values measured with metric.
func csvRecord(path string, raw []byte, names []string, inputs int, metric string, baseline *float64) (tracker.Experiment, error) {
	rows, err := dropretrain.ParseCSV(path, raw, names, inputs)
	if err != nil {
		return tracker.Experiment{}, err
	}
	retrains, opts, err := dropretrain.CSVRetrains(path, rows, metric, baseline)
	if err != nil {
		return tracker.Experiment{}, err
	}
	res, detail, err := experiments.CombineRetrains(opts, inputs, retrains)
	if err != nil {
		return tracker.Experiment{}, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(raw)
	exp := tracker.Experiment{
		Kind:   experiments.KindDropRetrain,
		Params: map[string]string{"source": "csv", "metric": metric, "seeds": strconv.Itoa(opts.Seeds)},
		// The file stands in for the training data tracker never saw.
		DataSHA256: hex.EncodeToString(sum[:]), DataRows: len(rows),
		Value: res.Value, Spread: res.Spread, Rank: res.Rank, Extra: res.Extra,
	}
	exp.Detail, err = json.Marshal(detail)
	return exp, err
}

// recordCSV records exp, or finds it recorded by an earlier import of
// spec's file, and is the week to show.
func recordCSV(env *Env, store *tracker.Store, vi tracker.VersionInfo, exp tracker.Experiment, spec *CSVSpec) (*Week, error) {
	path := spec.Path
	w := &Week{Version: vi, Record: exp}
	added, err := recordWeek(env, store, w, spec.Replace)
	if err != nil {
		return nil, err
	}
	if !added {
		stored, err := store.Recorded(vi.Model, vi.Version, &exp)
		if err != nil {
			return nil, err
		}
		env.notef("week %s: %s was already imported (on %s); nothing stored\n", vi.Week, path, stored.CreatedAt.Format(time.DateOnly))
		w.Record = *stored
	}
	snap, err := store.Snapshot(vi.Model, vi.Version)
	if err != nil {
		return nil, err
	}
	w.WeightSum = experiments.WeightSum(snap)
	return w, nil
}
