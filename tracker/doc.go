// Package tracker is the store: one bbolt file holding every ingested model
// version of every model series, and the importance experiments recorded
// against them.
//
// Besides storing, it owns the rules for reading across weeks, written
// once: select.go says which version a week argument names, which
// versions a run over several weeks uses and which record speaks for a
// week (the newest of its series); history.go is the one read model of a
// model's records across weeks (History, SeriesHistory, FeatureTable,
// WeekView) behind query, export, plot and report. It knows no method:
// callers pass the method order (experiments.OrderOf, MoreTelling).
//
// Errors carry the facts (file, model, week, version, hashes) and match
// the sentinels in store.go; they never name a command-line flag, which
// the CLI adds.
//
// Invariants:
//   - A version never changes once written; a replacing ingest adds a new
//     version for the same week.
//   - Each ingest (of one or several versions) is one write transaction, and
//     everything is validated before it opens, so a bad input changes nothing.
//   - Weight tensors are stored once each, keyed by the SHA-256 of their
//     little-endian float32 bytes, which is also their checksum.
//   - No byte slice from bbolt leaves a transaction uncopied, and no
//     *bolt.Tx leaves this package.
//
// docs/FORMAT.md describes the buckets, keys and encodings.
package tracker
