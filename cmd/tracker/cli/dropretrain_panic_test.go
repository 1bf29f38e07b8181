package cli

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/tracker"
)

// TestDropRetrainReportsAWorkerPanicAsABug: a training that panics on a
// worker goroutine must come back as an error naming the week, the
// training, the panic and the stack, with the bug-report text and the
// trainings that finished stored, instead of ending the process.
// experiments/dropretrain's runner tests check the recovery itself.
func TestDropRetrainReportsAWorkerPanicAsABug(t *testing.T) {
	tasks := []experiments.Task{{Feature: experiments.Baseline}, {Feature: 0}, {Feature: 1}, {Feature: 2}}
	for _, c := range []struct {
		name    string
		workers int
	}{
		{"one worker reports the panic", 1},
		{"one of several workers reports the panic", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := &dropRun{
				job:  &weekJob{vi: tracker.VersionInfo{Model: tracker.DefaultModel, Week: "2019-01-14"}},
				opts: experiments.DropRetrainOptions{Epochs: 1, Seeds: 1},
				plan: dropretrain.NewPlan(tasks),
				retrain: func(_ context.Context, task experiments.Task, progress func(int)) (experiments.Retrain, error) {
					if task.Feature == 1 {
						var kernel []float32
						kernel[0] = 1 // a bug
					}
					progress(1)
					return experiments.Retrain{Task: task, Metric: 0.5}, nil
				},
			}
			sink, err := dropretrain.OpenFileSink(filepath.Join(t.TempDir(), "parts.jsonl"), shardLine(run.job))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sink.Close() })
			env := Env{ErrOut: io.Discard, Getenv: func(string) string { return "" }}

			err = trainPending(context.Background(), env, c.workers, run, tasks, sink)
			for _, want := range []string{
				"week 2019-01-14: feature 1 (seed 0): internal error: runtime error: index out of range",
				"trainings of this run are stored",
				"This is a bug in tracker",
				"dropretrain_panic_test.go",
			} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want it to say %q", err, want)
				}
			}
			if _, ok := run.plan.Done[experiments.Task{Feature: 1}]; ok {
				t.Errorf("the training that panicked is stored as done")
			}
			if _, ok := run.plan.Done[experiments.Task{Feature: experiments.Baseline}]; !ok {
				t.Errorf("the baseline, handed out first, finished but is not stored: %v", run.plan.Done)
			}
		})
	}
}
