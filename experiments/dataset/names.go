package dataset

import (
	"encoding/csv"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
)

// maxNamesFile is the largest feature-names file read: a million
// names of 60 characters fit, and a wrong path (a dataset, /dev/zero) is
// refused instead of read into memory.
const maxNamesFile = 64 << 20

// ReadNames reads a feature-names file: one name per line, or a CSV header: a first line
// with commas or semicolons is a header, and only it is read. Names must
// be UTF-8: the store keeps them as JSON, which would turn other bytes
// into U+FFFD.
func ReadNames(path string) ([]string, error) {
	b, err := safefile.ReadFile(path, maxNamesFile)
	if err != nil {
		return nil, fmt.Errorf("read feature names: %w", err)
	}
	text := strings.TrimPrefix(string(b), "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	first, _, _ := strings.Cut(text, "\n")
	if strings.ContainsAny(first, ",;") {
		r := csv.NewReader(strings.NewReader(first))
		if strings.Count(first, ";") > strings.Count(first, ",") {
			r.Comma = ';'
		}
		header, err := r.Read()
		if err != nil {
			return nil, fmt.Errorf("%s: the first row is not a CSV header: %w", path, err)
		}
		if n := len(header); n > 1 && strings.TrimSpace(header[n-1]) == "" {
			header = header[:n-1]
		}
		names := make([]string, len(header))
		for i, h := range header {
			if !utf8.ValidString(h) {
				return nil, fmt.Errorf("%s: line 1, column %d is %s, which is not UTF-8 text: save the file as UTF-8", path, i, quote.Short(h))
			}
			names[i] = strings.TrimSpace(h)
		}
		return names, nil
	}
	var names []string
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		n++
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s: line %d is %s, which is not UTF-8 text: save the file as UTF-8", path, n, quote.Short(line))
		}
		if name := strings.TrimSpace(line); name != "" {
			names = append(names, name)
		}
	}
	return names, nil
}
