package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/tracker"
)

type exportFlags struct {
	model, format, out string
	kinds              []string
	weeks              int
	wide               bool
}

func newExportCmd(g *globals) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "export [--model NAME] [--experiment KIND,...] [--weeks N] [--wide] [--format csv|json] [--out FILE]",
		Short: "Every recorded importance value, for spreadsheets",
		Long: `Write every experiment's value per feature and week, in long format: one row
per model, week, version, experiment, data role, parameter hash, feature index,
feature name, value, spread and rank (an empty value: not measured). The
parameter hash tells apart records of one kind with other settings. --wide
pivots weeks into columns for one experiment: one row per feature.

CSV is UTF-8 with a header row and ISO dates. Text that a spreadsheet
would run as a formula (a name beginning with =, +, -, @) gets a leading
apostrophe. --out writes the file whole or not at all.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.format == "" {
				f.format = formatCSV
			}
			if f.format != formatCSV && f.format != formatJSON {
				return usagef("--format %q: choose csv or json", f.format)
			}
			if f.weeks < 0 {
				return usagef("--weeks %d: give a positive number (0 = all)", f.weeks)
			}
			return export(g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "only this model series (default: all)")
	fl.StringSliceVar(&f.kinds, "experiment", nil, "only these experiment kinds or params_hash values (comma-separated)")
	fl.IntVar(&f.weeks, "weeks", 0, "the newest N weeks of each series (0 = all)")
	fl.BoolVar(&f.wide, "wide", false, "one row per feature, one column per week, for one experiment")
	fl.StringVar(&f.format, "format", "csv", "csv or json")
	fl.StringVar(&f.out, "out", "", "write to this file instead of standard output")
	return cmd
}

// exportRow is one feature of one experiment of one version.
type exportRow struct {
	Model      string   `json:"model"`
	Week       string   `json:"week"`
	Version    uint64   `json:"version"`
	Experiment string   `json:"experiment"`
	DataRole   string   `json:"data_role"`
	ParamsHash string   `json:"params_hash"`
	Index      int      `json:"feature_index"`
	Name       string   `json:"feature_name"`
	Value      *float64 `json:"value"`
	Spread     *float64 `json:"spread"`
	Rank       *int     `json:"rank"`
}

// paramsHash is 8 hex digits of a method's kind and parameters: the same
// for every week a method ran with the same settings.
func paramsHash(kind string, params map[string]string) string {
	sum := sha256.Sum256([]byte(tracker.SeriesKey(kind, params)))
	return hex.EncodeToString(sum[:4])
}

func export(g *globals, f *exportFlags) error {
	rows, err := exportRows(g, f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch {
	case f.wide:
		err = writeWide(&buf, rows, f)
	case f.format == formatJSON:
		if rows == nil {
			rows = []exportRow{}
		}
		err = writeJSON(&buf, rows)
	default:
		t := table.Table{Header: []string{"model", "week", "version", "experiment", "data_role", "params_hash", "feature_index", "feature_name", "value", "spread", "rank"}}
		for _, r := range rows {
			t.Add(table.User(r.Model), r.Week, r.Version, r.Experiment, table.User(r.DataRole), r.ParamsHash, r.Index, table.User(r.Name), optFloat(r.Value), optFloat(r.Spread), optInt(r.Rank, false))
		}
		err = t.WriteCSV(&buf)
	}
	if err != nil {
		return err
	}
	if f.out == "" {
		_, err := g.env.Out.Write(buf.Bytes())
		return err
	}
	return safefile.WriteFile(f.out, buf.Bytes())
}

func optFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return num32(*v)
}

func exportRows(g *globals, f *exportFlags) ([]exportRow, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	models := []string{f.model}
	if f.model == "" {
		if models, err = store.Models(); err != nil {
			return nil, err
		}
	}
	var rows []exportRow
	for _, model := range models {
		h, err := store.History(model, f.weeks)
		if errors.Is(err, tracker.ErrNoVersions) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for w, wv := range h.Weeks {
			exps := h.Records[w]
			if f.wide {
				// A week's column holds the record that speaks for it.
				exps = tracker.SeriesRecords(exps, experiments.OrderOf)
			}
			slices.SortStableFunc(exps, func(a, b *tracker.Experiment) int { return experiments.OrderOf(a.Kind) - experiments.OrderOf(b.Kind) })
			for _, e := range exps {
				hash := paramsHash(e.Kind, e.Params)
				if len(f.kinds) == 0 || slices.Contains(f.kinds, e.Kind) || slices.Contains(f.kinds, hash) {
					rows = appendExportRows(rows, model, wv, hash, e, h.Names)
				}
			}
		}
	}
	if len(rows) == 0 && len(f.kinds) > 0 {
		return nil, usagef("no experiment %s is recorded in these weeks", quote.List(f.kinds))
	}
	return rows, nil
}

// appendExportRows adds one record's features to rows.
func appendExportRows(rows []exportRow, model string, wv tracker.WeekVersion, hash string, e *tracker.Experiment, names []string) []exportRow {
	for i := range e.Value {
		r := exportRow{Model: model, Week: wv.Week, Version: wv.Version, Experiment: e.Kind, DataRole: tracker.RoleOf(e), ParamsHash: hash, Index: i, Name: experiments.FeatureName(names, i)}
		if e.Rank[i] > 0 || !math.IsNaN(e.Value[i]) {
			v, s, rank := roundTrip32(e.Value[i]), roundTrip32(e.Spread[i]), e.Rank[i]
			r.Value, r.Spread, r.Rank = &v, &s, &rank
		}
		rows = append(rows, r)
	}
	return rows
}

// writeWide pivots one experiment's values: a row per model and feature, a
// column per week.
func writeWide(w io.Writer, rows []exportRow, f *exportFlags) error {
	series := map[string]bool{}
	for _, r := range rows {
		series[r.Experiment+" "+r.ParamsHash] = true
	}
	if len(series) != 1 {
		list := slices.Sorted(maps.Keys(series))
		return usagef("--wide pivots one experiment, and these weeks hold %d (%s): choose one with --experiment KIND or --experiment PARAMS_HASH", len(series), quote.List(list))
	}
	var weeks []string
	type key struct {
		model string
		index int
	}
	var keys []key
	names := map[key]string{}
	cells := map[key]map[string]string{}
	for _, r := range rows {
		if !slices.Contains(weeks, r.Week) {
			weeks = append(weeks, r.Week)
		}
		k := key{r.Model, r.Index}
		if _, ok := cells[k]; !ok {
			keys = append(keys, k)
			cells[k] = map[string]string{}
		}
		names[k] = r.Name
		cells[k][r.Week] = optFloat(r.Value)
	}
	slices.Sort(weeks)
	if f.format == formatJSON {
		type wideRow struct {
			Model  string              `json:"model"`
			Index  int                 `json:"feature_index"`
			Name   string              `json:"feature_name"`
			Values map[string]*float64 `json:"values"`
		}
		out := []wideRow{}
		for _, k := range keys {
			r := wideRow{Model: k.model, Index: k.index, Name: names[k], Values: map[string]*float64{}}
			for _, wk := range weeks {
				r.Values[wk] = nil
				if v, err := strconv.ParseFloat(cells[k][wk], 64); err == nil {
					r.Values[wk] = &v
				}
			}
			out = append(out, r)
		}
		return writeJSON(w, out)
	}
	t := table.Table{Header: append([]string{"model", "feature_index", "feature_name"}, weeks...)}
	for _, k := range keys {
		row := []any{table.User(k.model), k.index, table.User(names[k])}
		for _, wk := range weeks {
			row = append(row, cells[k][wk])
		}
		t.Add(row...)
	}
	return writeTable(w, &t, formatCSV)
}
