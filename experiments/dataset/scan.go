package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/tracker-ml/tracker/internal/safefile"
)

// Scanner streams a data CSV one row at a time, for work that needs every
// row once and none of them afterwards (a data profile): memory does not
// grow with the rows. It reads the dialect Read reads and resolves the
// label and dropped columns the same way, with one difference: a missing
// feature cell (empty, NA, NaN, nan, null, in any case, with or without a
// sign) is handed over as a NaN and counted, where Read refuses it, since
// real weekly extracts have holes and a profile counts them. Text that is
// not a number, an infinity and a value beyond float32 are still errors
// naming the row, line and column.
//
// Use it like bufio.Scanner:
//
//	s, err := dataset.Scan(path, opts)
//	if err != nil { ... }
//	defer s.Close()
//	for s.Next() {
//		use(s.Row(), s.Label())
//	}
//	if err := s.Err(); err != nil { ... }
//	hash := s.SHA256()
type Scanner struct {
	path string
	in   *capped // nil for NewScanner
	file *os.File
	h    *head
	*layout
	labels labelSet

	row, line int       // of the current row; 0 before the first
	x         []float32 // the current row's features, reused
	text      string    // the current row's label, interned; "" when missing
	pending   bool      // h.rec is the first data row, not yet handed over
	err       error
	done      bool

	missing       []int
	missingLabels int
}

// Scan opens the CSV file at path for streaming. Like Read it reads only a
// regular file of at most MaxFileSize bytes, and it hashes the bytes as
// they are read, so SHA256 at the end is the one Read gives for the file.
// An error in the header or the columns is returned here; an error in a
// row stops Next and is returned by Err.
func Scan(path string, opts Options) (*Scanner, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read data: %w", err)
	}
	if info.Size() > MaxFileSize {
		f.Close()
		return nil, tooLarge(path, info.Size())
	}
	in := &capped{r: io.LimitReader(f, MaxFileSize+1), h: sha256.New()}
	s, err := newScanner(in, opts)
	if err != nil {
		f.Close()
		return nil, scanError(path, in, err)
	}
	s.path, s.in, s.file = path, in, f
	return s, nil
}

// NewScanner streams CSV from r; errors do not name a file, and SHA256 is
// empty (hash the bytes yourself, as Parse does).
func NewScanner(r io.Reader, opts Options) (*Scanner, error) {
	return newScanner(r, opts)
}

func newScanner(in io.Reader, opts Options) (*Scanner, error) {
	h, err := readHead(in, opts, numericOrMissingRow)
	if err != nil {
		return nil, err
	}
	l, err := newLayout(h.header, len(h.rec), opts)
	if err != nil {
		return nil, err
	}
	return &Scanner{
		h: h, layout: l, labels: labelSet{index: map[string]int{}},
		x: make([]float32, len(l.feats)), missing: make([]int, len(l.feats)),
		pending: true,
	}, nil
}

// scanError names the file in err, or reports a failing disk or a file
// that grew past the cap as such rather than as a CSV problem.
func scanError(path string, in *capped, err error) error {
	switch {
	case in.n > MaxFileSize:
		return tooLarge(path, in.n)
	case in.err != nil:
		return fmt.Errorf("read data: %w", in.err)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// Names returns the features' header names, nil without a header.
func (s *Scanner) Names() []string { return s.names }

// Cols is the number of feature columns.
func (s *Scanner) Cols() int { return len(s.feats) }

// HasLabel reports whether the options named a label column.
func (s *Scanner) HasLabel() bool { return s.layout.label >= 0 }

// Next reads the next data row; false at the end or on an error (see Err).
func (s *Scanner) Next() bool {
	if s.done {
		return false
	}
	var rec []string
	var line int
	if s.pending {
		rec, line, s.pending = s.h.rec, s.h.line, false
	} else {
		var err error
		rec, line, err = s.h.rs.next()
		if err == io.EOF {
			s.finish(nil)
			return false
		}
		if err != nil {
			s.finish(err)
			return false
		}
	}
	s.row++
	s.line = line
	if err := s.read(rec); err != nil {
		s.finish(err)
		return false
	}
	return true
}

func (s *Scanner) finish(err error) {
	s.done = true
	if err != nil && s.in != nil {
		err = scanError(s.path, s.in, err)
	}
	if err == nil && s.in != nil && (s.in.n > MaxFileSize || s.in.err != nil) {
		err = scanError(s.path, s.in, errors.New("read interrupted"))
	}
	s.err = err
}

// read parses one record into s.x and s.label.
func (s *Scanner) read(rec []string) error {
	if err := s.checkWidth(rec, s.row, s.line); err != nil {
		return err
	}
	holes := false // counted only for a row handed over
	for k, i := range s.feats {
		cell := strings.TrimSpace(rec[i])
		if Missing(cell) {
			s.x[k] = float32(math.NaN())
			holes = true
			continue
		}
		v, err := s.number(cell, i, s.row, s.line)
		if err != nil {
			return err
		}
		s.x[k] = v
	}
	if s.layout.label >= 0 {
		cell := strings.TrimSpace(rec[s.layout.label])
		if Missing(cell) {
			s.text = ""
			s.missingLabels++
		} else {
			k, err := s.labels.intern(cell, s.row, s.line, s.colName(s.layout.label))
			if err != nil {
				return err
			}
			s.text = s.labels.values[k]
		}
	}
	if holes {
		for k, v := range s.x {
			if v != v {
				s.missing[k]++
			}
		}
	}
	return nil
}

// Row returns the current row's features, NaN where a cell is missing.
// The slice is reused by the next call to Next.
func (s *Scanner) Row() []float32 { return s.x }

// Label returns the current row's label text, trimmed; "" when the cell is
// missing or there is no label column. The distinct values are interned,
// so keeping the string costs nothing per row.
func (s *Scanner) Label() string { return s.text }

// Position returns the current row's 1-based number among the data rows and
// the line of the file it began on, for messages.
func (s *Scanner) Position() (row, line int) { return s.row, s.line }

// Rows is the number of data rows read so far.
func (s *Scanner) Rows() int { return s.row }

// MissingCells counts, per feature, the missing cells read so far.
func (s *Scanner) MissingCells() []int { return s.missing }

// MissingLabels counts the rows read so far whose label is missing.
func (s *Scanner) MissingLabels() int { return s.missingLabels }

// Err returns the error that stopped Next, nil at a clean end.
func (s *Scanner) Err() error { return s.err }

// SHA256 is the hex SHA-256 of the file's bytes once Next has returned
// false without an error; the same as Read's Dataset.SHA256. Empty before
// the end, after an error, and for NewScanner.
func (s *Scanner) SHA256() string {
	if !s.done || s.err != nil || s.in == nil {
		return ""
	}
	// The CSV reader may stop short of bytes it did not need (nothing
	// after the last record); hash them too, so the value is the file's.
	if _, err := io.Copy(io.Discard, s.in); err != nil || s.in.err != nil || s.in.n > MaxFileSize {
		return ""
	}
	return hex.EncodeToString(s.in.h.Sum(nil))
}

// Close closes the file.
func (s *Scanner) Close() error {
	if s.file == nil {
		return nil
	}
	return s.file.Close()
}

// Missing reports whether cell text (trimmed) marks a missing value: empty,
// NA, NaN or null in any case, NaN with a sign. These are what pandas and R
// write for a missing float; a word such as "none" or "?" stays an error,
// as it more often means a text column than a hole.
func Missing(cell string) bool {
	switch len(cell) {
	case 0:
		return true
	case 2:
		return strings.EqualFold(cell, "na")
	case 3, 4:
		return strings.EqualFold(strings.TrimLeft(cell, "+-"), "nan") || strings.EqualFold(cell, "null")
	}
	return false
}

// numericOrMissingRow is numericRow for Scan: a cell that marks a missing
// value counts as data, so a headerless file whose first row has a hole
// is not taken for one with a header.
func numericOrMissingRow(rec []string, opts Options) bool {
	label := -1
	if i, err := strconv.Atoi(opts.Label); err == nil {
		label = i
	}
	clean := make([]string, len(rec))
	for i, c := range rec {
		clean[i] = c
		if i != label && Missing(strings.TrimSpace(c)) {
			clean[i] = "0"
		}
	}
	return numericRow(clean, opts)
}
