// Package runs is a recorded run: plan it against the store, carry it out
// with a method, record it. The commands that measure importance (tracker
// run perturb, permutation, gradient and drop-retrain) and those that bring
// results computed elsewhere (tracker import) turn their flags into a spec
// and call one function here; they only print what it returns.
//
// What lives here:
//
//   - Measure (method.go): a behavioural method over one or more weeks.
//     Which versions the run covers (the current version of each week,
//     tracker's selection rule), the record's identity per version, the
//     record found stored with that identity, the version's weight-sum to
//     check the result against, the method run on each version, the record
//     stored, and the data header's feature names adopted for a series
//     that has none;
//   - DropRetrain (drop.go, sink.go): the store side of a drop-retrain
//     job: the version, the feature names and the options it resolves, the
//     stored record or the trainings already done (in the store's parts or
//     a shard file), the trainings run with experiments/dropretrain's
//     runner, each kept the moment it finishes, and the run combined and
//     recorded once it is complete;
//   - ImportShards and ImportCSV (import.go): the shard files merged into
//     the store's parts, and outside results recorded as a drop-retrain;
//   - the data a run reads (data.go): the reading settings and the data
//     role that belong to a record's identity, the columns matched to the
//     series' feature names (MatchColumns), the column count check, and
//     the GC settings of a phase that leaves much garbage;
//   - no silent replacement (rival.go): the check, at planning and again
//     in the write, that a record does not take a week from another of
//     its series (tracker.Rival) unless the run was asked to replace it,
//     and recordWeek, through which every record a run makes is stored.
//
// Identity: a record is identified by its kind, its parameters (the
// method's own, the data-reading settings label, drop and classes, and
// the data role when it is not DefaultRole), the data's SHA-256 and row
// count, and the seed (tracker.Experiment.ID). A run whose identity a
// version already holds computes nothing for it and returns the stored
// record; other settings or another role is another series. Within a
// series, other data or another seed is another record that would speak
// for the week in place of the stored one: it is refused (ErrReplace)
// unless the spec says Replace, and then the old record is kept. Everything
// that makes a run differ must go into the identity here, once.
//
// Columns: where a data file has a header and the series has feature
// names, the columns are matched by name, reordered in place to the
// series' order, and refused when a name is missing or another is there
// (ErrHeader); without a header they are taken by position and a note
// says so once. A run never measures a column as another feature.
//
// Locking: a run holds the store only for short steps, each opened with
// Env.Open and closed again: planning reads it read-only; a method runs
// with the store closed, so ingests and other runs go on meanwhile; each
// week's record, each finished training and the final drop-retrain record
// are written in a store opened for just that write. An import reads and
// writes in one read-write step (a shard import that completes its run
// records it in one more).
//
// Nothing here knows the command line: no flag names, no printing of
// results. Notes the user must see go to Env.Notes as they happen; errors
// state the facts and, where the command adds a flag or an exit code,
// match a sentinel in errors.go.
package runs
