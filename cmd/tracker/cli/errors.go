package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/internal/retrain"
	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/tracker"
)

// Exit codes, documented in the root command's help and README.md.
const (
	exitOK    = 0
	exitError = 1 // the command failed, or a bug in tracker (a recovered panic)
	exitUsage = 2 // the command line was wrong
	// exitCheck is a check that ran and did not pass (a gate), so
	// scripts can tell it from a failure to run the check.
	exitCheck = 3
)

// checkFailed is a check that ran and found the week out of bounds: its
// result is printed already; the process exits 3.
type checkFailed struct {
	week       string
	violations int
}

func (e checkFailed) Error() string {
	return fmt.Sprintf("week %s failed its check: %d bound(s) broken", e.week, e.violations)
}

// usageError marks a mistake in how the command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// A hint is what the user needs after an error of one kind and the
// packages below do not know: the flag, variable or command that fixes
// it. Those packages state the facts (file, week, version, hashes, time
// waited) and return errors matching a sentinel; the hint completes the
// sentence.
type hint struct {
	kind error  // a sentinel, matched with errors.Is
	code int    // exitError, or exitUsage for a kind that is a mistake on the command line
	text string // added once, after the words of the error that states the facts
}

// hints are every kind's hint, in one table. A kind whose next step
// depends on the command (ingest's --allow-nonfinite, backup's --force)
// keeps it beside that command's flags.
var hints = []hint{
	{tracker.ErrNoFile, exitError, ", or point --db or TRACKER_DB at your store"},
	{tracker.ErrIsDir, exitError, ": pass the store file with --db"},
	{tracker.ErrWrongFile, exitError, ": pass the right file with --db"},
	{tracker.ErrLocked, exitError, "; wait for it to finish, or raise --lock-timeout"},
	{tracker.ErrConflict, exitError, ": pass --replace to add it as a new version of that week, or --week for another week"},
	{tracker.ErrNoVersions, exitError, ": ingest one first"},
	{retrain.ErrReference, exitUsage, ""},
	{retrain.ErrNoReference, exitError, ": accept the one that is the new normal (tracker check accept --week W --reason TEXT), or compare with --against W"},
	{tracker.ErrBadWeek, exitUsage, ""},
	{tracker.ErrNoFeature, exitUsage, ""},
	{tracker.ErrNoRecord, exitUsage, ""},
	{experiments.ErrFeature, exitUsage, ""},
	{experiments.ErrNoLabels, exitError, ": name the label column with --label"},
	{experiments.ErrLabelClass, exitError, ": check --label, or list the class values in order with --classes"},
	{dataset.ErrNotNumber, exitError, " (--drop NAME ignores an id column, --label NAME reads the label)"},
	{dataset.ErrNoColumn, exitError, " (--label and --drop take a header name, exactly, or a 0-based index)"},
	{dataset.ErrLabel, exitError, " (--classes lists the label values in class order, class 0 first)"},
	{keras.ErrNoStructure, exitError, ": pass it with --structure FILE"},
	{runs.ErrColumns, exitError, ": pass the label column with --label and id columns with --drop"},
	{runs.ErrClasses, exitError, ": list the class values with --classes so both read the same"},
	{runs.ErrOptions, exitUsage, ""},
	{runs.ErrHeader, exitError, ": pass the label column with --label and extra columns such as ids with --drop, or replace the series' names with tracker features set FILE"},
	{runs.ErrReplace, exitError, ": pass --replace to record it and let it speak for the week, or --data-role NAME to keep it as its own series"},
	{runs.ErrRole, exitUsage, ""},
	{dropretrain.ErrFormat, exitError, " (a file written by tracker run drop-retrain --out)"},
	{dropretrain.ErrOtherRun, exitError, ": give this run its own --out file"},
	{dropretrain.ErrNoBaseline, exitError, ": add a row with feature baseline, or give --baseline"},
	{dropretrain.ErrTwoBaselines, exitError, ", and --baseline was given too: use one"},
	{keras.ErrAmbiguous, exitError, " (pass the weights file as PATH and its structure with --structure FILE)"},
}

// explain turns the error a command returned into what the user reads on
// stderr and the exit code: the message with its hints, then for a usage
// mistake a pointer to the help, and for a damaged store the steps that
// restore it. cmdPath is the command that ran; db is the store's path
// unless the error names another.
func explain(err error, cmdPath, db string) (stderr string, code int) {
	if cf := (checkFailed{}); errors.As(err, &cf) {
		return "tracker: " + cf.Error() + "\n", exitCheck
	}
	msg, usage := err.Error(), false
	for _, h := range hints {
		if errors.Is(err, h.kind) {
			msg = withHint(err, msg, h)
			usage = usage || h.code == exitUsage
		}
	}
	var ue usageError
	usage = usage || errors.As(err, &ue) || strings.HasPrefix(msg, "unknown command")
	var b strings.Builder
	fmt.Fprintf(&b, "tracker: %s\n", msg)
	if usage {
		b.WriteString("Run 'tracker --help' for usage.\n")
		return b.String(), exitUsage
	}
	if errors.Is(err, tracker.ErrDamaged) {
		if de := (*tracker.DamagedError)(nil); errors.As(err, &de) {
			db = de.Path
		}
		fmt.Fprintf(&b, "%s stopped: the store's file is damaged. Restore your latest 'tracker backup' copy over it, then check it:\n  cp BACKUP %s\n  tracker --db %s verify\n", cmdPath, shellQuote(db), shellQuote(db))
	}
	return b.String(), exitError
}

// withHint is msg, the text of err, with h's text right after the words
// of the error that states the facts of h's kind, so that a context a
// caller wrapped around it ("week W: ...", "... (3 of 9 stored)") stays
// around the whole sentence. A msg that has the hint already, from a
// caller that added it, is left as it is.
func withHint(err error, msg string, h hint) string {
	if h.text == "" || strings.Contains(msg, h.text) {
		return msg
	}
	if f := facts(err, h.kind); f != nil {
		words := f.Error()
		if i := strings.LastIndex(msg, words); i >= 0 {
			end := i + len(words)
			return msg[:end] + h.text + msg[end:]
		}
	}
	return msg + h.text
}

// facts is the innermost error in err's tree that matches kind and is not
// kind itself: the one whose message states the facts. It is nil when err
// does not match kind or is the bare sentinel.
func facts(err, kind error) error {
	if err == nil || err == kind || !errors.Is(err, kind) {
		return nil
	}
	var next []error
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		next = []error{u.Unwrap()}
	case interface{ Unwrap() []error }:
		next = u.Unwrap()
	}
	for _, e := range next {
		if f := facts(e, kind); f != nil {
			return f
		}
	}
	return err
}

// shellQuote quotes a path for a command line the user may paste.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+,:@%=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
