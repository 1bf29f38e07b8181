package runs

import (
	"encoding/json"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
)

// shardLine is the line of the run in a shard file, without a training.
func (run *dropRun) shardLine(toolVersion string) dropretrain.Line {
	vi, e := &run.week.Version, &run.week.Record
	return dropretrain.Line{Format: dropretrain.Format, Model: vi.Model, Week: vi.Week, Hash: vi.Hash,
		Kind: e.Kind, Params: e.Params, DataSHA256: e.DataSHA256, DataRows: e.DataRows, Seed: e.Seed,
		ToolVersion: toolVersion}
}

// sink keeps each finished training: in the store's parts, or as a line
// of a shard file.
type sink interface {
	dropretrain.Sink
	Close() error
}

func (run *dropRun) newSink(env *Env, out string) (sink, error) {
	if out == "" {
		return storeSink{env.Open, run.week}, nil
	}
	s, err := dropretrain.OpenFileSink(out, run.shardLine(env.ToolVersion))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// storeSink keeps each finished training in the store's parts. It opens
// the store for each, so shards on other processes can store theirs in
// between.
type storeSink struct {
	open Opener
	week *Week
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
	_, err = store.SaveParts(s.week.Version.Model, s.week.Version.Version, &s.week.Record, map[string][]byte{r.Task.Key(): b})
	return err
}

func (storeSink) Close() error { return nil }
