package cli

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
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
	latest, err := versionFor(store, model, "latest")
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
	t := table{header: []string{"index", "name"}}
	for i := range rows {
		rows[i] = featureRow{Index: i, Name: featureName(names, i)}
		if format == formatTable {
			t.add(i, dash(rows[i].Name))
		} else {
			t.add(i, userText(rows[i].Name))
		}
	}
	if format == formatJSON {
		return writeJSON(g.env.Out, rows)
	}
	return t.write(g.env.Out, format)
}

func runFeaturesSet(g *globals, model, path string) error {
	names, err := readFeatureNames(path)
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

// maxFeatureNamesFile is the largest feature-names file read: a million
// names of 60 characters fit, and a wrong path (a dataset, /dev/zero) is
// refused instead of read into memory.
const maxFeatureNamesFile = 64 << 20

// readFeatureNames reads one name per line, or a CSV header: a first line
// with commas or semicolons is a header, and only it is read. Names must
// be UTF-8: the store keeps them as JSON, which would turn other bytes
// into U+FFFD.
func readFeatureNames(path string) ([]string, error) {
	b, err := safefile.ReadFile(path, maxFeatureNamesFile)
	if err != nil {
		return nil, fmt.Errorf("read feature names: %w", err)
	}
	text := strings.TrimPrefix(string(b), "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	first, _, _ := strings.Cut(text, "\n")
	if strings.ContainsAny(first, ",;") {
		r := csv.NewReader(strings.NewReader(first))
		if strings.Count(first, ";") > strings.Count(first, ",") {
			r.Comma = ';'
		}
		header, err := r.Read()
		if err != nil {
			return nil, fmt.Errorf("%s: the first row is not a CSV header: %w", path, err)
		}
		if n := len(header); n > 1 && strings.TrimSpace(header[n-1]) == "" {
			header = header[:n-1]
		}
		names := make([]string, len(header))
		for i, h := range header {
			if !utf8.ValidString(h) {
				return nil, fmt.Errorf("%s: line 1, column %d is %s, which is not UTF-8 text: save the file as UTF-8", path, i, quote.Short(h))
			}
			names[i] = strings.TrimSpace(h)
		}
		return names, nil
	}
	var names []string
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		n++
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s: line %d is %s, which is not UTF-8 text: save the file as UTF-8", path, n, quote.Short(line))
		}
		if name := strings.TrimSpace(line); name != "" {
			names = append(names, name)
		}
	}
	return names, nil
}

// featureName is feature i's name, or "" when the series has none.
func featureName(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return ""
}

// featureIndex resolves a feature given by 0-based index or by name. With
// inputs < 0 (a query that reads no version to learn the count) only
// negative indices are refused.
func featureIndex(spec string, names []string, inputs int) (int, error) {
	if i, err := strconv.Atoi(spec); err == nil {
		if i < 0 && inputs < 0 {
			return 0, usagef("feature %d: features count from 0", i)
		}
		if i < 0 || (inputs >= 0 && i >= inputs) {
			return 0, usagef("feature %d: the model has features 0 to %d", i, inputs-1)
		}
		return i, nil
	}
	for i, n := range names {
		if n == spec {
			return i, nil
		}
	}
	if names == nil {
		return 0, usagef("feature %s: this series has no feature names; use a 0-based index, or set names with tracker features set FILE", quote.Short(spec))
	}
	return 0, usagef("feature %s: no feature has that name (tracker features lists them)", quote.Short(spec))
}
