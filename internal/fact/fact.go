// Package fact makes the errors tracker's packages return for a user to
// act on: the message states the facts in full (file, week, column,
// counts) and the error matches a sentinel with errors.Is, so the CLI can
// add the flag that fixes it and choose the exit code without the
// sentinel's own words in the message.
package fact

import "fmt"

type kindError struct {
	kind error
	msg  string
}

func (e kindError) Error() string        { return e.msg }
func (e kindError) Is(target error) bool { return target == e.kind }

// Errorf formats the facts as fmt.Sprintf does; the error matches kind.
// A %w verb is not unwrapped: state the cause's facts with %v.
func Errorf(kind error, format string, args ...any) error {
	return kindError{kind, fmt.Sprintf(format, args...)}
}

type wrapError struct {
	kind, err error
}

func (e wrapError) Error() string        { return e.err.Error() }
func (e wrapError) Is(target error) bool { return target == e.kind }
func (e wrapError) Unwrap() error        { return e.err }

// Wrap is err, which states the facts already, matching kind as well as
// what err matches.
func Wrap(kind, err error) error { return wrapError{kind, err} }
