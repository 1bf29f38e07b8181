package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Output formats.
const (
	formatTable = "table"
	formatCSV   = "csv"
	formatJSON  = "json"
)

// pickFormat checks --format against the command's choices. With no flag,
// a terminal gets a table and a pipe gets CSV.
func pickFormat(flag string, tty bool, allowed ...string) (string, error) {
	if flag == "" {
		if tty || !slices.Contains(allowed, formatCSV) {
			return formatTable, nil
		}
		return formatCSV, nil
	}
	if !slices.Contains(allowed, flag) {
		return "", usagef("--format %q: choose one of %s", flag, strings.Join(allowed, ", "))
	}
	return flag, nil
}

// table is rows of text under a header, written aligned or as CSV.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	t.rows = append(t.rows, row)
}

func (t *table) write(w io.Writer, format string) error {
	if format == formatCSV {
		cw := csv.NewWriter(w)
		if err := cw.Write(t.header); err != nil {
			return err
		}
		if err := cw.WriteAll(t.rows); err != nil {
			return err
		}
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.header, "\t")))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
