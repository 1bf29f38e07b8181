package dropretrain

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// mergeRun is a run whose parameters ParseDropRetrainParams reads: one
// seed, features 0 and 1 of a model.
func mergeRun() Line {
	l := testRun()
	l.Params = experiments.DropRetrainOptions{Epochs: 2, Batch: 8, LR: 0.01, Seeds: 1, Metric: "accuracy", Init: experiments.InitScratch, Features: []int{0, 1}}.Params("split:0.2")
	return l
}

func placed(run Line, f int, took int64, where string) PlacedLine {
	run.Retrain = experiments.Retrain{Task: experiments.Task{Feature: f}, Metric: 0.5, TookMS: took}
	return PlacedLine{run, where}
}

func TestGatherRefusesWhatIsNotOneRun(t *testing.T) {
	run := mergeRun()
	other := mergeRun()
	other.Seed = 7
	bad := mergeRun()
	bad.Params = map[string]string{"epochs": "x"}
	for _, c := range []struct {
		name  string
		lines []PlacedLine
		err   string
	}{
		{"no lines", nil, "the files hold no results: check that the shards ran"},
		{"a line of another run", []PlacedLine{placed(run, -1, 1, "a:1"), placed(other, 0, 1, "b:1")},
			"b:1 is from another run than a:1: seed 7, not 1; import each run's files on their own"},
		{"a training twice", []PlacedLine{placed(run, -1, 1, "a:1"), placed(run, 0, 1, "a:2"), placed(run, 0, 2, "b:1")},
			"a:2 and b:1 both hold feature 0 (seed 0): give each shard's file once"},
		{"parameters that do not read back", []PlacedLine{placed(bad, -1, 1, "a:1")}, `a:1: parameter epochs="x" is not a whole number`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Gather(c.lines)
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("error %v, want %q", err, c.err)
			}
		})
	}
}

func TestMergeCheckAndSkipStored(t *testing.T) {
	run := mergeRun()
	lines := []PlacedLine{placed(run, -1, 10, "a:1"), placed(run, 0, 10, "a:2"), placed(run, 1, 10, "b:1")}
	m, err := Gather(lines)
	if err != nil {
		t.Fatal(err)
	}
	if m.Lines() != 3 || len(m.Parts) != 3 || m.Run.Where != "a:1" || m.Opts.Epochs != 2 {
		t.Fatalf("gathered %d lines, %d parts, run at %s, options %+v", m.Lines(), len(m.Parts), m.Run.Where, m.Opts)
	}

	t.Run("a run whose features the version lacks is refused", func(t *testing.T) {
		if _, err := m.Check(1); err == nil || err.Error() != "a:1: feature 1: the model has inputs 0 to 0" {
			t.Errorf("error %v", err)
		}
	})
	t.Run("a training outside the run is refused", func(t *testing.T) {
		odd := mergeRun()
		odd.Retrain.Task.Seed = 3
		foreign, err := Gather(append(lines[:1:1], PlacedLine{odd, "c:4"}))
		if err != nil {
			t.Fatal(err)
		}
		want := "c:4 holds feature 0 (seed 3), which is not one of this run's 3 trainings: the file is damaged or was edited"
		if _, err := foreign.Check(6); err == nil || err.Error() != want {
			t.Errorf("error %v, want %q", err, want)
		}
	})
	plan, err := m.Check(6)
	if err != nil || len(plan.Tasks) != 3 || len(plan.Done) != 0 {
		t.Fatalf("plan %+v, error %v", plan, err)
	}

	stored := func(f int, took int64, metric float64) []byte {
		b, err := json.Marshal(experiments.Retrain{Task: experiments.Task{Feature: f}, Metric: metric, TookMS: took})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("a training stored with the same result is skipped, its duration aside", func(t *testing.T) {
		m, _ := Gather(lines)
		if err := m.SkipStored(map[string][]byte{"f/0/0": stored(0, 99, 0.5), "f/7/0": stored(7, 1, 0.1), "b/0": []byte("{")}); err != nil {
			t.Fatal(err)
		}
		if _, ok := m.Parts["f/0/0"]; ok || len(m.Parts) != 2 {
			t.Errorf("parts left %v, want b/0 and f/1/0", m.Parts)
		}
	})
	t.Run("a training stored with another result is a conflict", func(t *testing.T) {
		m, _ := Gather(lines)
		want := "b:1: the store already holds a different result for feature 1 (seed 0) of this run: the runs differ (another tracker build?); import into a copy of the store to compare"
		if err := m.SkipStored(map[string][]byte{"f/1/0": stored(1, 10, 0.25)}); err == nil || err.Error() != want {
			t.Errorf("error %v, want %q", err, want)
		}
	})
}

func TestDecodeParts(t *testing.T) {
	done, err := DecodeParts(map[string][]byte{"b/0": []byte(`{"feature":-1,"seed":0,"metric":0.5}`)})
	if err != nil || done[experiments.Task{Feature: experiments.Baseline}].Metric != 0.5 {
		t.Errorf("done %v, error %v", done, err)
	}
	if _, err := DecodeParts(map[string][]byte{"f/1/0": []byte("{")}); err == nil || err.Error() != "stored training f/1/0 is damaged: unexpected end of JSON input" {
		t.Errorf("error %v", err)
	}
}
