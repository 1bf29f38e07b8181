package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
)

// shardLine is the line of job's run in a --out file, without a training.
func shardLine(job *weekJob) dropretrain.Line {
	e := &job.exp
	return dropretrain.Line{Format: dropretrain.Format, Model: job.vi.Model, Week: job.vi.Week, Hash: job.vi.Hash,
		Kind: e.Kind, Params: e.Params, DataSHA256: e.DataSHA256, DataRows: e.DataRows, Seed: e.Seed,
		ToolVersion: Version()}
}

// shardFileHint adds to an error reading a --out file the command or flag
// that sorts it out.
func shardFileHint(err error) error {
	switch {
	case errors.Is(err, dropretrain.ErrFormat):
		return fmt.Errorf("%w (a file written by tracker run drop-retrain --out)", err)
	case errors.Is(err, dropretrain.ErrOtherRun):
		return fmt.Errorf("%w: give this run its own --out file", err)
	}
	return err
}

// dropSink keeps each finished training: in the store's parts bucket, or
// as a line of the --out file.
type dropSink interface {
	dropretrain.Sink
	Close() error
}

func newDropSink(open opener, out string, job *weekJob) (dropSink, error) {
	if out == "" {
		return storeSink{open, job}, nil
	}
	s, err := dropretrain.OpenFileSink(out, shardLine(job))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// storeSink keeps each finished training in the store's parts bucket. It
// opens the store for each, so shards on other processes can store theirs
// in between.
type storeSink struct {
	open opener
	job  *weekJob
}

func (s storeSink) Save(r experiments.Retrain) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	store, err := s.open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	_, err = store.SaveParts(s.job.vi.Model, s.job.vi.Version, &s.job.exp, map[string][]byte{r.Task.Key(): b})
	return err
}

func (storeSink) Close() error { return nil }
