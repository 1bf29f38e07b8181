package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/tracker"
)

func newFeaturesCmd(g *globals) *cobra.Command {
	var model, format string
	cmd := &cobra.Command{
		Use:   "features [--model NAME] [--format table|csv|json]",
		Short: "List a model series' features by index and name",
		Long: `List a model series' input features: the 0-based index (as in numpy and the
Keras weight matrix) and the name. Names come from the header of the first
--data file run against the series, or from tracker features set.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			return runFeatures(g, model, format)
		},
	}
	cmd.Flags().StringVar(&model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().StringVar(&format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")

	var setModel string
	set := &cobra.Command{
		Use:   "set FILE [--model NAME]",
		Short: "Set a model series' feature names",
		Long: `Set a model series' feature names from FILE: either one name per line, or a
CSV whose first row names the columns (comma or semicolon separated; a
trailing empty name is ignored). There must be one name per model input, in
column order.`,
		Args: exactArgs(1, "one FILE"),
		RunE: func(_ *cobra.Command, args []string) error {
			return runFeaturesSet(g, setModel, args[0])
		},
	}
	set.Flags().StringVar(&setModel, "model", tracker.DefaultModel, "model series name")
	cmd.AddCommand(set)
	return cmd
}

type featureRow struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
}

func runFeatures(g *globals, model, formatFlag string) error {
	format, err := pickFormat(formatFlag, g.env.OutTTY, formatTable, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	latest, err := store.Latest(model)
	if err != nil {
		return err
	}
	names, err := store.Features(model)
	if err != nil {
		return err
	}
	if names == nil {
		fmt.Fprintf(g.env.ErrOut, "model %s has no feature names yet: run an experiment with a --data file that has a header, or tracker features set FILE\n", quote.Short(model))
	}
	rows := make([]featureRow, latest.Inputs)
	t := table.Table{Header: []string{"index", "name"}}
	for i := range rows {
		rows[i] = featureRow{Index: i, Name: experiments.FeatureName(names, i)}
		if format == formatTable {
			t.Add(i, dash(rows[i].Name))
		} else {
			t.Add(i, table.User(rows[i].Name))
		}
	}
	if format == formatJSON {
		return writeJSON(g.env.Out, rows)
	}
	return writeTable(g.env.Out, &t, format)
}

func runFeaturesSet(g *globals, model, path string) error {
	names, err := dataset.ReadNames(path)
	if err != nil {
		return err
	}
	store, err := g.open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.SetFeatures(model, names); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(g.env.Out, "model %s: %d feature names set\n", quote.Short(model), len(names))
	return nil
}
