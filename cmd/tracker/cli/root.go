package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/internal/bug"
	"github.com/tracker-ml/tracker/tracker"
)

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
	root, _ := newRoot(env)
	return root
}

func newRoot(env Env) (*cobra.Command, *globals) {
	g := &globals{env: env}
	root := &cobra.Command{
		Use:   "tracker",
		Short: "Track what a weekly-retrained Keras model does with its input features",
		Long: `tracker stores every weekly version of a Keras model in one embedded database
(tracker.db) and records feature-importance experiments against each version,
so you can see which features matter and notice when a retrain changed radically.

Back the store up with 'tracker backup FILE'; 'tracker verify' checks it.

Exit codes: 0 ok; 1 the command failed (or tracker hit a bug: it says so);
2 the command line was wrong; 3 tracker check ran and the week did not pass.`,
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
		newIngestDataCmd(g),
		newListCmd(g),
		newShowCmd(g),
		newExportModelCmd(g),
		newVerifyCmd(g),
		newBackupCmd(g),
		newMigrateCmd(g),
		newDemoCmd(g),
		newPredictCmd(g),
		newRunCmd(g),
		newFeaturesCmd(g),
		newImportCmd(g),
		newQueryCmd(g),
		newCheckCmd(g),
		newDiffCmd(g),
		newDriftCmd(g),
		newExportCmd(g),
		newPlotCmd(g),
		newReportCmd(g),
	)
	return root, g
}

// Main runs tracker with args and returns the process exit code. Cancelling
// ctx (Ctrl-C) stops long commands between units of work, storing nothing
// half-done.
//
// A panic on this goroutine is a bug in tracker: Main reports it as an
// internal error with its value and a short stack, and exits 1, not 2 (a
// usage error) as Go's own crash would. Panics on goroutines a command
// starts must be recovered there and returned as errors. A fatal runtime
// error (out of memory, a concurrent map write) cannot be recovered at all.
func Main(ctx context.Context, args []string, env Env) int {
	root, g := newRoot(env)
	return execute(ctx, root, g, args, env)
}

// execute is Main on a command tree tests can add to.
func execute(ctx context.Context, root *cobra.Command, g *globals, args []string, env Env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(env.ErrOut, "tracker: internal error: %v\n%s\n%s", r, bug.Report, bug.Stack())
			code = exitError
		}
	}()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	cmdPath := root.Name()
	if cmd != nil {
		cmdPath = cmd.CommandPath()
	}
	stderr, code := explain(err, cmdPath, g.dbPath())
	fmt.Fprint(env.ErrOut, stderr)
	return code
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
