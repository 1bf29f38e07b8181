package cli

import (
	"io"
	"slices"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/runs"
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

// spec is the data read with the flags' settings, in role, as a run
// takes it.
func (d *dataOptions) spec(rows *dataset.Dataset, role string) runs.Data {
	return runs.Data{Path: d.path, Rows: rows, Label: d.label, Drop: d.drop, Classes: d.classes, Role: role}
}

// load reads the data for a model with inputs features named names (nil
// when the series has none), matching the columns to the names as a run
// does (notes says once when it takes them by position), and checks them
// against the input count; model names the series for messages.
func (d *dataOptions) load(notes io.Writer, model string, names []string, inputs int) (*dataset.Dataset, error) {
	if d.path == "" {
		return nil, usagef("--data FILE is required")
	}
	data, err := d.read(d.path)
	if err != nil {
		return nil, err
	}
	if err := runs.MatchColumns(notes, d.path, data, names, "model "+quote.Short(model)); err != nil {
		return nil, runsError(err)
	}
	if err := runs.CheckColumns(d.path, data, inputs, "the model"); err != nil {
		return nil, runsError(err)
	}
	return data, nil
}

// read reads one data file with the flags' columns. The dataset package
// states the facts of a refusal (file, row, line, column); errors.go adds
// the flag that fixes it.
func (d *dataOptions) read(path string) (*dataset.Dataset, error) {
	// The flags' text is stored with the run's parameters: JSON would turn
	// bytes that are not UTF-8 into U+FFFD.
	for _, v := range slices.Concat([]string{d.label}, d.drop, d.classes) {
		if !utf8.ValidString(v) {
			return nil, usagef("%s in --label, --drop or --classes is not UTF-8 text", quote.Short(v))
		}
	}
	return runs.ReadData(path, dataset.Options{Label: d.label, Drop: d.drop, Classes: d.classes})
}
