// Package dropretrain runs a drop-retrain job and reads and writes its
// files. The method itself (one training, combining trainings into a
// result) is experiments.RetrainOne and experiments.CombineRetrains; this
// package is the job around it:
//
//   - the runner (Runner): a pool of workers that trains the pending
//     tasks, hands each finished training to a Sink on the caller's
//     goroutine, reports epochs to a Progress, stops on the first error or
//     on cancellation, and returns a panic in a training as a *PanicError;
//   - planning (Plan, Shard): a run's trainings, which are done, which one
//     shard of N still has to run, and the shard index from the job engine
//     (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID);
//   - the shard file format tracker-drop-retrain/1 (Line, ReadFile,
//     FileSink): one JSON line per finished training, docs/FORMAT.md;
//   - the merge of shard files (Gather, Merge): one run, no training twice,
//     every training one of the run's, trainings already stored skipped;
//   - the outside-results CSV (ParseCSV, CSVRetrains): drop-retrain numbers
//     computed elsewhere, in Keras say.
//
// Invariants: nothing here opens the store or knows the command line.
// Callers store what the runner hands them and add the flag a user should
// reach for: errors carry the facts (file and line, task, counts) and,
// where a caller needs to tell them apart, match the sentinels in
// errors.go with errors.Is. Every parser of outside bytes here has a
// fuzzer; a line or row it accepts has its metric within ±MaxMetric, and a
// shard line is UTF-8 text.
package dropretrain
