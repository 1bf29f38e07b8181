// Package compare holds the verdicts tracker draws from its measurements,
// each written here once with the reason for it (docs/METHODS.md,
// "Verdicts", says the same for users):
//
//   - the learned week-to-week noise of a series ([LearnNoise]) and which
//     changes stand out against both it and the measurement's standard
//     error, with the false discovery rate controlled across the features
//     of a week ([JudgeChanges], [Movers]);
//   - which features' effects are negligible, clearly there, or cannot be
//     judged ([JudgeEffects]), which went to zero and in which week
//     ([GoneToZero]), and which are negligible week after week under every
//     method that can tell ([NegligibleAcross]);
//   - where a behavioural method disagrees with the first-layer weights
//     about a feature whose effect is judged ([Warnings]), and where one
//     feature's series went over a run of weeks ([Summarize]).
//
// Inputs are plain results ([experiments.Result]: kind, parameters, values,
// spreads, ranks, and the standard errors a method stores in Extra), so
// the package is pure: it reads no store and imports neither tracker nor
// the CLI; the caller turns its records into results and its weeks into
// labels, and passes the weeks before the ones it shows (Lookback) so the
// noise can be learned.
//
// Invariants:
//
//   - A rank of 0 means "not measured" (a drop-retrain of some features):
//     it never counts as a change, a fade, a disagreement or a verdict, and
//     a method that measured only some features makes no claim about the
//     others.
//   - A value whose uncertainty is unknown supports no claim that needs
//     it: no negligible or clearly-there verdict, no strong or weak effect.
//   - Output is deterministic: the same input gives the same judgements
//     in the same order; features are visited in index order. A week's
//     verdict reads only the Lookback weeks before it.
//   - A week without a record is an empty Result. A result has one value,
//     spread and rank per feature, as every stored record does.
package compare
