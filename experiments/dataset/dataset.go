// Package dataset reads the CSV files importance experiments run on: comma
// or semicolon separated, CRLF or LF, UTF-8 with or without a BOM, with or
// without a header, with an optional label column and id columns to drop.
// Every feature cell must be a finite number that fits a float32 (labels
// may be words); anything else is an error naming the row, its line and
// the column, so an experiment never runs on silently mangled data and
// nothing a JSON output cannot hold reaches the store.
//
// Reading streams: a file is parsed record by record into a float32 table
// sized once from the first row, so the table takes 4 bytes a cell (0.4
// times the file for 82 columns of 7-digit numbers) and never a string per
// cell. A 42 MB, 50,000 x 82 file peaks at 71 MB RSS in tracker predict
// (43 MB over the process's 28 MB) where reading every cell as text first
// took 212 MB.
package dataset

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
)

// MaxFileSize is the largest data file Read accepts: 2 GiB, some fifty
// weekly extracts of 50,000 rows by 82 columns (40 MB each). A file at the
// cap parses into about 1 GiB of float32s; anything bigger is more likely
// a wrong path (a disk image, a log) than a table to measure importance on.
const MaxFileSize = 2 << 30

// MaxClassNumber is the largest class a numeric label may name. A label of
// 1e9 would otherwise ask for a billion classes (and 16 GB of names); no
// classifier tracker runs has anywhere near this many outputs.
const MaxClassNumber = 1<<16 - 1

// Options say which columns are not features.
type Options struct {
	// Label is the label column: a header name or a 0-based index. Empty
	// means the file has no label.
	Label string
	// Drop lists id columns to ignore, by name or 0-based index.
	Drop []string
	// Classes lists the label values in class order (class 0 first). Empty
	// means numeric labels are the class numbers and word labels are taken
	// in sorted order.
	Classes []string
}

// Dataset is a table of float32 features, row-major.
type Dataset struct {
	Names   []string // feature names from the header; nil without one
	X       []float32
	Rows    int
	Cols    int
	Labels  []int    // class of each row; nil without a label column
	Classes []string // label values in class order
	SHA256  string   // of the file's bytes
}

// Row returns row i's features.
func (d *Dataset) Row(i int) []float32 { return d.X[i*d.Cols : (i+1)*d.Cols] }

// Errors of Read and Parse. Every one wraps ErrFormat; the others say
// which kind of fix the caller can suggest (a CLI names its flags).
var (
	// ErrFormat marks a file that is not a numeric CSV table.
	ErrFormat = errors.New("bad data file")
	// ErrNotNumber: a feature cell is text; the column may be an id or
	// the label.
	ErrNotNumber = errors.New("not a number")
	// ErrNotFinite: a feature cell is NaN or infinite, or overflows float32;
	// or a label cell is NaN or infinite (a missing value, not a class).
	ErrNotFinite = errors.New("not a finite number")
	// ErrNoColumn: the label or a dropped column names no column.
	ErrNoColumn = errors.New("no such column")
	// ErrLabel: a label is not among the classes given, or names a class
	// number above MaxClassNumber.
	ErrLabel = errors.New("bad label")
	// ErrEncoding: header or label text is not UTF-8.
	ErrEncoding = errors.New("not UTF-8")
)

// formatError is a message that wraps ErrFormat and the kind of problem.
type formatError struct {
	msg  string
	kind error // nil for problems with no kind of their own
}

func (e *formatError) Error() string { return ErrFormat.Error() + ": " + e.msg }
func (e *formatError) Unwrap() []error {
	if e.kind == nil {
		return []error{ErrFormat}
	}
	return []error{ErrFormat, e.kind}
}

func bad(kind error, format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// Read parses the CSV file at path. Only a regular file of at most
// MaxFileSize bytes is read: a named pipe or a link to /dev/zero is refused
// before any read, so a wrong path fails at once instead of hanging.
func Read(path string, opts Options) (*Dataset, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	if info.Size() > MaxFileSize {
		return nil, tooLarge(path, info.Size())
	}
	// One more byte than the cap tells a file that grew while being read.
	in := &capped{r: io.LimitReader(f, MaxFileSize+1), h: sha256.New()}
	d, err := parse(in, info.Size(), opts)
	switch {
	case in.n > MaxFileSize:
		return nil, tooLarge(path, in.n)
	case in.err != nil: // a failing disk, not a CSV problem
		return nil, fmt.Errorf("read data: %w", in.err) // it names the file
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.SHA256 = hex.EncodeToString(in.h.Sum(nil))
	return d, nil
}

func tooLarge(path string, size int64) error {
	return fmt.Errorf("%s is %s, more than the %s a data file may be: %w", path, safefile.Size(size), safefile.Size(MaxFileSize), safefile.ErrTooLarge)
}

// capped counts and hashes the bytes read through it, and keeps a read
// error so that a failing disk is reported as such, not as a CSV error.
type capped struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (c *capped) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// Parse parses CSV bytes.
func Parse(data []byte, opts Options) (*Dataset, error) {
	d, err := parse(bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	d.SHA256 = hex.EncodeToString(sum[:])
	return d, nil
}

// sniffBytes is how much of the first line chooses the separator: enough
// for any real header, without holding a huge one twice.
const sniffBytes = 1 << 20

// records reads CSV records and says on which line each began.
type records struct {
	r *csv.Reader
}

func newRecords(in io.Reader) *records {
	br := bufio.NewReaderSize(in, sniffBytes)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	// Peek returns what it has (and an error) when the file is shorter.
	head, _ := br.Peek(sniffBytes)
	first, _, _ := bytes.Cut(head, []byte("\n"))
	r := csv.NewReader(br)
	r.Comma = ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1 // ragged rows get a message naming the row
	r.ReuseRecord = true   // cells are parsed at once; label text is cloned
	return &records{r: r}
}

// next returns the next record that is not blank and the line it began on;
// io.EOF at the end. The record is valid until the next call.
func (rs *records) next() ([]string, int, error) {
	for {
		rec, err := rs.r.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		if err != nil {
			// csv.ParseError names the line and column itself.
			return nil, 0, bad(nil, "%v", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of spaces
		}
		line, _ := rs.r.FieldPos(0)
		return rec, line, nil
	}
}

// head is what a file's first records say: its header (nil without one),
// and the first data row with the line it began on.
type head struct {
	rs         *records
	header     []string
	headerLine int
	start      int64 // offset where the first data row begins
	rec        []string
	line       int
}

// readHead reads the header, if the first row is one, and the first data
// row. numeric says whether a row is data rather than a header: Parse and
// Scan differ only in what a cell of data may hold.
func readHead(in io.Reader, opts Options, numeric func([]string, Options) bool) (*head, error) {
	for i, c := range opts.Classes {
		if !utf8.ValidString(c) {
			return nil, bad(ErrEncoding, "class %d, %s, is not UTF-8 text", i, quote.Short(c))
		}
	}
	h := &head{rs: newRecords(in)}
	rec, line, err := h.rs.next()
	if err == io.EOF {
		return nil, bad(nil, "the file has no rows")
	}
	if err != nil {
		return nil, err
	}
	if !numeric(rec, opts) {
		// The reader reuses the slice, not the text: each record's cells
		// share one new string, so the names need no copying.
		h.header, h.headerLine = slices.Clone(rec), line
		for i, name := range h.header {
			if !utf8.ValidString(name) {
				return nil, bad(ErrEncoding, "line %d, the header's column %d is %s, which is not UTF-8 text: save the file as UTF-8", line, i, quote.Short(name))
			}
			h.header[i] = strings.TrimSpace(name)
		}
		h.start = h.rs.r.InputOffset()
		if rec, line, err = h.rs.next(); err == io.EOF {
			return nil, bad(nil, "the file has a header but no data rows")
		} else if err != nil {
			return nil, err
		}
		// A trailing comma on the header (pandas's "Unnamed: N" column) adds
		// an empty name that no data row fills.
		if n := len(h.header); n > 1 && h.header[n-1] == "" && len(rec) == n-1 {
			h.header = h.header[:n-1]
		}
	}
	if h.header != nil && len(h.header) != len(rec) {
		return nil, bad(nil, "the header (line %d) has %d columns but row 1 (line %d) has %d: give every row one cell per header name", h.headerLine, len(h.header), line, len(rec))
	}
	h.rec, h.line = rec, line
	return h, nil
}

// parse reads records one at a time into the float32 table; size is the
// input's length in bytes, to size the table once instead of growing it.
func parse(in io.Reader, size int64, opts Options) (*Dataset, error) {
	h, err := readHead(in, opts, numericRow)
	if err != nil {
		return nil, err
	}
	t, err := newTable(h.header, len(h.rec), opts)
	if err != nil {
		return nil, err
	}
	t.reserve(size, h.start, h.rs.r.InputOffset())
	rec, line := h.rec, h.line
	for row := 1; ; row++ {
		if err := t.add(rec, row, line); err != nil {
			return nil, err
		}
		if rec, line, err = h.rs.next(); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
	}
	return t.finish(opts.Classes)
}

// layout is which columns of a file are features and which the label,
// resolved once from the header and the first row's width.
type layout struct {
	header []string
	width  int
	label  int // -1 without one
	feats  []int
	names  []string // the features' names; nil without a header
}

func newLayout(header []string, width int, opts Options) (*layout, error) {
	l := &layout{header: header, width: width, label: -1}
	var err error
	if opts.Label != "" {
		if l.label, err = column(opts.Label, header, width, "label"); err != nil {
			return nil, err
		}
	}
	skip := map[int]bool{}
	for _, c := range opts.Drop {
		i, err := column(c, header, width, "dropped")
		if err != nil {
			return nil, err
		}
		if i == l.label {
			return nil, bad(nil, "column %s is both the label and dropped", quote.Short(c))
		}
		skip[i] = true
	}
	for i := range width {
		if i != l.label && !skip[i] {
			l.feats = append(l.feats, i)
		}
	}
	if len(l.feats) == 0 {
		return nil, bad(nil, "no feature columns are left after the label and dropped columns")
	}
	switch {
	case header != nil && len(l.feats) == width:
		l.names = header // a million-column header is kept once
	case header != nil:
		l.names = make([]string, len(l.feats))
		for k, i := range l.feats {
			l.names[k] = header[i]
		}
	}
	return l, nil
}

// table accumulates rows; label text is interned, so a 50,000-row file of
// two classes keeps two strings, not 50,000.
type table struct {
	*layout
	d *Dataset
	labelSet
	rowValue []int // each row's index into the label values
}

// labelSet interns label text: the distinct values in order of
// appearance, and the row and line each first appeared on for messages.
type labelSet struct {
	values    []string
	firstRow  []int
	firstLine []int
	index     map[string]int
}

func newTable(header []string, width int, opts Options) (*table, error) {
	l, err := newLayout(header, width, opts)
	if err != nil {
		return nil, err
	}
	t := &table{layout: l, d: &Dataset{Cols: len(l.feats), Names: l.names}, labelSet: labelSet{index: map[string]int{}}}
	return t, nil
}

// reserve sizes X for the rows the rest of the input can hold, judging by
// the first data row's length (it spans start to end), so that X is
// allocated once: growing it by append would copy it over and over and
// leave the old copies to the GC. A first row shorter than the rest cannot
// make it reserve more than the input could hold at two bytes ("1,") a
// cell; a longer one only means X grows.
func (t *table) reserve(size, start, end int64) {
	perRow := end - start
	if perRow <= 0 || size < end {
		return
	}
	rows := (size-end)/perRow + 1
	rows += rows / 16
	rows = min(rows, (size-end)/int64(2*t.width)+1)
	t.d.X = make([]float32, 0, rows*int64(t.d.Cols))
}

// colName names column i for a message: its header name when there is one.
func (l *layout) colName(i int) string {
	if l.header != nil {
		return fmt.Sprintf("%s (index %d)", quote.Short(l.header[i]), i)
	}
	return fmt.Sprintf("index %d", i)
}

// rowName is how a message points at a data row: its 1-based number among
// the data rows and the line of the file it starts on, as an editor counts
// it (header and blank lines included).
func rowName(row, line int) string { return fmt.Sprintf("row %d (line %d)", row, line) }

// checkWidth refuses a row with another number of cells than the first.
func (l *layout) checkWidth(rec []string, row, line int) error {
	if len(rec) != l.width {
		like := "the first row"
		if l.header != nil {
			like = "the header"
		}
		return bad(nil, "%s has %d columns, want %d like %s", rowName(row, line), len(rec), l.width, like)
	}
	return nil
}

// number parses feature cell text (trimmed) of column i: a finite number
// that fits a float32, or an error naming the row, line and column.
func (l *layout) number(cell string, i, row, line int) (float32, error) {
	if cell == "" {
		return 0, bad(nil, "%s, column %s is empty: fill it, or remove the row", rowName(row, line), l.colName(i))
	}
	v, err := strconv.ParseFloat(cell, 64)
	if err == nil && !math.IsNaN(v) && !math.IsInf(float64(float32(v)), 0) {
		// The common case returns before ne is declared: its address
		// escapes, and it would cost an allocation per cell.
		return float32(v), nil
	}
	var ne *strconv.NumError
	switch {
	case errors.As(err, &ne) && ne.Err == strconv.ErrRange,
		err == nil && (math.IsInf(v, 0) || math.IsInf(float64(float32(v)), 0)):
		return 0, bad(ErrNotFinite, "%s, column %s is %s, beyond the float32 range of ±3.4e38: fix the cell, or remove the row", rowName(row, line), l.colName(i), quote.Short(cell))
	case err != nil && !strings.EqualFold(strings.TrimLeft(cell, "+-"), "nan"):
		return 0, bad(ErrNotNumber, "%s, column %s is %s, not a number: fix the cell, or drop the column or make it the label", rowName(row, line), l.colName(i), quote.Short(cell))
	case err != nil || math.IsNaN(v): // NaN, or "-nan" that Go does not parse
		return 0, bad(ErrNotFinite, "%s, column %s is %s, not a finite number: fill the missing value, or remove the row", rowName(row, line), l.colName(i), quote.Short(cell))
	}
	return float32(v), nil
}

// intern returns the index of label text cell (trimmed, not empty) among
// the values seen, checking a value the first time it appears: UTF-8, and
// not a NaN or infinity (a missing value, not a class).
func (s *labelSet) intern(cell string, row, line int, col string) (int, error) {
	if k, ok := s.index[cell]; ok {
		return k, nil
	}
	if !utf8.ValidString(cell) {
		return 0, bad(ErrEncoding, "%s, label column %s is %s, which is not UTF-8 text: save the file as UTF-8", rowName(row, line), col, quote.Short(cell))
	}
	if v, err := strconv.ParseFloat(cell, 64); err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		return 0, bad(ErrNotFinite, "%s, label column %s is %s, not a class: fill the missing label, or remove the row", rowName(row, line), col, quote.Short(cell))
	}
	k := len(s.values)
	cell = strings.Clone(cell) // not a window on the whole line
	s.index[cell] = k
	s.values = append(s.values, cell)
	s.firstRow = append(s.firstRow, row)
	s.firstLine = append(s.firstLine, line)
	return k, nil
}

func (t *table) add(rec []string, row, line int) error {
	if err := t.checkWidth(rec, row, line); err != nil {
		return err
	}
	for _, i := range t.feats {
		v, err := t.number(strings.TrimSpace(rec[i]), i, row, line)
		if err != nil {
			return err
		}
		t.d.X = append(t.d.X, v)
	}
	if t.label >= 0 {
		cell := strings.TrimSpace(rec[t.label])
		if cell == "" {
			return bad(ErrLabel, "%s, label column %s is empty", rowName(row, line), t.colName(t.label))
		}
		k, err := t.intern(cell, row, line, t.colName(t.label))
		if err != nil {
			return err
		}
		t.rowValue = append(t.rowValue, k)
	}
	t.d.Rows++
	return nil
}

func (t *table) finish(order []string) (*Dataset, error) {
	d := t.d
	if t.label < 0 {
		return d, nil
	}
	class, names, err := t.classes(order)
	if err != nil {
		return nil, err
	}
	d.Classes = names
	d.Labels = make([]int, len(t.rowValue))
	for r, k := range t.rowValue {
		d.Labels[r] = class[k]
	}
	return d, nil
}

// classes maps each distinct label value to its class number.
func (t *labelSet) classes(order []string) ([]int, []string, error) {
	class := make([]int, len(t.values))
	if len(order) == 0 {
		if nums, ok := classNumbers(t.values); ok {
			top := 0
			for k, n := range nums {
				if n > MaxClassNumber {
					return nil, nil, bad(ErrLabel, "%s has label %s, a class number above %d: give the classes in order if the labels are not class numbers", rowName(t.firstRow[k], t.firstLine[k]), quote.Short(t.values[k]), MaxClassNumber)
				}
				top = max(top, n)
			}
			copy(class, nums)
			names := make([]string, top+1)
			for i := range names {
				names[i] = strconv.Itoa(i)
			}
			return class, names, nil
		}
		order = slices.Clone(t.values)
		sort.Strings(order)
	}
	index := map[string]int{}
	for i, v := range order {
		index[v] = i
	}
	for k, v := range t.values {
		c, ok := index[v]
		if !ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				// 1 and 1.0 name the same class.
				for i, o := range order {
					if g, err := strconv.ParseFloat(o, 64); err == nil && g == f {
						c, ok = i, true
					}
				}
			}
		}
		if !ok {
			return nil, nil, bad(ErrLabel, "%s has label %s, which is not among the classes %s", rowName(t.firstRow[k], t.firstLine[k]), quote.Short(v), quote.List(order))
		}
		class[k] = c
	}
	return class, order, nil
}

// classNumbers reads labels as class numbers: every one a non-negative
// whole number. A number too large for an int saturates, so the caller's
// MaxClassNumber check refuses it.
func classNumbers(values []string) ([]int, bool) {
	nums := make([]int, len(values))
	for k, v := range values {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f != math.Trunc(f) {
			return nil, false
		}
		nums[k] = MaxClassNumber + 1
		if f <= MaxClassNumber {
			nums[k] = int(f)
		}
	}
	return nums, true
}

// numericRow reports whether a row looks like data rather than a header:
// every cell outside the label column parses as a number (NaN and Inf
// included, so a first data row holding one is refused as data, not taken
// for a header).
func numericRow(rec []string, opts Options) bool {
	label := -1
	if i, err := strconv.Atoi(opts.Label); err == nil {
		label = i
	}
	for i, c := range rec {
		c = strings.TrimSpace(c)
		if i == label || c == "" && i == len(rec)-1 {
			continue
		}
		if slices.Contains(opts.Drop, strconv.Itoa(i)) {
			continue
		}
		if _, err := strconv.ParseFloat(c, 64); err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				continue // a number, if a huge one
			}
			if i == len(rec)-1 && opts.Label == "" {
				// A word in the last column may be an unlabelled label.
				continue
			}
			return false
		}
	}
	return true
}

// column resolves a column given by header name or 0-based index; role
// ("label", "dropped") says which option named it.
func column(c string, header []string, width int, role string) (int, error) {
	for i, h := range header {
		if h == c { // names are trimmed
			return i, nil
		}
	}
	i, err := strconv.Atoi(c)
	if err != nil || i < 0 || i >= width {
		seen := fmt.Sprintf("%d columns, indexes 0 to %d", width, width-1)
		if header != nil {
			seen = fmt.Sprintf("%d columns: %s", width, quote.List(header))
		}
		return 0, bad(ErrNoColumn, "the %s column %s is neither a header name nor an index 0 to %d (the file has %s)", role, quote.Short(c), width-1, seen)
	}
	return i, nil
}
