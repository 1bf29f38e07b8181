package runs

import (
	"fmt"
	"io"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

// Opener opens the store, read-only or not. A run calls it for each short
// step and closes the store after it, so no lock is held while a method
// runs.
type Opener func(readOnly bool) (*tracker.Store, error)

// Bar shows how far one long step is, such as a progress bar on a
// terminal: Update names what is being done and counts done of total
// units, Done clears it.
type Bar interface {
	Update(label string, done, total int)
	Done()
}

// Env is what a run gets from around it.
type Env struct {
	Open Opener
	// Now stamps each record's creation time.
	Now func() time.Time
	// ToolVersion is recorded with each record and shard file line.
	ToolVersion string
	// Notes receives, as they happen, the lines the user must see: a
	// record found stored, feature names adopted, how far a shard got.
	// Nil discards them.
	Notes io.Writer
	// Progress starts a bar for a step named label; nil shows none.
	Progress func(label string) Bar
}

func (env *Env) notef(format string, args ...any) {
	if env.Notes != nil {
		fmt.Fprintf(env.Notes, format, args...)
	}
}

func (env *Env) bar(label string) Bar {
	if env.Progress == nil {
		return noBar{}
	}
	return env.Progress(label)
}

type noBar struct{}

func (noBar) Update(string, int, int) {}
func (noBar) Done()                   {}

// Week is one version a run covers, with the run's record on it.
type Week struct {
	Version tracker.VersionInfo
	// Record is the run's experiment on the version: its identity, and
	// its results once computed or found stored.
	Record tracker.Experiment
	// Stored is the record the version already held with this identity,
	// whose results Record then holds; nil when the run computed them.
	Stored *tracker.Experiment
	// WeightSum is the version's weight-sum, the result to check the
	// run's against for disagreements.
	WeightSum experiments.Result

	snap  *snapshot.Snapshot  // read when the run has to compute
	rival *tracker.Experiment // the series' record with another identity (tracker.Rival)
}

// Outcome is what a run has to show: its kind, the weeks with their
// records, oldest first, and the series' feature names (nil when it has
// none). No weeks means nothing to show: a shard's part of a run, or a
// run whose record is not complete yet.
type Outcome struct {
	Kind  string
	Weeks []*Week
	Names []string
}
