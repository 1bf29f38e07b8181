// Package quality measures how good a classifier's predictions are on
// labelled rows, and how two models' predictions on the same rows differ,
// each with the standard error that its own sampling of rows implies.
//
// [Evaluate] gives one week's [Metrics]: rows, base rate, accuracy, log
// loss, AUC, Brier score, expected calibration error and predicted-positive
// rate. [Compare] gives the [Churn] between two models: prediction churn,
// the mean change in probability and the negative flip rate. The
// definitions, formulas, references and edge cases are written once in
// docs/METHODS.md, "Model quality", and the doc comments here say the
// same.
//
// Why standard errors: tracker marks a week's change in a metric as
// significant only when it stands out against both the series' learned
// week-to-week noise (experiments/compare) and the metric's sampling
// error, which is what this package adds. Every standard error here is
// the error of the metric as an estimate of the same model's metric on the
// distribution the rows are drawn from; all are computed from n rows with
// n - 1 degrees of freedom or more, so a caller may judge them with the
// normal.
//
// Invariants:
//
//   - The package is pure: it reads slices and returns values, imports no
//     store, and draws no random numbers.
//   - Predictions are row-major n x k probabilities, k >= 2 (a single
//     sigmoid output p is passed as the two columns 1-p, p); labels are
//     class numbers 0..k-1. The predicted class is the first of equal
//     largest probabilities, as numpy's argmax and experiments.PredictedClass
//     choose it.
//   - A value or standard error is NaN only where it is not defined (one
//     class present, a two-class metric of a many-class model, one row),
//     and then Metrics.Reasons or Churn.Reasons says why. Bad input is an
//     error matching one of the sentinels in errors.go, never a NaN or a
//     panic.
package quality
