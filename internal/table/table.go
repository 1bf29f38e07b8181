package table

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Table is rows of text under a header, written aligned or as CSV.
type Table struct {
	Header []string
	rows   [][]string
	user   [][]bool // which cells hold User text
}

// User marks a cell whose text comes from a user, which CSV output always
// keeps a spreadsheet from running or converting.
type User string

// cellText is a cell's text and whether it is User text. The common cases
// go without fmt: a long query fills thousands.
func cellText(c any) (string, bool) {
	switch v := c.(type) {
	case string:
		return v, false
	case User:
		return string(v), true
	case int:
		return strconv.Itoa(v), false
	case uint64:
		return strconv.FormatUint(v, 10), false
	default:
		return fmt.Sprint(c), false
	}
}

// Add appends a row. Cells are strings, User text, or values printed with
// fmt.Sprint.
func (t *Table) Add(cells ...any) {
	row := make([]string, len(cells))
	user := make([]bool, len(cells))
	for i, c := range cells {
		row[i], user[i] = cellText(c)
	}
	t.rows = append(t.rows, row)
	t.user = append(t.user, user)
}

// WriteText writes the table aligned in columns under an upper-case header.
func (t *Table) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.Header, "\t")))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// WriteCSV writes the table as formula-safe CSV.
func (t *Table) WriteCSV(w io.Writer) error {
	out := NewCSV(w)
	if err := out.Header(t.Header); err != nil {
		return err
	}
	for r, row := range t.rows {
		if err := out.Write(row, t.user[r]); err != nil {
			return err
		}
	}
	return out.Flush()
}

// CSV writes formula-safe CSV row by row, for output too long to hold.
type CSV struct {
	cw   *csv.Writer
	cell []string
}

// NewCSV writes CSV to w.
func NewCSV(w io.Writer) *CSV { return &CSV{cw: csv.NewWriter(w)} }

// Header writes the header row.
func (o *CSV) Header(names []string) error {
	o.cell = o.cell[:0]
	for _, n := range names {
		o.cell = append(o.cell, SpreadsheetSafe(n))
	}
	return o.cw.Write(o.cell)
}

// Write writes one row; user says which cells are User text (nil: none).
func (o *CSV) Write(row []string, user []bool) error {
	o.cell = o.cell[:0]
	for i, c := range row {
		if (user != nil && user[i]) || !PlainNumber(c) {
			c = SpreadsheetSafe(c)
		}
		o.cell = append(o.cell, c)
	}
	return o.cw.Write(o.cell)
}

// Add writes one row of cells typed as for Table.Add.
func (o *CSV) Add(cells ...any) error {
	row := make([]string, len(cells))
	user := make([]bool, len(cells))
	for i, c := range cells {
		row[i], user[i] = cellText(c)
	}
	return o.Write(row, user)
}

// Flush writes what is buffered and reports any error of the whole output.
func (o *CSV) Flush() error {
	o.cw.Flush()
	return o.cw.Error()
}

// PlainNumber reports whether s is a decimal number as strconv formats
// one: an optional sign, digits with an optional point, an optional
// exponent. Spreadsheets read these as numbers; words like "Inf" and
// "0x1p3" are not among them.
func PlainNumber(s string) bool {
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

// SpreadsheetSafe keeps a spreadsheet from running a cell as a formula:
// text beginning with =, +, -, @, a tab or a carriage return gets a
// leading apostrophe, as OWASP advises. A name like "+4" gets one too: a
// spreadsheet would turn it into the number 4.
func SpreadsheetSafe(cell string) string {
	if cell == "" || !strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return cell
	}
	return "'" + cell
}
