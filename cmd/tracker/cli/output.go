package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
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
	user   [][]bool // which cells hold userText
}

// userText marks a cell whose text comes from a user (a feature or model
// name), which CSV output keeps a spreadsheet from running as a formula.
type userText string

func (t *table) add(cells ...any) {
	row := make([]string, len(cells))
	user := make([]bool, len(cells))
	for i, c := range cells {
		// The common cases without fmt: a long query fills thousands.
		switch v := c.(type) {
		case string:
			row[i] = v
		case userText:
			row[i], user[i] = string(v), true
		case int:
			row[i] = strconv.Itoa(v)
		case uint64:
			row[i] = strconv.FormatUint(v, 10)
		default:
			row[i] = fmt.Sprint(c)
		}
	}
	t.rows = append(t.rows, row)
	t.user = append(t.user, user)
}

func (t *table) write(w io.Writer, format string) error {
	if format == formatCSV {
		cw := csv.NewWriter(w)
		if err := cw.Write(t.header); err != nil {
			return err
		}
		for r, row := range t.rows {
			safe := slices.Clone(row)
			for i := range safe {
				if t.user[r][i] {
					safe[i] = spreadsheetSafe(safe[i])
				}
			}
			if err := cw.Write(safe); err != nil {
				return err
			}
		}
		cw.Flush()
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

// spreadsheetSafe keeps a spreadsheet from running a cell as a formula:
// user text beginning with =, +, -, @, a tab or a carriage return gets a
// leading apostrophe, as OWASP advises. A name like "+4" gets one too: a
// spreadsheet would turn it into the number 4.
func spreadsheetSafe(cell string) string {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return cell
	}
	return "'" + cell
}
