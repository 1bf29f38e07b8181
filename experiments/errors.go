package experiments

import (
	"errors"
)

// Errors a caller may want to tell apart; match them with errors.Is.
// ErrFeature (features.go) is another. The messages state the facts (the
// data, the row, the class found and the classes the model has) and leave
// the next step to the caller, which knows how the user gives labels.
var (
	// ErrNoLabels: a method that scores predictions was given data
	// without labels.
	ErrNoLabels = errors.New("no labels")
	// ErrLabelClass: a row's label is a class number the model has no
	// output for.
	ErrLabelClass = errors.New("label class out of range")
)
