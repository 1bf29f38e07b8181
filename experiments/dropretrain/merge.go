package dropretrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/tracker-ml/tracker/experiments"
)

// Merge is one run's trainings gathered from shard files, before they
// meet the store.
type Merge struct {
	// Run is the first line read, which speaks for the run: the version
	// (Model, Week, Hash) and the experiment's identity.
	Run  PlacedLine
	Opts experiments.DropRetrainOptions
	// Parts are the trainings keyed as experiments.Task.Key keys them, as
	// a store's parts are; SkipStored removes those already stored.
	Parts map[string][]byte
	lines []PlacedLine
	where map[experiments.Task]string // the line holding each training
}

// Gather checks that lines, read from one or more shard files, hold
// trainings of one run and none twice, and reads the run's options from
// its parameters. No lines at all is an error too.
func Gather(lines []PlacedLine) (*Merge, error) {
	if len(lines) == 0 {
		return nil, errors.New("the files hold no results: check that the shards ran")
	}
	m := &Merge{Run: lines[0], Parts: map[string][]byte{}, lines: lines, where: map[experiments.Task]string{}}
	first := &m.Run
	for _, l := range lines {
		if diff := SameRun(&first.Line, &l.Line); diff != "" {
			return nil, fmt.Errorf("%s is from another run than %s: %s; import each run's files on their own", l.Where, first.Where, diff)
		}
		if at, dup := m.where[l.Retrain.Task]; dup {
			return nil, fmt.Errorf("%s and %s both hold %s: give each shard's file once", at, l.Where, l.Retrain.Task)
		}
		m.where[l.Retrain.Task] = l.Where
		b, err := json.Marshal(l.Retrain)
		if err != nil {
			return nil, err
		}
		m.Parts[l.Retrain.Task.Key()] = b
	}
	opts, err := experiments.ParseDropRetrainParams(first.Params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", first.Where, err)
	}
	m.Opts = opts
	return m, nil
}

// Lines is how many lines were gathered.
func (m *Merge) Lines() int { return len(m.lines) }

// Check checks the run against its version, which has inputs features:
// the options must fit it and every training read must be one of the
// run's. It returns the run's plan with nothing done.
func (m *Merge) Check(inputs int) (*Plan, error) {
	if err := m.Opts.Check(inputs); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Run.Where, err)
	}
	plan := NewPlan(m.Opts.Tasks(inputs))
	for _, l := range m.lines {
		if !slices.Contains(plan.Tasks, l.Retrain.Task) {
			return nil, fmt.Errorf("%s holds %s, which is not one of this run's %d trainings: the file is damaged or was edited", l.Where, l.Retrain.Task, len(plan.Tasks))
		}
	}
	return plan, nil
}

// SkipStored drops from Parts the trainings that stored, the run's parts
// already in the store, holds with the same result: its duration aside,
// since the same work run twice takes different times. A different
// stored result is an error: the runs differ.
func (m *Merge) SkipStored(stored map[string][]byte) error {
	for key, b := range stored {
		var old experiments.Retrain
		newer, ok := m.Parts[key]
		if !ok || json.Unmarshal(b, &old) != nil {
			continue
		}
		var r experiments.Retrain
		if json.Unmarshal(newer, &r) == nil {
			r.TookMS, old.TookMS = 0, 0
			if sameRetrain(r, old) {
				delete(m.Parts, key)
				continue
			}
		}
		return fmt.Errorf("%s: the store already holds a different result for %s of this run: the runs differ (another tracker build?); import into a copy of the store to compare", m.where[r.Task], r.Task)
	}
	return nil
}

// sameRetrain compares two trainings' results field by field.
func sameRetrain(a, b experiments.Retrain) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// DecodeParts reads stored trainings, keyed as experiments.Task.Key keys
// them, back into a done set.
func DecodeParts(parts map[string][]byte) (map[experiments.Task]experiments.Retrain, error) {
	done := make(map[experiments.Task]experiments.Retrain, len(parts))
	for key, b := range parts {
		var r experiments.Retrain
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("stored training %s is damaged: %v", key, err)
		}
		done[r.Task] = r
	}
	return done, nil
}
