// Package experiments measures how much a model leans on each input feature.
//
// Every method is a pure function of a snapshot (and, for the behavioural
// methods, data): it returns one value per input feature, with a spread and
// a rank, and stores nothing. The caller records results against a version.
//
// kinds.go holds what the kinds mean across commands: their display order,
// which is most telling when one must speak for a week, and a record's
// standard error; se.go how each sampling method computes it (stored in
// Result.Extra under SEKey, with its degrees of freedom under SEDFKey).
// features.go resolves a feature by index or name.
// Sub-packages: nn (the engine and trainer, cgo over OpenBLAS), dataset
// (reading data and feature-name files), dropretrain (the drop-retrain
// job: runner, shard files, outside results) and compare (week-against-week
// judgement). None of them imports the store.
package experiments
