package dataset

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/internal/fixtures"
)

// scanAll reads every row of a Scanner into a table, NaN where missing.
func scanAll(s *Scanner) (x []float32, labels []string, err error) {
	for s.Next() {
		x = append(x, s.Row()...)
		labels = append(labels, s.Label())
	}
	return x, labels, s.Err()
}

func TestScanHandsOverMissingCellsAsNaN(t *testing.T) {
	const csv = "id,a,b,y\r\n1,1.5,NA,1\r\n2,,2,\r\n3,nan,NULL,0\r\n4,-NaN,4,NaN\r\n"
	s, err := NewScanner(strings.NewReader(csv), Options{Label: "y", Drop: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Names(), []string{"a", "b"}) || s.Cols() != 2 || !s.HasLabel() {
		t.Fatalf("names %q, %d columns, label %v", s.Names(), s.Cols(), s.HasLabel())
	}
	x, labels, err := scanAll(s)
	if err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	want := []float32{1.5, nan, nan, 2, nan, nan, nan, 4}
	for i := range want {
		if math.Float32bits(x[i]) != math.Float32bits(want[i]) && !(math.IsNaN(float64(x[i])) && math.IsNaN(float64(want[i]))) {
			t.Errorf("value %d = %v, want %v", i, x[i], want[i])
		}
	}
	if !slices.Equal(labels, []string{"1", "", "0", ""}) {
		t.Errorf("labels %q", labels)
	}
	if !slices.Equal(s.MissingCells(), []int{3, 2}) || s.MissingLabels() != 2 || s.Rows() != 4 {
		t.Errorf("missing %v, %d missing labels, %d rows", s.MissingCells(), s.MissingLabels(), s.Rows())
	}
}

func TestScanTakesAFirstRowWithAHoleForData(t *testing.T) {
	s, err := NewScanner(strings.NewReader("1,NA,0\n3,4,1\n"), Options{Label: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Names() != nil {
		t.Fatalf("took %q for a header", s.Names())
	}
	if _, _, err := scanAll(s); err != nil || s.Rows() != 2 {
		t.Fatalf("%d rows, err %v", s.Rows(), err)
	}
}

func TestScanRefusesWhatIsNotMissing(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		opts      Options
		kind      error
		want      []string
	}{
		{"a word in a feature", "a,b\n1,2\n3,none\n", Options{}, ErrNotNumber, []string{"row 2 (line 3)", `"b" (index 1)`, `"none"`, "not a number"}},
		{"an infinity", "a,b\n1,2\n3,inf\n", Options{}, ErrNotFinite, []string{"row 2 (line 3)", "float32 range"}},
		{"a value beyond float32", "1,2\n1e39,2\n", Options{}, ErrNotFinite, []string{"row 2 (line 2)", "index 0"}},
		{"an infinite label", "a,y\n1,0\n2,-Inf\n", Options{Label: "y"}, ErrNotFinite, []string{"row 2 (line 3)", "not a class"}},
		{"a ragged row", "1,2,3\n4,5\n", Options{}, ErrFormat, []string{"row 2 (line 2)", "2 columns, want 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewScanner(strings.NewReader(tc.csv), tc.opts)
			if err == nil {
				_, _, err = scanAll(s)
			}
			if !errors.Is(err, tc.kind) || !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestScanGivesReadsHashAndValues(t *testing.T) {
	for _, tc := range []struct {
		rel  string
		opts Options
	}{
		{"pima/diabetes.csv", Options{Label: "Outcome"}},
		{"pima-crlf/pima-indians-diabetes.csv", Options{Label: "8"}},
		{"breast-cancer-wisconsin/cancer.csv", Options{Label: "diagnosis", Drop: []string{"id"}}},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			path := fixtures.Data(t, tc.rel)
			d, err := Read(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Scan(path, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			x, labels, err := scanAll(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.SHA256(); got != d.SHA256 {
				t.Errorf("SHA256 %s, Read gives %s", got, d.SHA256)
			}
			if !slices.Equal(x, d.X) || !slices.Equal(s.Names(), d.Names) || len(labels) != d.Rows {
				t.Errorf("values, names or rows differ from Read's")
			}
			for i, l := range labels {
				if d.Classes[d.Labels[i]] != l && !strings.Contains(l, ".") {
					t.Fatalf("row %d label %q, Read's class %q", i+1, l, d.Classes[d.Labels[i]])
				}
			}
		})
	}
}

func TestScanRefusesFilesThatAreNotData(t *testing.T) {
	dir := t.TempDir()
	if _, err := Scan(dir, Options{}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("a,b\n1,2\n1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Scan(bad, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := scanAll(s); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("err %v does not start with the file's name", err)
	}
	if s.SHA256() != "" {
		t.Error("a hash after an error")
	}
}

// FuzzScan: Scan never panics, and on input without a missing cell or
// label it agrees with Parse on every value, name and row, and errs where
// Parse errs with the same message, except for the class check Parse
// makes after the last row (the caller of Scan turns labels into classes).
func FuzzScan(f *testing.F) {
	for _, s := range []string{"1,2,0\n3,4,1\n", "a;b;y\r\n1;2;1\r\n", "\"id\",\"x\"\n1,2\n", "a,b,\n1,2\n", ",,\n",
		"a,b\n1,NaN\n", "a,\xff\n1,2\n", "\xef\xbb\xbfa,b\n1e39,2\n", "a,y\n1,1e18\n", "a,b\n\n\"x\ny\",1\n", "1,NA\n2,3\n", "a,b\n1,\n"} {
		f.Add([]byte(s), "2")
		f.Add([]byte(s), "")
		f.Add([]byte(s), "y")
	}
	f.Fuzz(func(t *testing.T, data []byte, label string) {
		if len(data) > 1<<16 {
			return
		}
		opts := Options{Label: label}
		if hasHoles(data, opts) {
			return // Parse refuses, or takes for a header, what Scan counts
		}
		d, perr := Parse(data, opts)
		s, serr := NewScanner(bytes.NewReader(data), opts)
		var x []float32
		var labels []string
		if serr == nil {
			for s.Next() {
				for _, v := range s.Row() {
					if math.IsInf(float64(v), 0) {
						t.Fatalf("handed over %v", v)
					}
				}
				x = append(x, s.Row()...)
				labels = append(labels, s.Label())
			}
			serr = s.Err()
			missing := 0
			for _, m := range s.MissingCells() {
				missing += m
			}
			nans := 0
			for _, v := range x {
				if math.IsNaN(float64(v)) {
					nans++
				}
			}
			if nans != missing {
				t.Fatalf("%d NaNs handed over, %d counted missing", nans, missing)
			}
			if missing > 0 || s.MissingLabels() > 0 {
				t.Fatalf("%d missing cells and %d labels in input without holes", missing, s.MissingLabels())
			}
		}
		if serr != nil && !errors.Is(serr, ErrFormat) {
			t.Fatalf("error %v does not wrap ErrFormat", serr)
		}
		if perr != nil && serr == nil && errors.Is(perr, ErrLabel) {
			return // a class check after the last row
		}
		if (perr == nil) != (serr == nil) {
			t.Fatalf("Parse: %v; Scan: %v", perr, serr)
		}
		if perr != nil {
			if perr.Error() != serr.Error() {
				t.Fatalf("Parse: %v; Scan: %v", perr, serr)
			}
			return
		}
		if !slices.Equal(s.Names(), d.Names) || s.Rows() != d.Rows || s.Cols() != d.Cols {
			t.Fatalf("Scan: names %q %dx%d; Parse: %q %dx%d", s.Names(), s.Rows(), s.Cols(), d.Names, d.Rows, d.Cols)
		}
		for i, v := range d.X {
			if math.Float32bits(x[i]) != math.Float32bits(v) {
				t.Fatalf("value %d: Scan %v, Parse %v", i, x[i], v)
			}
		}
		for i, l := range d.Labels {
			// Parse names numeric labels by class number ("1.0" is class 1).
			if c := d.Classes[l]; c != labels[i] && !numericSame(c, labels[i]) {
				t.Fatalf("row %d: Scan's label %q, Parse's class %q", i+1, labels[i], c)
			}
		}
	})
}

func numericSame(a, b string) bool {
	x, ok := classNumbers([]string{a, b})
	return ok && x[0] == x[1]
}

// hasHoles reports whether a data row (the first record too, unless it is
// a header) has a cell that marks a missing value.
func hasHoles(data []byte, opts Options) bool {
	rs := newRecords(bytes.NewReader(data))
	for n := 0; ; n++ {
		rec, _, err := rs.next()
		if err != nil {
			return false
		}
		if n == 0 && !numericOrMissingRow(rec, opts) {
			continue
		}
		for _, c := range rec {
			if Missing(strings.TrimSpace(c)) {
				return true
			}
		}
	}
}
