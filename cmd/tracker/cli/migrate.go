package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/tracker"
)

type migrateOptions struct {
	dryRun bool
}

func newMigrateCmd(g *globals) *cobra.Command {
	opts := &migrateOptions{}
	cmd := &cobra.Command{
		Use:   "migrate [--dry-run]",
		Short: "List and apply pending schema migrations",
		Long:  "Bring a store written by an older tracker up to this tracker's schema, one transaction per step. Back up the file first.",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMigrate(g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "only list the pending steps")
	return cmd
}

func runMigrate(g *globals, opts *migrateOptions) error {
	store, err := tracker.Open(g.dbPath(), tracker.Options{
		ReadOnly: opts.dryRun, AllowOldSchema: true, LockTimeout: g.lockTimeout, Now: g.env.Now,
	})
	if err != nil {
		return err
	}
	defer store.Close()
	pending := store.Pending()
	if len(pending) == 0 {
		fmt.Fprintf(g.env.Out, "%s is at schema %d, the latest: nothing to do\n", store.Path(), store.Schema())
		return nil
	}
	for _, m := range pending {
		fmt.Fprintf(g.env.Out, "pending: %d -> %d %s: %s\n", m.From, m.To, m.Name, m.Description)
	}
	if opts.dryRun {
		return nil
	}
	done, err := store.Migrate()
	for _, m := range done {
		fmt.Fprintf(g.env.Out, "applied: %d -> %d %s\n", m.From, m.To, m.Name)
	}
	return err
}
