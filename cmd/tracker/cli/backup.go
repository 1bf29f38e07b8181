package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/tracker"
)

// backupOptions are the arguments of tracker backup.
type backupOptions struct {
	file  string
	force bool
}

func newBackupCmd(g *globals) *cobra.Command {
	var opts backupOptions
	cmd := &cobra.Command{
		Use:   "backup FILE [--force]",
		Short: "Write a consistent copy of the store to FILE",
		Long: `Write a consistent copy of the store to FILE while other readers keep working
(a writer waits until it is done). The copy is written to a hidden file in
FILE's directory with mode 0600, synced, and only then named FILE, so FILE is
never half-written. The store's pages are checked first: a damaged store is
not copied. An existing FILE is kept unless --force.

To restore, copy the backup over the store and check it:
  cp FILE tracker.db && tracker verify`,
		Args: exactArgs(1, "the backup file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.file = args[0]
			return runBackup(g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.force, "force", false, "replace FILE if it exists")
	return cmd
}

func runBackup(g *globals, opts backupOptions) error {
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.Backup(opts.file, opts.force)
	if errors.Is(err, tracker.ErrExists) {
		return fmt.Errorf("%w: pass --force to replace it, or choose another file", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.env.Out, "backed up %s to %s (%s)\n", store.Path(), opts.file, safefile.Size(n))
	return nil
}
