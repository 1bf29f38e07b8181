package dropretrain

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     Shard
		err      string
	}{
		{"the first of four", "0/4", Shard{0, 4}, ""},
		{"the last of four", "3/4", Shard{3, 4}, ""},
		{"the only shard", "0/1", Whole, ""},
		{"an index past the count", "4/4", Shard{}, `"4/4": want I/N with 0 <= I < N, such as 0/4`},
		{"a negative index", "-1/4", Shard{}, `"-1/4": want I/N`},
		{"no count", "2", Shard{}, `"2": want I/N`},
		{"a zero count", "0/0", Shard{}, `"0/0": want I/N`},
		{"words", "a/b", Shard{}, `"a/b": want I/N`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseShard(c.in)
			if c.err == "" {
				if err != nil || got != c.want {
					t.Errorf("ParseShard(%q) = %v, %v; want %v", c.in, got, err, c.want)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("ParseShard(%q) error %v, want %q", c.in, err, c.err)
			}
		})
	}
}

func TestShardFromEnv(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want Shard
		err  string
	}{
		{"a Kubernetes Indexed Job's index", map[string]string{"JOB_COMPLETION_INDEX": "2"}, Shard{2, 3}, ""},
		{"a Slurm array's index", map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, Shard{1, 3}, ""},
		{"the Kubernetes index before Slurm's", map[string]string{"JOB_COMPLETION_INDEX": "0", "SLURM_ARRAY_TASK_ID": "1"}, Shard{0, 3}, ""},
		{"an index past the count", map[string]string{"SLURM_ARRAY_TASK_ID": "3"}, Shard{}, `SLURM_ARRAY_TASK_ID="3" is not a shard index from 0 to 2`},
		{"an index that is no number", map[string]string{"JOB_COMPLETION_INDEX": "x"}, Shard{}, `JOB_COMPLETION_INDEX="x" is not a shard index from 0 to 2`},
		{"neither set", nil, Shard{}, "JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are unset"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ShardFromEnv(3, func(k string) string { return c.env[k] })
			if c.err == "" {
				if err != nil || got != c.want {
					t.Errorf("got %v, %v; want %v", got, err, c.want)
				}
				return
			}
			if err == nil || err.Error() != c.err {
				t.Errorf("error %v, want %q", err, c.err)
			}
			if c.env == nil && !errors.Is(err, ErrNoShardIndex) {
				t.Errorf("error %v does not match ErrNoShardIndex", err)
			}
		})
	}
}

func TestPlanPending(t *testing.T) {
	opts := experiments.DropRetrainOptions{Seeds: 2}
	tasks := opts.Tasks(5) // 2 baselines, features 0-4 x 2 seeds
	done := func(ts ...experiments.Task) map[experiments.Task]experiments.Retrain {
		m := map[experiments.Task]experiments.Retrain{}
		for _, t := range ts {
			m[t] = experiments.Retrain{Task: t}
		}
		return m
	}
	b0, f1s0 := experiments.Task{Feature: experiments.Baseline}, experiments.Task{Feature: 1}
	for _, c := range []struct {
		name  string
		done  map[experiments.Task]experiments.Retrain
		shard Shard
		want  []experiments.Task
	}{
		{"a fresh whole run trains everything", done(), Whole, tasks},
		{"shard 0 of 2 has the baselines and the even features", done(), Shard{0, 2}, []experiments.Task{
			{Feature: -1}, {Feature: -1, Seed: 1}, {Feature: 0}, {Feature: 0, Seed: 1}, {Feature: 2}, {Feature: 2, Seed: 1}, {Feature: 4}, {Feature: 4, Seed: 1}}},
		{"shard 1 of 2 has the odd features", done(f1s0), Shard{1, 2}, []experiments.Task{
			{Feature: 1, Seed: 1}, {Feature: 3}, {Feature: 3, Seed: 1}}},
		{"a shard past the features has nothing", done(), Shard{6, 7}, nil},
		{"a resumed run skips what is done", done(b0, f1s0), Whole, slices.DeleteFunc(slices.Clone(tasks), func(t experiments.Task) bool { return t == b0 || t == f1s0 })},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &Plan{Tasks: tasks, Done: c.done}
			if got := p.Pending(c.shard); !slices.Equal(got, c.want) {
				t.Errorf("pending %v, want %v", got, c.want)
			}
			if p.Complete() {
				t.Errorf("a plan with %d of %d done is complete", len(c.done), len(tasks))
			}
		})
	}
}

func TestPlanAddPartsRefusesForeignTrainings(t *testing.T) {
	tasks := experiments.DropRetrainOptions{Seeds: 1}.Tasks(2)
	part := func(f int) []byte {
		b, err := json.Marshal(experiments.Retrain{Task: experiments.Task{Feature: f}, Metric: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name  string
		parts map[string][]byte
		err   string
	}{
		{"trainings of the run are added", map[string][]byte{"b/0": part(-1), "f/1/0": part(1)}, ""},
		{"a part that is not JSON is damaged", map[string][]byte{"b/0": []byte("{")}, "stored training b/0 of this run is damaged (unexpected end of JSON input)"},
		{"a part under another training's key is damaged", map[string][]byte{"f/0/0": part(1)}, "stored training f/0/0 of this run is damaged (<nil>)"},
		{"a training the run does not have is foreign", map[string][]byte{"f/5/0": part(5)}, "stored training f/5/0 does not belong to this run's 3 trainings"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := NewPlan(tasks)
			err := p.AddParts(c.parts)
			if c.err == "" {
				if err != nil || len(p.Done) != len(c.parts) {
					t.Errorf("error %v, %d done; want %d", err, len(p.Done), len(c.parts))
				}
				return
			}
			if err == nil || err.Error() != c.err {
				t.Errorf("error %v, want %q", err, c.err)
			}
		})
	}
}

func TestPlanMissingNamesTheFirstFive(t *testing.T) {
	p := NewPlan(experiments.DropRetrainOptions{Seeds: 1}.Tasks(7))
	p.Done[experiments.Task{Feature: experiments.Baseline}] = experiments.Retrain{}
	want := "7 trainings (feature 0 (seed 0), feature 1 (seed 0), feature 2 (seed 0), feature 3 (seed 0), feature 4 (seed 0), …)"
	if got := p.Missing(); got != want {
		t.Errorf("Missing() = %q, want %q", got, want)
	}
	for f := range 6 {
		p.Done[experiments.Task{Feature: f}] = experiments.Retrain{}
	}
	if got, want := p.Missing(), "1 trainings (feature 6 (seed 0))"; got != want {
		t.Errorf("Missing() = %q, want %q", got, want)
	}
}
