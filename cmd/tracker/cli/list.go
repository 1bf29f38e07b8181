package cli

import (
	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

type listOptions struct {
	model  string
	format string
}

func newListCmd(g *globals) *cobra.Command {
	opts := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list [--model NAME] [--format table|csv|json]",
		Short: "List stored versions, oldest week first",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runList(g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.model, "model", "", "only this model series (default: all)")
	cmd.Flags().StringVar(&opts.format, "format", "", "table, csv or json (default: table on a terminal, csv when piped)")
	return cmd
}

// listRow is one version as list prints it; the JSON keys are the CSV header.
type listRow struct {
	Model        string `json:"model"`
	Week         string `json:"week"`
	Version      uint64 `json:"version"`
	Hash         string `json:"hash"`
	KerasVersion string `json:"keras_version"`
	Inputs       int    `json:"inputs"`
	Outputs      int    `json:"outputs"`
	Layers       int    `json:"layers"`
	Params       int    `json:"params"`
	Experiments  int    `json:"experiments"`
}

func runList(g *globals, opts *listOptions) error {
	format, err := pickFormat(opts.format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	versions, err := store.Versions(opts.model)
	if err != nil {
		return err
	}
	rows := make([]listRow, 0, len(versions))
	for _, v := range versions {
		rows = append(rows, listRow{
			Model: v.Model, Week: v.Week, Version: v.Version, Hash: v.Hash[:12], KerasVersion: v.Meta.KerasVersion,
			Inputs: v.Inputs, Outputs: v.Outputs, Layers: len(v.Layers), Params: v.Params, Experiments: v.Experiments,
		})
	}
	if format == formatJSON {
		return writeJSON(g.env.Out, rows)
	}
	t := table.Table{Header: []string{"model", "week", "version", "hash", "keras_version", "inputs", "outputs", "layers", "params", "experiments"}}
	for _, r := range rows {
		t.Add(table.User(r.Model), r.Week, r.Version, r.Hash, table.User(r.KerasVersion), r.Inputs, r.Outputs, r.Layers, r.Params, r.Experiments)
	}
	return writeTable(g.env.Out, &t, format)
}

// readVersion loads a week's version with its weights from a store opened
// read-only for just that.
func readVersion(g *globals, model, week string) (tracker.VersionInfo, *snapshot.Snapshot, error) {
	store, err := g.open(true)
	if err != nil {
		return tracker.VersionInfo{}, nil, err
	}
	defer store.Close()
	vi, err := store.VersionAt(model, week)
	if err != nil {
		return vi, nil, err
	}
	snap, err := store.Snapshot(vi.Model, vi.Version)
	return vi, snap, err
}
