package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/internal/safefile"
)

func TestParseRefusesNonFiniteCells(t *testing.T) {
	for _, tc := range []struct {
		name, cell string
	}{
		{"NaN", "NaN"},
		{"lower-case nan", "nan"},
		{"a signed nan Go does not parse", "-nan"},
		{"Inf", "Inf"},
		{"a signed +Inf", "+Inf"},
		{"negative inf in lower case", "-inf"},
		{"Infinity spelled out", "Infinity"},
		{"a number that overflows float32", "1e39"},
		{"a negative number that overflows float32", "-3.5e38"},
		{"a number that overflows float64", "1e400"},
	} {
		t.Run("a feature cell holding "+tc.name+" is refused with its row, line and column", func(t *testing.T) {
			csv := "id,a,b,label\n1,0.5,2,yes\n\n2,0.25," + tc.cell + ",no\n"
			_, err := Parse([]byte(csv), Options{Label: "label", Drop: []string{"id"}})
			if !errors.Is(err, ErrFormat) || !errors.Is(err, ErrNotFinite) {
				t.Fatalf("err = %v, want ErrFormat and ErrNotFinite", err)
			}
			for _, w := range []string{"row 2 (line 4)", `column "b" (index 2)`, `"` + tc.cell + `"`} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
	t.Run("a first data row holding NaN is refused as data, not taken for a header", func(t *testing.T) {
		_, err := Parse([]byte("1,NaN\n3,4\n"), Options{})
		if !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), "row 1 (line 1), column index 1") {
			t.Fatalf("err = %v, want row 1 (line 1), column index 1 refused as not finite", err)
		}
	})
	t.Run("a label cell holding NaN is refused as a missing label", func(t *testing.T) {
		_, err := Parse([]byte("a,y\n1,0\n2,NaN\n"), Options{Label: "y"})
		if !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), `row 2 (line 3), label column "y" (index 1)`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the largest float32 and the smallest subnormal are accepted", func(t *testing.T) {
		d, err := Parse([]byte("3.4028234e38,1e-45,-3.4028234e38\n"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d.X[0] != 3.4028234e38 || d.X[1] == 0 || d.X[2] != -3.4028234e38 {
			t.Errorf("X = %v", d.X)
		}
	})
}

func TestParseRefusesTextThatIsNotUTF8(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		opts      Options
		want      []string
	}{
		{"a header name", "a,b,\xff\xfe,y\n1,2,3,0\n", Options{Label: "y"}, []string{"line 1", "column 2", `"\xff\xfe"`, "UTF-8"}},
		{"a header name after blank lines", "\n\nok,\xc3(\n1,2\n", Options{}, []string{"line 3", "column 1", `"\xc3("`}},
		{"a label cell", "a,y\n1,yes\n2,n\xe9\n", Options{Label: "y"}, []string{"row 2 (line 3)", `label column "y" (index 1)`, `"n\xe9"`, "UTF-8"}},
		{"a class name", "a,y\n1,yes\n", Options{Label: "y", Classes: []string{"yes", "\xff"}}, []string{"class 1", `"\xff"`}},
	} {
		t.Run(tc.name+" that is not UTF-8 is refused, naming where", func(t *testing.T) {
			_, err := Parse([]byte(tc.csv), tc.opts)
			if !errors.Is(err, ErrFormat) || !errors.Is(err, ErrEncoding) {
				t.Fatalf("err = %v, want ErrFormat and ErrEncoding", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
			if !utf8Clean(err.Error()) {
				t.Errorf("the message repeats invalid UTF-8 raw: %q", err)
			}
		})
	}
	t.Run("a BOM before the header is stripped, and UTF-8 names are kept", func(t *testing.T) {
		d, err := Parse([]byte("\xef\xbb\xbfgröße,ß,y\n1,2,0\n"), Options{Label: "y"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Names, []string{"größe", "ß"}) {
			t.Errorf("names %q", d.Names)
		}
	})
}

func utf8Clean(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestParseNamesTheLineAUserSees(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		want      string
	}{
		{"after blank lines", "id,a,b\n\n\n0,1,2\n\n0,3,x\n", "row 2 (line 6)"},
		{"after a quoted cell spanning lines", "id,a,b\n\"one\ntwo\",1,2\n0,3,x\n", "row 2 (line 4)"},
		{"with CRLF line ends", "id,a,b\r\n0,1,2\r\n\r\n0,3,x\r\n", "row 2 (line 4)"},
		{"without a header", "0,1,2\n0,x,3\n", "row 2 (line 2)"},
	} {
		t.Run("a bad cell "+tc.name+" names its line", func(t *testing.T) {
			_, err := Parse([]byte(tc.csv), Options{Drop: []string{"0"}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	t.Run("a ragged row gives its line and both counts", func(t *testing.T) {
		_, err := Parse([]byte("a,b,c\n1,2,3\n\n4,5\n"), Options{})
		if err == nil || !strings.Contains(err.Error(), "row 2 (line 4) has 2 columns, want 3 like the header") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a header wider than the first row gives both lines and counts", func(t *testing.T) {
		_, err := Parse([]byte("a,b,c,d\n1,2,3\n"), Options{})
		if err == nil || !strings.Contains(err.Error(), "the header (line 1) has 4 columns but row 1 (line 2) has 3") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestParseKeepsMessagesShort(t *testing.T) {
	var b strings.Builder
	for i := range 200_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("column_with_a_long_name_")
		b.WriteString(strings.Repeat("x", i%7))
	}
	header := b.String()
	long := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name, csv string
		opts      Options
	}{
		{"an unknown label in a 200,000-column file", header + "\n" + strings.Repeat("1,", 199_999) + "1\n", Options{Label: "nope"}},
		{"a megabyte-long label option", "a,b\n1,2\n", Options{Label: long}},
		{"a megabyte-long cell", "a,b\n1," + long + "\n", Options{}},
		{"a megabyte-long header name that is not UTF-8", "a," + long + "\xff\n1,2\n", Options{}},
		{"a megabyte-long label outside the classes", "a,y\n1," + long + "\n", Options{Label: "y", Classes: strings.Split(strings.Repeat("c,", 1000)+"c", ",")}},
	} {
		t.Run(tc.name+" gives a message under 1000 bytes", func(t *testing.T) {
			_, err := Parse([]byte(tc.csv), tc.opts)
			if err == nil {
				t.Fatal("accepted")
			}
			if len(err.Error()) > 1000 {
				t.Errorf("message is %d bytes: %.300s…", len(err.Error()), err)
			}
		})
	}
}

func TestParseRefusesAHugeClassNumber(t *testing.T) {
	start := time.Now()
	_, err := Parse([]byte("a,y\n1,0\n2,1\n3,1e18\n"), Options{Label: "y"})
	if !errors.Is(err, ErrLabel) || !strings.Contains(err.Error(), "row 3 (line 4)") || !strings.Contains(err.Error(), `"1e18"`) {
		t.Fatalf("err = %v, want the label of row 3 refused", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %s", time.Since(start))
	}
	d, err := Parse([]byte("a,y\n1,0\n2,65535\n"), Options{Label: "y"})
	if err != nil || len(d.Classes) != MaxClassNumber+1 {
		t.Fatalf("class number %d: err %v", MaxClassNumber, err)
	}
}

func TestReadRefusesFilesThatAreNotData(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.csv")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.csv")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk is used, but the size is over the cap.
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		name, path string
		is         error
		want       string
	}{
		{"a named pipe", fifo, safefile.ErrNotRegular, "named pipe"},
		{"a symlink to /dev/zero", zero, safefile.ErrNotRegular, "device"},
		{"a directory", dir, safefile.ErrNotRegular, "directory"},
		{"a file over the size cap", huge, safefile.ErrTooLarge, "2.0 GiB"},
	} {
		t.Run(tc.name+" is refused at once", func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Read(tc.path, Options{})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %v naming %s and %q", err, tc.is, tc.path, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still reading after 5 s")
			}
		})
	}
	t.Run("a regular file reads and its hash is of its bytes", func(t *testing.T) {
		p := filepath.Join(dir, "ok.csv")
		body := "\xef\xbb\xbfa;b\r\n1;2\r\n"
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := Read(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Parse([]byte(body), Options{})
		if d.SHA256 != want.SHA256 || !slices.Equal(d.X, []float32{1, 2}) || !slices.Equal(d.Names, []string{"a", "b"}) {
			t.Errorf("read %+v, want %+v", d, want)
		}
	})
}
