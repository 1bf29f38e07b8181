package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
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

// userText marks a cell whose text comes from a user (a feature, model,
// class or label name, an id), which CSV output keeps a spreadsheet from
// running as a formula even when it looks like a number: a feature named
// "+4" or "-2" must stay that name, not become a number.
type userText string

// cellText is a cell's text and whether it is userText. The common cases
// go without fmt: a long query fills thousands.
func cellText(c any) (string, bool) {
	switch v := c.(type) {
	case string:
		return v, false
	case userText:
		return string(v), true
	case int:
		return strconv.Itoa(v), false
	case uint64:
		return strconv.FormatUint(v, 10), false
	default:
		return fmt.Sprint(c), false
	}
}

func (t *table) add(cells ...any) {
	row := make([]string, len(cells))
	user := make([]bool, len(cells))
	for i, c := range cells {
		row[i], user[i] = cellText(c)
	}
	t.rows = append(t.rows, row)
	t.user = append(t.user, user)
}

func (t *table) write(w io.Writer, format string) error {
	if format == formatCSV {
		out := newCSVOut(w)
		if err := out.header(t.header); err != nil {
			return err
		}
		for r, row := range t.rows {
			if err := out.write(row, t.user[r]); err != nil {
				return err
			}
		}
		return out.flush()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.header, "\t")))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// csvOut is the one way the CLI writes CSV (a test checks that no other
// file calls csv.NewWriter), so that every file a user opens in a
// spreadsheet is formula-safe, as the README promises:
//   - userText cells are always neutralised;
//   - other text cells are our own words (weeks, kinds, hashes) or numbers
//     we formatted: a plain decimal number is written as it is, so "-0.5"
//     and "+3" stay numbers, and anything else is neutralised in case it
//     carries outside text after all (a Keras version, imported kinds);
//   - header cells are neutralised too: a series label carries parameters.
type csvOut struct {
	cw   *csv.Writer
	cell []string
}

func newCSVOut(w io.Writer) *csvOut { return &csvOut{cw: csv.NewWriter(w)} }

func (o *csvOut) header(names []string) error {
	o.cell = o.cell[:0]
	for _, n := range names {
		o.cell = append(o.cell, spreadsheetSafe(n))
	}
	return o.cw.Write(o.cell)
}

// write writes one row; user says which cells are userText (nil: none).
func (o *csvOut) write(row []string, user []bool) error {
	o.cell = o.cell[:0]
	for i, c := range row {
		if (user != nil && user[i]) || !plainNumber(c) {
			c = spreadsheetSafe(c)
		}
		o.cell = append(o.cell, c)
	}
	return o.cw.Write(o.cell)
}

// add writes one row of cells typed as for table.add.
func (o *csvOut) add(cells ...any) error {
	row := make([]string, len(cells))
	user := make([]bool, len(cells))
	for i, c := range cells {
		row[i], user[i] = cellText(c)
	}
	return o.write(row, user)
}

func (o *csvOut) flush() error {
	o.cw.Flush()
	return o.cw.Error()
}

// plainNumber reports whether s is a decimal number as strconv formats
// one: an optional sign, digits with an optional point, an optional
// exponent. Spreadsheets read these as numbers; words like "Inf" and
// "0x1p3" are not among them.
func plainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
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

// num32 prints a value with the fewest digits that read back as the same
// float32: the precision the weights have, without float64 noise.
func num32(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 32)
}

// roundTrip32 rounds to float32, so JSON prints the same digits as CSV.
func roundTrip32(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	f, _ := strconv.ParseFloat(num32(v), 64)
	return f
}

// signed32 is num32 with a + on positive changes.
func signed32(v float64) string {
	s := num32(v)
	if v > 0 {
		s = "+" + s
	}
	return s
}

// optInt prints an optional integer; signed adds + to positive ones.
func optInt(v *int, signed bool) string {
	if v == nil {
		return ""
	}
	if signed && *v > 0 {
		return "+" + strconv.Itoa(*v)
	}
	return strconv.Itoa(*v)
}
