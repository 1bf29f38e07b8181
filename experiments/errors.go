package experiments

import (
	"errors"
	"fmt"
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

// kindError keeps its sentinel out of the message, which states the facts
// in full.
type kindError struct {
	kind error
	msg  string
}

func (e kindError) Error() string        { return e.msg }
func (e kindError) Is(target error) bool { return target == e.kind }

func kindErrorf(kind error, format string, args ...any) error {
	return kindError{kind, fmt.Sprintf(format, args...)}
}
