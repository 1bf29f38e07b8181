package cli

import (
	"io"
	"os"
	"time"
)

// Env is everything a command reads from the outside world, so tests can
// run commands on buffers with a fixed clock and environment.
type Env struct {
	In     io.Reader
	Out    io.Writer // results
	ErrOut io.Writer // progress, warnings and errors
	// OutTTY says whether Out is a terminal: tables there, CSV when piped.
	OutTTY bool
	// ErrTTY says whether ErrOut is a terminal: progress is shown only there.
	ErrTTY bool
	Getenv func(string) string
	Now    func() time.Time
}

// System is the Env of a real process.
func System() Env {
	return Env{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: isTerminal(os.Stdout), ErrTTY: isTerminal(os.Stderr),
		Getenv: os.Getenv, Now: time.Now,
	}
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
