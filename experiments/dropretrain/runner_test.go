package dropretrain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// memSink keeps what the runner saves, and fails on a chosen task.
type memSink struct {
	saved  map[experiments.Task]experiments.Retrain
	failOn *experiments.Task
}

func newMemSink() *memSink { return &memSink{saved: map[experiments.Task]experiments.Retrain{}} }

func (s *memSink) Save(r experiments.Retrain) error {
	if s.failOn != nil && r.Task == *s.failOn {
		return errors.New("disk full")
	}
	s.saved[r.Task] = r
	return nil
}

// lastProgress keeps the runner's last report.
type lastProgress struct {
	label       string
	done, total int
	calls       int
}

func (p *lastProgress) Update(label string, done, total int) {
	p.label, p.done, p.total = label, done, total
	p.calls++
}

var fourTasks = []experiments.Task{{Feature: experiments.Baseline}, {Feature: 0}, {Feature: 1}, {Feature: 2}}

// TestRunnerReturnsAWorkerPanicAsAnError: a training that panics on a
// worker goroutine must come back as a *PanicError naming the training,
// the panic and the stack, with the trainings that finished saved,
// instead of ending the process.
func TestRunnerReturnsAWorkerPanicAsAnError(t *testing.T) {
	for _, c := range []struct {
		name    string
		workers int
	}{
		{"one worker reports the panic", 1},
		{"one of several workers reports the panic", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			sink := newMemSink()
			r := Runner{Workers: c.workers, Epochs: 1, Sink: sink,
				Retrain: func(_ context.Context, task experiments.Task, progress func(int)) (experiments.Retrain, error) {
					if task.Feature == 1 {
						var kernel []float32
						kernel[0] = 1 // a bug
					}
					progress(1)
					return experiments.Retrain{Task: task, Metric: 0.5}, nil
				}}

			err := r.Run(context.Background(), fourTasks)
			var p *PanicError
			if !errors.As(err, &p) {
				t.Fatalf("error %v, want a *PanicError", err)
			}
			if p.Task != (experiments.Task{Feature: 1}) {
				t.Errorf("the panic names %v, want feature 1 (seed 0)", p.Task)
			}
			for _, want := range []string{"feature 1 (seed 0): internal error: runtime error: index out of range"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q, want it to say %q", err, want)
				}
			}
			if !strings.Contains(p.Stack, "runner_test.go") {
				t.Errorf("stack does not reach the panicking frame:\n%s", p.Stack)
			}
			if _, ok := sink.saved[experiments.Task{Feature: 1}]; ok {
				t.Errorf("the training that panicked is saved")
			}
			if _, ok := sink.saved[experiments.Task{Feature: experiments.Baseline}]; !ok {
				t.Errorf("the baseline, handed out first, finished but is not saved: %v", sink.saved)
			}
		})
	}
}

func TestRunnerSavesEveryTrainingAndReportsProgress(t *testing.T) {
	for _, workers := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("%d workers save every training once", workers), func(t *testing.T) {
			sink, bar := newMemSink(), &lastProgress{}
			r := Runner{Workers: workers, Epochs: 3, Sink: sink, Progress: bar,
				Retrain: func(_ context.Context, task experiments.Task, progress func(int)) (experiments.Retrain, error) {
					for e := 1; e <= 3; e++ {
						progress(e)
					}
					return experiments.Retrain{Task: task, Metric: float64(task.Feature)}, nil
				}}
			if err := r.Run(context.Background(), fourTasks); err != nil {
				t.Fatal(err)
			}
			if len(sink.saved) != len(fourTasks) {
				t.Errorf("saved %d trainings, want %d", len(sink.saved), len(fourTasks))
			}
			// The last report follows the last save: every epoch is done.
			if bar.done != 12 || bar.total != 12 || !strings.HasPrefix(bar.label, "drop-retrain") {
				t.Errorf("last progress %q %d/%d, want drop-retrain… 12/12", bar.label, bar.done, bar.total)
			}
		})
	}
	t.Run("nothing pending runs nothing and reports nothing", func(t *testing.T) {
		bar := &lastProgress{}
		r := Runner{Workers: 2, Epochs: 3, Sink: newMemSink(), Progress: bar}
		if err := r.Run(context.Background(), nil); err != nil || bar.calls != 0 {
			t.Errorf("error %v, %d progress reports", err, bar.calls)
		}
	})
}

func TestRunnerStopsOnTheFirstError(t *testing.T) {
	t.Run("a failed training stops the run and finished ones are kept", func(t *testing.T) {
		sink := newMemSink()
		r := Runner{Workers: 1, Epochs: 1, Sink: sink,
			Retrain: func(ctx context.Context, task experiments.Task, _ func(int)) (experiments.Retrain, error) {
				if task.Feature == 0 {
					return experiments.Retrain{}, errors.New("AUC needs rows of both classes")
				}
				return experiments.Retrain{Task: task}, ctx.Err()
			}}
		err := r.Run(context.Background(), fourTasks)
		if err == nil || err.Error() != "AUC needs rows of both classes" {
			t.Errorf("error %v, want the training's", err)
		}
		if _, ok := sink.saved[experiments.Task{Feature: experiments.Baseline}]; !ok {
			t.Errorf("the baseline finished before the failure but is not saved: %v", sink.saved)
		}
		if _, ok := sink.saved[experiments.Task{Feature: 2}]; ok {
			t.Errorf("the last task ran after the failure: %v", sink.saved)
		}
	})
	t.Run("a sink that fails stops the run with its error", func(t *testing.T) {
		sink := newMemSink()
		sink.failOn = &experiments.Task{Feature: experiments.Baseline}
		r := Runner{Workers: 1, Epochs: 1, Sink: sink,
			Retrain: func(ctx context.Context, task experiments.Task, _ func(int)) (experiments.Retrain, error) {
				return experiments.Retrain{Task: task}, ctx.Err()
			}}
		if err := r.Run(context.Background(), fourTasks); err == nil || err.Error() != "disk full" {
			t.Errorf("error %v, want the sink's", err)
		}
		if _, ok := sink.saved[experiments.Task{Feature: experiments.Baseline}]; ok {
			t.Errorf("the training the sink refused counts as saved")
		}
	})
	t.Run("an interrupt matches context.Canceled and keeps what finished", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var once sync.Once
		sink := newMemSink()
		r := Runner{Workers: 2, Epochs: 1, Sink: sink,
			Retrain: func(ctx context.Context, task experiments.Task, _ func(int)) (experiments.Retrain, error) {
				if task.Feature == experiments.Baseline {
					return experiments.Retrain{Task: task}, nil
				}
				once.Do(cancel) // the user presses ^C during a training
				<-ctx.Done()
				return experiments.Retrain{}, fmt.Errorf("%s: %w", task, ctx.Err())
			}}
		err := r.Run(ctx, fourTasks)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want one matching context.Canceled", err)
		}
		if _, ok := sink.saved[experiments.Task{Feature: experiments.Baseline}]; !ok || len(sink.saved) != 1 {
			t.Errorf("saved %v, want the baseline alone", sink.saved)
		}
	})
}
