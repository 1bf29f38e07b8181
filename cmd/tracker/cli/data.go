package cli

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/internal/quote"
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
	data, err := d.read(d.path)
	if err != nil {
		return nil, err
	}
	if err := d.checkColumns(data, inputs, "the model"); err != nil {
		return nil, err
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
	return readDataset(path, dataset.Options{Label: d.label, Drop: d.drop, Classes: d.classes})
}

// readGCPercent is the highest GC percent while a data file is parsed.
// Parsing leaves a string per record as garbage, and at main's 400 the
// heap grew to five times the table before a collection: a 42 MB,
// 50,000 x 82 file peaked at 109 MB RSS and a million-column header at
// 215 MB, where 100 holds them at 71 MB and 158 MB for a few more
// collections of a few milliseconds each.
const readGCPercent = 100

// readDataset is dataset.Read with the GC percent at most readGCPercent.
func readDataset(path string, opts dataset.Options) (*dataset.Dataset, error) {
	defer capGCPercent(readGCPercent)()
	return dataset.Read(path, opts)
}

// capGCPercent lowers the GC percent to at most limit for a phase that
// leaves much garbage (main sets 400 for short commands), and returns what
// restores it. A lower setting, GOGC=off (-1) included, is left as it is.
func capGCPercent(limit int) (restore func()) {
	prev := debug.SetGCPercent(limit)
	if prev < limit {
		debug.SetGCPercent(prev)
	}
	return func() { debug.SetGCPercent(prev) }
}

// checkColumns says, with both counts and the columns seen, when the data's
// feature columns do not match a model's inputs; model names the version.
func (d *dataOptions) checkColumns(data *dataset.Dataset, inputs int, model string) error {
	if data.Cols == inputs {
		return nil
	}
	seen := "columns without a header"
	if data.Names != nil {
		seen = "columns " + quote.List(data.Names)
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
		fmt.Fprintf(g.env.ErrOut, "stored the %d feature names from the header of %s for model %s (tracker features lists them)\n", len(data.Names), path, quote.Short(model))
		return data.Names, nil
	}
	if !slices.Equal(names, data.Names) {
		for i := range names {
			if i < len(data.Names) && names[i] != data.Names[i] {
				fmt.Fprintf(g.env.ErrOut, "warning: column %d of the data is %s but feature %d of model %s is %s: check the column order (tracker features set FILE replaces the names)\n", i, quote.Short(data.Names[i]), i, quote.Short(model), quote.Short(names[i]))
				break
			}
		}
	}
	return names, nil
}
