package dropretrain

import (
	"errors"
)

// Sentinels for the errors a caller completes with the flag or command a
// user should reach for. Each error's message states the facts in full
// without the sentinel's words; match them with errors.Is.
var (
	// ErrNoShardIndex: a job asked for its shard index from the job
	// engine, and none of ShardIndexVars is set.
	ErrNoShardIndex = errors.New("JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are unset")
	// ErrFormat: a line of a shard file is JSON but not of Format.
	ErrFormat = errors.New("another format")
	// ErrOtherRun: a shard file holds another run than the one at hand.
	ErrOtherRun = errors.New("results of another run")
	// ErrNoBaseline: an outside-results file has no baseline row, and no
	// baseline metric was given apart from it.
	ErrNoBaseline = errors.New("no baseline")
	// ErrTwoBaselines: an outside-results file has a baseline row, and a
	// baseline metric was given apart from it too.
	ErrTwoBaselines = errors.New("two baselines")
)
