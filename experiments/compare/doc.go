// Package compare holds the week-against-week judgements: which features
// moved between two weeks beyond noise ([Movers]), which went to zero after
// clearly mattering ([GoneToZero]), where a behavioural method disagrees
// with the first-layer weights ([Warnings]), and where one feature's series
// went over a run of weeks ([Summarize]). The query, report and (next) diff
// and check commands all ask these questions; the rules and their
// thresholds are written here once, each with the reason for it.
//
// Inputs are plain results ([experiments.Result]: kind, parameters, values,
// spreads, ranks), so the package is pure: it reads no store and imports
// neither tracker nor the CLI; the caller turns its records into results
// and its weeks into labels.
//
// Invariants:
//
//   - A rank of 0 means "not measured" (a drop-retrain of some features)
//     and never counts as a move, a fade or a disagreement.
//   - Output is deterministic: the same input gives the same judgements
//     in the same order; features are visited in index order.
//   - A week without a record is an empty Result. A result has one value,
//     spread and rank per feature, as every stored record does.
package compare
