package dropretrain

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tracker-ml/tracker/experiments"
)

// ShardIndexVars are the environment variables a job engine sets to a
// task's index, looked up in this order: a Kubernetes Indexed Job's, a
// Slurm array's.
var ShardIndexVars = []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"}

// Shard is which part of a run one process does: the features with
// index % Count == Index, and on shard 0 the baseline (experiments.Task.Shard).
type Shard struct{ Index, Count int }

// Whole is the one shard of an unsharded run.
var Whole = Shard{0, 1}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard reads a shard written I/N. Its error starts with the text
// quoted, for the caller to put after the name it came from.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		return Shard{}, fmt.Errorf("%q: want I/N with 0 <= I < N, such as 0/4", s)
	}
	return Shard{index, count}, nil
}

// ShardFromEnv is shard I of count, I coming from the first of
// ShardIndexVars that getenv finds set. None set is ErrNoShardIndex; a
// value that is not an index from 0 to count-1 is an error naming the
// variable and its value.
func ShardFromEnv(count int, getenv func(string) string) (Shard, error) {
	for _, name := range ShardIndexVars {
		if v := getenv(name); v != "" {
			index, err := strconv.Atoi(v)
			if err != nil || index < 0 || index >= count {
				return Shard{}, fmt.Errorf("%s=%q is not a shard index from 0 to %d", name, v, count-1)
			}
			return Shard{index, count}, nil
		}
	}
	return Shard{}, ErrNoShardIndex
}

// Plan is a run's trainings and those of them already done, as a resumed
// or sharded run and a merge of shard files see it.
type Plan struct {
	Tasks []experiments.Task // every training of the run, as experiments.DropRetrainOptions.Tasks lists them
	Done  map[experiments.Task]experiments.Retrain
}

// NewPlan is a plan of tasks with none done.
func NewPlan(tasks []experiments.Task) *Plan {
	return &Plan{Tasks: tasks, Done: map[experiments.Task]experiments.Retrain{}}
}

// Pending is the trainings shard still has to run, in the run's order.
func (p *Plan) Pending(shard Shard) []experiments.Task {
	var pending []experiments.Task
	for _, t := range p.Tasks {
		if _, ok := p.Done[t]; !ok && t.Shard(shard.Count) == shard.Index {
			pending = append(pending, t)
		}
	}
	return pending
}

// Complete says whether every training of the run is done.
func (p *Plan) Complete() bool { return len(p.Done) >= len(p.Tasks) }

// Retrains is every training done, in no order.
func (p *Plan) Retrains() []experiments.Retrain { return slices.Collect(maps.Values(p.Done)) }

// AddParts adds stored trainings, keyed as experiments.Task.Key keys them,
// to the done set, checking that each is whole and one of the run's.
func (p *Plan) AddParts(parts map[string][]byte) error {
	for key, b := range parts {
		var r experiments.Retrain
		if err := json.Unmarshal(b, &r); err != nil || r.Task.Key() != key {
			return fmt.Errorf("stored training %s of this run is damaged (%v)", key, err)
		}
		if !slices.Contains(p.Tasks, r.Task) {
			return fmt.Errorf("stored training %s does not belong to this run's %d trainings", key, len(p.Tasks))
		}
		p.Done[r.Task] = r
	}
	return nil
}

// Missing names the trainings the run still lacks, the first five of them
// by name: "9 trainings (feature 3 (seed 0), …)".
func (p *Plan) Missing() string {
	missing := p.Pending(Whole)
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
