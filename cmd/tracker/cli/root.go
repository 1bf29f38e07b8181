// Package cli implements tracker's commands: one file per command, each a
// constructor returning a *cobra.Command and a run function that tests call
// without cobra.
package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/tracker"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError marks a mistake in how the command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// Version is tracker's version, recorded with every experiment.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// globals are the flags every command shares.
type globals struct {
	env         Env
	db          string
	lockTimeout time.Duration
}

// dbPath is --db, else $TRACKER_DB, else tracker.db in the working directory.
func (g *globals) dbPath() string {
	if g.db != "" {
		return g.db
	}
	if p := g.env.Getenv("TRACKER_DB"); p != "" {
		return p
	}
	return "tracker.db"
}

// open opens the store; read-only commands share it with other readers.
func (g *globals) open(readOnly bool) (*tracker.Store, error) {
	return tracker.Open(g.dbPath(), tracker.Options{ReadOnly: readOnly, LockTimeout: g.lockTimeout, Now: g.env.Now})
}

// NewRoot builds the command tree.
func NewRoot(env Env) *cobra.Command {
	g := &globals{env: env}
	root := &cobra.Command{
		Use:   "tracker",
		Short: "Track what a weekly-retrained Keras model does with its input features",
		Long: `tracker stores every weekly version of a Keras model in one embedded database
(tracker.db) and records feature-importance experiments against each version,
so you can see which features matter and notice when a retrain changed radically.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version(),
	}
	root.SetIn(env.In)
	root.SetOut(env.Out)
	root.SetErr(env.ErrOut)
	root.PersistentFlags().StringVar(&g.db, "db", "", "store file (default $TRACKER_DB, else tracker.db)")
	root.PersistentFlags().DurationVar(&g.lockTimeout, "lock-timeout", 10*time.Second, "how long to wait while another tracker process writes to the store")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newIngestCmd(g),
		newListCmd(g),
		newShowCmd(g),
		newExportModelCmd(g),
		newVerifyCmd(g),
		newMigrateCmd(g),
		newDemoCmd(g),
		newPredictCmd(g),
		newRunCmd(g),
		newFeaturesCmd(g),
		newImportCmd(g),
		newQueryCmd(g),
		newExportCmd(g),
		newPlotCmd(g),
		newReportCmd(g),
	)
	return root
}

// Main runs tracker with args and returns the process exit code. Cancelling
// ctx (Ctrl-C) stops long commands between units of work, storing nothing
// half-done.
func Main(ctx context.Context, args []string, env Env) int {
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(env.ErrOut, "tracker: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintln(env.ErrOut, "Run 'tracker --help' for usage.")
		return exitUsage
	}
	return exitError
}

// exactArgs and friends are cobra's argument checks, marked as usage errors.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s, got %d arguments", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("%s needs %s", cmd.CommandPath(), what)
		}
		return nil
	}
}

// maxArgs refuses more than n arguments.
func maxArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("%s takes %s, got %d arguments", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}
