package dropretrain

import (
	"context"
	"fmt"
	"runtime"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/bug"
)

// RetrainFunc runs one training, calling progress after each epoch:
// experiments.RetrainOne on a run's version and data, or a test's fake.
type RetrainFunc func(ctx context.Context, t experiments.Task, progress func(epoch int)) (experiments.Retrain, error)

// Sink keeps one finished training: in a store, or as a line of a file.
// The runner calls it on the goroutine that called Run, one training at a
// time, the moment the training finishes.
type Sink interface {
	Save(r experiments.Retrain) error
}

// Progress shows how far a run is: label names the training last heard
// from and its epoch, done of total counts epochs of the pending trainings.
type Progress interface {
	Update(label string, done, total int)
}

// Runner runs a run's pending trainings on a pool of workers.
type Runner struct {
	Workers  int // trainings at once; fewer when fewer are pending
	Epochs   int // epochs per training, for progress
	Retrain  RetrainFunc
	Sink     Sink
	Progress Progress // nil shows nothing
}

// Run trains pending and hands each finished training to the sink. The
// first error, a training's or the sink's, stops handing out work and
// cancels the trainings running; a training that finished is saved even
// after another failed. After an interrupt (ctx cancelled) the error
// matches context.Canceled; a panic in a training is a *PanicError.
func (r *Runner) Run(ctx context.Context, pending []experiments.Task) error {
	if len(pending) == 0 {
		return nil
	}
	workers := min(max(r.Workers, 1), len(pending))
	if workers > 1 {
		// Each training's matrix products get their share of the cores.
		defer nn.SetBLASThreads(nn.BLASThreads())
		nn.SetBLASThreads(runtime.NumCPU() / workers)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := startPool(ctx, r.Retrain, workers, pending)
	return r.collect(p, cancel, len(pending)*r.Epochs)
}

// epochDone is a worker's report that a training finished an epoch.
type epochDone struct {
	task  experiments.Task
	epoch int
}

// finished is a training's outcome.
type finished struct {
	task experiments.Task
	r    experiments.Retrain
	err  error
}

// pool is what the workers and the feeder send to Run's goroutine.
type pool struct {
	epochs  chan epochDone // best effort: a report is dropped when full
	results chan finished
	// sent receives, once the feeder stops, how many tasks it handed out:
	// the results to wait for.
	sent chan int
}

func startPool(ctx context.Context, retrain RetrainFunc, workers int, pending []experiments.Task) *pool {
	p := &pool{epochs: make(chan epochDone, workers), results: make(chan finished), sent: make(chan int, 1)}
	todo := make(chan experiments.Task)
	for range workers {
		go p.work(ctx, retrain, todo)
	}
	go feed(ctx, pending, todo, p.sent)
	return p
}

// work trains the tasks it is handed until todo closes.
func (p *pool) work(ctx context.Context, retrain RetrainFunc, todo <-chan experiments.Task) {
	for t := range todo {
		r, err := retrainSafely(ctx, retrain, t, func(e int) {
			select {
			case p.epochs <- epochDone{t, e}:
			default: // progress is best effort
			}
		})
		p.results <- finished{t, r, err}
	}
}

// feed hands out pending until ctx ends, then closes todo and sends how
// many tasks it handed out.
func feed(ctx context.Context, pending []experiments.Task, todo chan<- experiments.Task, sent chan<- int) {
	defer close(todo)
	n := 0
	defer func() { sent <- n }()
	for _, t := range pending {
		select {
		case todo <- t:
			n++
		case <-ctx.Done():
			return
		}
	}
}

// tally is the progress of a run as Run's goroutine sees it.
type tally struct {
	label      string
	total      int // epochs of every pending training
	doneEpochs int // of the trainings finished
	running    map[experiments.Task]int
	over       map[experiments.Task]bool
}

func (t *tally) epochs() int {
	n := t.doneEpochs
	for _, e := range t.running {
		n += e
	}
	return n
}

// collect waits for every result the feeder's tasks give, saving the
// trainings that finished, and returns the first error.
func (r *Runner) collect(p *pool, cancel func(), total int) error {
	t := &tally{label: "drop-retrain", total: total, running: map[experiments.Task]int{}, over: map[experiments.Task]bool{}}
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	expect := -1 // results to wait for, once the feeder has finished
	for received := 0; expect < 0 || received < expect; {
		select {
		case n := <-p.sent:
			expect = n
		case e := <-p.epochs:
			if t.over[e.task] {
				continue // a late report of a finished training
			}
			t.running[e.task] = e.epoch
			t.label = fmt.Sprintf("drop-retrain %s epoch %d/%d", e.task, e.epoch, r.Epochs)
			r.show(t)
		case res := <-p.results:
			received++
			delete(t.running, res.task)
			t.over[res.task] = true
			t.doneEpochs += r.Epochs // early stopping finishes a training's share
			if res.err != nil {
				fail(res.err)
				continue
			}
			if err := r.Sink.Save(res.r); err != nil {
				fail(err)
				continue
			}
			r.show(t)
		}
	}
	return firstErr
}

func (r *Runner) show(t *tally) {
	if r.Progress != nil {
		r.Progress.Update(t.label, t.epochs(), t.total)
	}
}

// PanicError is a panic recovered in a training: a bug in tracker, not a
// fault of the data or the command. A panic on a worker goroutine would
// end the process at once and lose the trainings other workers have not
// saved; as an error, Run keeps what finished and stops cleanly.
type PanicError struct {
	Task  experiments.Task
	Value any    // what the training panicked with
	Stack string // the panicking goroutine's stack from the frame that panicked
}

func (p *PanicError) Error() string { return fmt.Sprintf("%s: internal error: %v", p.Task, p.Value) }

// retrainSafely runs one training and returns a panic in it as a
// *PanicError.
func retrainSafely(ctx context.Context, retrain RetrainFunc, t experiments.Task, progress func(int)) (r experiments.Retrain, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = experiments.Retrain{}, &PanicError{Task: t, Value: p, Stack: bug.Stack()}
		}
	}()
	return retrain(ctx, t, progress)
}
