package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/tracker"
)

// dataOptions are the flags that say how to read a --data CSV.
type dataOptions struct {
	path    string
	label   string
	drop    []string
	classes []string
}

func (d *dataOptions) register(cmd *cobra.Command, labelHelp string) {
	f := cmd.Flags()
	f.StringVar(&d.path, "data", "", "CSV file of rows to run (comma or semicolon, with or without a header)")
	f.StringVar(&d.label, "label", "", labelHelp)
	f.StringSliceVar(&d.drop, "drop", nil, "columns to ignore, such as ids, by name or 0-based index (comma-separated)")
	f.StringSliceVar(&d.classes, "classes", nil, "label values in class order, class 0 first (default: numbers as they are, words sorted)")
}

// params records how the file was read, so a run with other columns is a
// different experiment.
func (d *dataOptions) params(p map[string]string) {
	if d.label != "" {
		p["label"] = d.label
	}
	if len(d.drop) > 0 {
		p["drop"] = strings.Join(d.drop, ",")
	}
	if len(d.classes) > 0 {
		p["classes"] = strings.Join(d.classes, ",")
	}
}

// load reads the data and checks it against a model's input count.
func (d *dataOptions) load(inputs int) (*dataset.Dataset, error) {
	if d.path == "" {
		return nil, usagef("--data FILE is required")
	}
	data, err := dataset.Read(d.path, dataset.Options{Label: d.label, Drop: d.drop, Classes: d.classes})
	if err != nil {
		return nil, err
	}
	if err := d.checkColumns(data, inputs, "the model"); err != nil {
		return nil, err
	}
	return data, nil
}

// checkColumns says, with both counts and the columns seen, when the data's
// feature columns do not match a model's inputs; model names the version.
func (d *dataOptions) checkColumns(data *dataset.Dataset, inputs int, model string) error {
	if data.Cols == inputs {
		return nil
	}
	seen := "columns without a header"
	if data.Names != nil {
		seen = "columns " + strings.Join(data.Names, ", ")
	}
	return fmt.Errorf("%s: %d feature columns, but %s has %d inputs (%s): pass the label column with --label and id columns with --drop",
		d.path, data.Cols, model, inputs, seen)
}

// adoptFeatureNames stores the data header's names as the series' feature
// names when it has none yet, and warns when they differ from the stored
// ones: a reordered file would silently measure the wrong features.
func adoptFeatureNames(g *globals, store *tracker.Store, model, path string, data *dataset.Dataset) ([]string, error) {
	names, err := store.Features(model)
	if err != nil {
		return nil, err
	}
	if data.Names == nil {
		return names, nil
	}
	if names == nil {
		if err := store.SetFeatures(model, data.Names); err != nil {
			fmt.Fprintf(g.env.ErrOut, "warning: the header's feature names were not stored: %v\n", err)
			return nil, nil
		}
		fmt.Fprintf(g.env.ErrOut, "stored the %d feature names from the header of %s for model %q (tracker features lists them)\n", len(data.Names), path, model)
		return data.Names, nil
	}
	if !slices.Equal(names, data.Names) {
		for i := range names {
			if i < len(data.Names) && names[i] != data.Names[i] {
				fmt.Fprintf(g.env.ErrOut, "warning: column %d of the data is %q but feature %d of model %q is %q: check the column order (tracker features set FILE replaces the names)\n", i, data.Names[i], i, model, names[i])
				break
			}
		}
	}
	return names, nil
}
