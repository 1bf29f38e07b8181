package cli

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/tracker"
)

// TestDropRetrainReportsAWorkerPanicAsABug: a training that panics on a
// worker goroutine must come back as an error naming the week, the
// training, the panic and the stack, with the bug-report text and the
// trainings that finished stored, instead of ending the process.
// experiments/dropretrain's runner tests check the recovery itself.
func TestDropRetrainReportsAWorkerPanicAsABug(t *testing.T) {
	for _, c := range []struct {
		name    string
		workers int
	}{
		{"one worker reports the panic", 1},
		{"one of several workers reports the panic", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			db := filepath.Join(tmp, "tracker.db")
			prefix, csv := plantedFiles(t, tmp)
			mustRun(t, db, "ingest", prefix)
			rows, err := runs.ReadData(csv, dataset.Options{Label: "label", Drop: []string{"id"}})
			if err != nil {
				t.Fatal(err)
			}
			g := &globals{db: db, lockTimeout: time.Second, env: Env{ErrOut: io.Discard, Getenv: func(string) string { return "" }, Now: func() time.Time { return fixedNow }}}
			spec := runs.DropSpec{Model: tracker.DefaultModel, Week: "latest", Data: runs.Data{Path: csv, Rows: rows, Label: "label", Drop: []string{"id"}},
				ValSplit: 0.2, Options: experiments.DropRetrainOptions{Epochs: 1, Batch: 32, LR: 0.01, Seeds: 1, Metric: "accuracy", Init: experiments.InitScratch},
				Features: []string{"0", "1", "2"}, Seed: 1, Shard: dropretrain.Whole, Workers: c.workers, Out: filepath.Join(tmp, "parts.jsonl"),
				Retrain: func(_ context.Context, task experiments.Task, progress func(int)) (experiments.Retrain, error) {
					if task.Feature == 1 {
						var kernel []float32
						kernel[0] = 1 // a bug
					}
					progress(1)
					return experiments.Retrain{Task: task, Metric: 0.5}, nil
				},
			}

			_, err = runs.DropRetrain(context.Background(), runEnv(g), spec)
			err = runsError(err)
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
			lines, err := dropretrain.ReadFile(spec.Out)
			if err != nil {
				t.Fatal(err)
			}
			done := map[experiments.Task]bool{}
			for _, l := range lines {
				done[l.Retrain.Task] = true
			}
			if done[experiments.Task{Feature: 1}] {
				t.Errorf("the training that panicked is stored as done")
			}
			if !done[experiments.Task{Feature: experiments.Baseline}] {
				t.Errorf("the baseline, handed out first, finished but is not stored: %v", done)
			}
		})
	}
}
