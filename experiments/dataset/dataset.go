// Package dataset reads the CSV files importance experiments run on: comma
// or semicolon separated, CRLF or LF, with or without a header, with an
// optional label column and id columns to drop. Every cell must be a
// number (labels may be words); anything else is an error naming the row
// and column, so an experiment never runs on silently mangled data.
package dataset

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

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

// ErrFormat marks a file that is not a numeric CSV table.
var ErrFormat = errors.New("bad data file")

// Read parses the CSV file at path.
func Read(path string, opts Options) (*Dataset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	d, err := Parse(b, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Parse parses CSV bytes.
func Parse(data []byte, opts Options) (*Dataset, error) {
	sum := sha256.Sum256(data)
	records, err := readRecords(data)
	if err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: the file has no rows", ErrFormat)
	}
	var header []string
	if !numericRow(records[0], opts) {
		header, records = records[0], records[1:]
		// A trailing comma on the header (pandas's "Unnamed: N" column) adds
		// an empty name that no data row fills.
		if len(header) > 1 && strings.TrimSpace(header[len(header)-1]) == "" && len(records) > 0 && len(records[0]) == len(header)-1 {
			header = header[:len(header)-1]
		}
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: the file has a header but no data rows", ErrFormat)
	}
	width := len(records[0])
	if header != nil && len(header) != width {
		return nil, fmt.Errorf("%w: the header has %d columns but row 1 has %d", ErrFormat, len(header), width)
	}
	label := -1
	if opts.Label != "" {
		if label, err = column(opts.Label, header, width, "--label"); err != nil {
			return nil, err
		}
	}
	skip := map[int]bool{}
	for _, c := range opts.Drop {
		i, err := column(c, header, width, "--drop")
		if err != nil {
			return nil, err
		}
		if i == label {
			return nil, fmt.Errorf("%w: column %s is both the label and dropped", ErrFormat, c)
		}
		skip[i] = true
	}
	var feats []int
	for i := range width {
		if i != label && !skip[i] {
			feats = append(feats, i)
		}
	}
	if len(feats) == 0 {
		return nil, fmt.Errorf("%w: no feature columns are left after the label and dropped columns", ErrFormat)
	}
	d := &Dataset{Rows: len(records), Cols: len(feats), SHA256: hex.EncodeToString(sum[:])}
	if header != nil {
		for _, i := range feats {
			d.Names = append(d.Names, strings.TrimSpace(header[i]))
		}
	}
	colName := func(i int) string {
		if header != nil {
			return fmt.Sprintf("%q (index %d)", strings.TrimSpace(header[i]), i)
		}
		return fmt.Sprintf("index %d", i)
	}
	rowName := func(r int) string {
		if header != nil {
			return fmt.Sprintf("row %d (line %d)", r+1, r+2)
		}
		return fmt.Sprintf("row %d (line %d)", r+1, r+1)
	}
	d.X = make([]float32, 0, d.Rows*d.Cols)
	var raw []string
	for r, rec := range records {
		if len(rec) != width {
			return nil, fmt.Errorf("%w: %s has %d columns, want %d like the first row", ErrFormat, rowName(r), len(rec), width)
		}
		for _, i := range feats {
			cell := strings.TrimSpace(rec[i])
			if cell == "" {
				return nil, fmt.Errorf("%w: %s column %s is empty: fill or drop the row", ErrFormat, rowName(r), colName(i))
			}
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %s column %s is %q, not a number: fix the cell, or pass the column to --drop or --label", ErrFormat, rowName(r), colName(i), cell)
			}
			d.X = append(d.X, float32(v))
		}
		if label >= 0 {
			cell := strings.TrimSpace(rec[label])
			if cell == "" {
				return nil, fmt.Errorf("%w: %s label column %s is empty", ErrFormat, rowName(r), colName(label))
			}
			raw = append(raw, cell)
		}
	}
	if label >= 0 {
		if d.Labels, d.Classes, err = classes(raw, opts.Classes); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// readRecords splits CSV text, choosing comma or semicolon from the first line.
func readRecords(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bufio.NewReader(bytes.NewReader(data)))
	r.Comma = ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1 // ragged rows get a message naming the row
	r.ReuseRecord = false
	var records [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		records = append(records, rec)
	}
	return records, nil
}

// numericRow reports whether a row looks like data rather than a header:
// every cell outside the label column parses as a number.
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
			if i == len(rec)-1 && opts.Label == "" {
				// A word in the last column may be an unlabelled label.
				continue
			}
			return false
		}
	}
	return true
}

// column resolves a column given by header name or 0-based index.
func column(c string, header []string, width int, flag string) (int, error) {
	for i, h := range header {
		if strings.TrimSpace(h) == c {
			return i, nil
		}
	}
	i, err := strconv.Atoi(c)
	if err != nil || i < 0 || i >= width {
		seen := fmt.Sprintf("%d columns, indexes 0 to %d", width, width-1)
		if header != nil {
			seen = "columns " + strings.Join(header, ", ")
		}
		return 0, fmt.Errorf("%w: %s %q names no column (the file has %s)", ErrFormat, flag, c, seen)
	}
	return i, nil
}

// classes maps label cells to class numbers.
func classes(raw, order []string) ([]int, []string, error) {
	if len(order) == 0 {
		numeric := true
		for _, v := range raw {
			if f, err := strconv.ParseFloat(v, 64); err != nil || f != float64(int(f)) || f < 0 {
				numeric = false
				break
			}
		}
		if numeric {
			labels := make([]int, len(raw))
			top := 0
			for i, v := range raw {
				f, _ := strconv.ParseFloat(v, 64)
				labels[i] = int(f)
				top = max(top, labels[i])
			}
			names := make([]string, top+1)
			for i := range names {
				names[i] = strconv.Itoa(i)
			}
			return labels, names, nil
		}
		set := map[string]bool{}
		for _, v := range raw {
			set[v] = true
		}
		for v := range set {
			order = append(order, v)
		}
		sort.Strings(order)
	}
	index := map[string]int{}
	for i, v := range order {
		index[v] = i
	}
	labels := make([]int, len(raw))
	for r, v := range raw {
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
			return nil, nil, fmt.Errorf("%w: row %d has label %q, which is not among --classes %s", ErrFormat, r+1, v, strings.Join(order, ","))
		}
		labels[r] = c
	}
	return labels, order, nil
}
