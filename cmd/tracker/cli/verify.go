package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/tracker"
)

// errProblems makes verify exit 1 after it has printed what is wrong.
var errProblems = errors.New("the store has problems")

func newVerifyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Re-read every stored blob and check the store's invariants",
		Long: `Check the file's pages (both meta pages, every b+tree page, bbolt's own
consistency check), then re-read every version, weight blob and experiment,
checking checksums, content hashes, indexes and that every stored number can
be exported. Exit 1 if anything is wrong. Changes nothing.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerify(g)
		},
	}
}

func runVerify(g *globals) error {
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := store.Verify()
	if err != nil {
		return err
	}
	for _, p := range r.Problems {
		fmt.Fprintln(g.env.Out, "problem:", p)
	}
	fmt.Fprintf(g.env.Out, "checked %d models, %d versions, %d blobs, %d experiments: ", r.Models, r.Versions, r.Blobs, r.Experiments)
	if len(r.Problems) > 0 {
		fmt.Fprintf(g.env.Out, "%d problems\n", len(r.Problems))
		if r.Damaged {
			return &tracker.DamagedError{Path: store.Path(), Found: fmt.Sprintf("%d problems in its pages, listed above", len(r.Problems))}
		}
		return fmt.Errorf("%w (%d) in %s", errProblems, len(r.Problems), store.Path())
	}
	fmt.Fprintln(g.env.Out, "ok")
	return nil
}
