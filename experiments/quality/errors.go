package quality

import "errors"

// Errors Evaluate and Compare return; match them with errors.Is. The
// messages state the facts (the row, the value, what was expected) and
// leave the next step to the caller, which knows how the user gave the
// predictions and labels.
var (
	// ErrNoRows: there are no rows to measure.
	ErrNoRows = errors.New("no rows")
	// ErrShape: the predictions are not rows x classes for the labels
	// given, or there are fewer than two classes.
	ErrShape = errors.New("predictions and labels do not match")
	// ErrLabel: a row's label is not a class number 0..k-1.
	ErrLabel = errors.New("label out of range")
	// ErrProbability: a prediction is not a probability (not finite,
	// outside [0, 1], or a row that does not sum to 1).
	ErrProbability = errors.New("not a probability")
)
