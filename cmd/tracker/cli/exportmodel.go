package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/tracker"
)

type exportModelOptions struct {
	model string
	out   string
	week  string
}

func newExportModelCmd(g *globals) *cobra.Command {
	opts := &exportModelOptions{}
	cmd := &cobra.Command{
		Use:   "export-model WEEK [--model NAME] --out DIR",
		Short: "Write a stored version back out as Keras files",
		Long: `Write the latest version of WEEK as DIR/<model>_structure.json and
DIR/<model>_weights.h5 in the Keras 2.2.4 save_weights and to_json layout,
every weight bit-identical to what was ingested. Both files say
keras_version 2.2.4 and backend tensorflow, the layout they have; the
source's Keras version stays in tracker show. Keras, h5py and tracker
ingest read them.

The export keeps the form that was read (Sequential, or a functional
chain) and every layer setting, BatchNormalization's momentum included, and
has the same content hash as the stored version. Versions stored before
tracker kept the form and momentum export as Sequential with Keras's
default momentum 0.99.`,
		Args: exactArgs(1, "one WEEK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.week = args[0]
			return runExportModel(g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().StringVar(&opts.out, "out", "", "directory to write into (created if missing)")
	return cmd
}

func runExportModel(g *globals, opts *exportModelOptions) error {
	if opts.out == "" {
		return usagef("export-model needs --out DIR")
	}
	vi, snap, err := readVersion(g, opts.model, opts.week)
	if err != nil {
		return err
	}
	s, w, err := keras.Export(snap, opts.out, vi.Model)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.env.Out, s)
	fmt.Fprintln(g.env.Out, w)
	return nil
}
