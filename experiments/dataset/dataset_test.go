package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tracker-ml/tracker/internal/fixtures"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name       string
		csv        string
		opts       Options
		rows, cols int
		names      []string
		labels     []int
		classes    []string
		first      []float32
	}{
		{"comma, LF, no header, numeric label", "1,2,0\n3,4,1\n", Options{Label: "2"}, 2, 2, nil, []int{0, 1}, []string{"0", "1"}, []float32{1, 2}},
		{"semicolon, CRLF, header, label by name", "a;b;y\r\n1.5;2;1\r\n3;4e1;0\r\n", Options{Label: "y"}, 2, 2, []string{"a", "b"}, []int{1, 0}, []string{"0", "1"}, []float32{1.5, 2}},
		{"word labels take sorted order", "1,R\n2,M\n", Options{Label: "1"}, 2, 1, nil, []int{1, 0}, []string{"M", "R"}, []float32{1}},
		{"--classes sets the class order", "1,R\n2,M\n", Options{Label: "1", Classes: []string{"R", "M"}}, 2, 1, nil, []int{0, 1}, []string{"R", "M"}, []float32{1}},
		{"dropped id column and quoted header", "\"id\",\"x\",\"y\"\n7,0.5,1\n8,0.25,0\n", Options{Label: "y", Drop: []string{"id"}}, 2, 1, []string{"x"}, []int{1, 0}, []string{"0", "1"}, []float32{0.5}},
		{"header with a trailing comma", "a,b,y,\n1,2,0\n3,4,1\n", Options{Label: "y"}, 2, 2, []string{"a", "b"}, []int{0, 1}, []string{"0", "1"}, []float32{1, 2}},
		{"no label", "1,2\n3,4", Options{}, 2, 2, nil, nil, nil, []float32{1, 2}},
		{"no final newline and a blank line", "1,2\n\n3,4", Options{}, 2, 2, nil, nil, nil, []float32{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.csv), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Rows != tc.rows || d.Cols != tc.cols {
				t.Errorf("%dx%d, want %dx%d", d.Rows, d.Cols, tc.rows, tc.cols)
			}
			if !slices.Equal(d.Names, tc.names) || !slices.Equal(d.Labels, tc.labels) || !slices.Equal(d.Classes, tc.classes) {
				t.Errorf("names %v labels %v classes %v, want %v %v %v", d.Names, d.Labels, d.Classes, tc.names, tc.labels, tc.classes)
			}
			if !slices.Equal(d.Row(0), tc.first) {
				t.Errorf("row 0 = %v, want %v", d.Row(0), tc.first)
			}
		})
	}
}

func TestParseRefusesBadCells(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		opts      Options
		want      []string
	}{
		{"a word in a feature", "a,b\n1,2\n3,x\n", Options{}, []string{"row 2 (line 3)", `"b" (index 1)`, `"x"`, "not a number", "drop the column"}},
		{"an empty cell", "1,2\n,4\n", Options{}, []string{"row 2 (line 2)", "index 0", "empty"}},
		{"a ragged row", "1,2,3\n4,5\n", Options{}, []string{"row 2", "2 columns, want 3"}},
		{"an unknown label column", "a,b\n1,2\n", Options{Label: "c"}, []string{`label column "c"`, `2 columns: "a", "b"`}},
		{"a label outside --classes", "1,R\n2,X\n", Options{Label: "1", Classes: []string{"R", "M"}}, []string{"row 2 (line 2)", `"X"`, `"R", "M"`}},
		{"an empty file", "", Options{}, []string{"no rows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.csv), tc.opts)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want ErrFormat", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestReadFixtures(t *testing.T) {
	for _, tc := range []struct {
		rel        string
		opts       Options
		rows, cols int
	}{
		{"pima/pima-indians-diabetes.csv", Options{Label: "8"}, 768, 8},
		{"pima/diabetes.csv", Options{Label: "Outcome"}, 768, 8},
		{"pima-crlf/pima-indians-diabetes.csv", Options{Label: "8"}, 768, 8},
		{"sonar/sonar.csv", Options{Label: "60", Classes: []string{"R", "M"}}, 208, 60},
		{"breast-cancer-wisconsin/cancer.csv", Options{Label: "diagnosis", Drop: []string{"id"}, Classes: []string{"M", "B"}}, 569, 30},
		{"breast-cancer-wisconsin/entradas-breast.csv", Options{}, 569, 30},
		{"spambase/spambase.csv", Options{Label: "Spam"}, 4601, 57},
		{"ionosphere/ionosphere.csv", Options{Label: "34"}, 351, 34},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			d, err := Read(fixtures.Data(t, tc.rel), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Rows != tc.rows || d.Cols != tc.cols {
				t.Errorf("%dx%d, want %dx%d", d.Rows, d.Cols, tc.rows, tc.cols)
			}
		})
	}
}

// FuzzParse: any bytes give a table or an error, never a panic; a table
// holds only finite float32s and UTF-8 text, and written back as CSV it
// parses to the same table.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1,2,0\n3,4,1\n", "a;b;y\r\n1;2;1\r\n", "\"id\",\"x\"\n1,2\n", "a,b,\n1,2\n", ",,\n",
		"a,b\n1,NaN\n", "a,\xff\n1,2\n", "\xef\xbb\xbfa,b\n1e39,2\n", "a,y\n1,1e18\n", "a,b\n\n\"x\ny\",1\n", ",\n0"} {
		f.Add([]byte(s), "2")
		f.Add([]byte(s), "")
		f.Add([]byte(s), "y")
	}
	f.Fuzz(func(t *testing.T, data []byte, label string) {
		if len(data) > 1<<16 {
			return
		}
		d, err := Parse(data, Options{Label: label})
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if len(d.X) != d.Rows*d.Cols || d.Rows == 0 || d.Cols == 0 {
			t.Fatalf("%d values for %dx%d", len(d.X), d.Rows, d.Cols)
		}
		if d.Labels != nil && len(d.Labels) != d.Rows {
			t.Fatalf("%d labels for %d rows", len(d.Labels), d.Rows)
		}
		for _, l := range d.Labels {
			if l < 0 || l >= len(d.Classes) {
				t.Fatalf("label %d outside %d classes", l, len(d.Classes))
			}
		}
		for _, v := range d.X {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("accepted the non-finite value %v", v)
			}
		}
		for _, s := range slices.Concat(d.Names, d.Classes) {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted the text %q, which is not UTF-8", s)
			}
		}
		if label != "" || (len(d.Names) == 1 && strings.TrimSpace(d.Names[0]) == "") {
			// A header of one empty name is written back as a line CSV
			// cannot tell from a blank one (",\n0" reads as header [""]).
			return
		}
		// Round trip: the table written back reads the same.
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if d.Names != nil {
			w.Write(d.Names)
		}
		for i := range d.Rows {
			rec := make([]string, d.Cols)
			for j, v := range d.Row(i) {
				rec[j] = strconv.FormatFloat(float64(v), 'g', -1, 32)
			}
			w.Write(rec)
		}
		w.Flush()
		if first, _, _ := bytes.Cut(b.Bytes(), []byte("\n")); bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
			return // names full of semicolons would read as semicolon-separated
		}
		again, err := Parse(b.Bytes(), Options{})
		if err != nil {
			t.Fatalf("written back as %q: %v", b.Bytes(), err)
		}
		if !slices.Equal(again.Names, d.Names) || again.Rows != d.Rows || again.Cols != d.Cols {
			t.Fatalf("written back as %q: names %q %dx%d, want %q %dx%d", b.Bytes(), again.Names, again.Rows, again.Cols, d.Names, d.Rows, d.Cols)
		}
		for i, v := range d.X {
			if math.Float32bits(again.X[i]) != math.Float32bits(v) {
				t.Fatalf("value %d is %v, want %v", i, again.X[i], v)
			}
		}
	})
}
