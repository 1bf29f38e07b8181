package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/tracker"
)

// TestTrainAllReturnsAWorkerPanicAsAnError: a training that panics on a
// worker goroutine must come back as an error naming the training, the
// panic and the stack, with the trainings that finished stored, instead
// of ending the process.
func TestTrainAllReturnsAWorkerPanicAsAnError(t *testing.T) {
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
				job:   &weekJob{vi: tracker.VersionInfo{Model: tracker.DefaultModel, Week: "2019-01-14"}},
				opts:  experiments.DropRetrainOptions{Epochs: 1, Seeds: 1},
				tasks: tasks,
				done:  map[experiments.Task]experiments.Retrain{},
				retrain: func(_ context.Context, task experiments.Task, progress func(int)) (experiments.Retrain, error) {
					if task.Feature == 1 {
						var kernel []float32
						kernel[0] = 1 // a bug
					}
					progress(1)
					return experiments.Retrain{Task: task, Metric: 0.5}, nil
				},
			}
			file, err := os.Create(filepath.Join(t.TempDir(), "parts.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			sink := &dropSink{job: run.job, file: file}
			t.Cleanup(sink.close)
			g := &globals{env: Env{ErrOut: io.Discard, Getenv: func(string) string { return "" }}}

			err = trainAll(context.Background(), g, c.workers, run, tasks, sink)
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
			if _, ok := run.done[experiments.Task{Feature: 1}]; ok {
				t.Errorf("the training that panicked is stored as done")
			}
			if _, ok := run.done[experiments.Task{Feature: experiments.Baseline}]; !ok {
				t.Errorf("the baseline, handed out first, finished but is not stored: %v", run.done)
			}
		})
	}
}
