// Package bug reports tracker's own bugs: a recovered panic is tracker's
// fault, never the user's files or command, and its stack is what a fix
// needs. Every place that recovers a panic (the command goroutine, the
// drop-retrain workers, the trainer's update goroutines) reports it with
// the same words and the same short stack.
package bug

import (
	"fmt"
	"runtime"
	"strings"
)

// Report follows every internal error.
const Report = "This is a bug in tracker, not in your files or command; please report it with the command you ran and this stack:"

// maxFrames is how much of the stack a report shows: enough to place the
// bug, short enough to paste.
const maxFrames = 12

// Stack is the panicking goroutine's stack from the frame that panicked,
// at most maxFrames frames. It must be called from the deferred function
// that recovers.
func Stack() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	var b strings.Builder
	panicking, n := false, 0
	for n < maxFrames {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			fmt.Fprintf(&b, "  %s\n      %s:%d\n", f.Function, f.File, f.Line)
			n++
		}
		if !more {
			break
		}
	}
	return b.String()
}
