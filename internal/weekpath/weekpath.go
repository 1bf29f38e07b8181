// Package weekpath reads the week a file belongs to from its path, the way
// the team lays out its retrains: Model/20190114/NAME_weights.h5. It is a
// naming convention of the users' folders, not of the store, so it lives
// apart from it; weeks come out as YYYY-MM-DD, as the store writes them.
package weekpath

import (
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

var dateComponent = regexp.MustCompile(`^\d{4}-?\d{2}-?\d{2}$`)

// Of finds the week in a path like Model/20190114/0_10.1: the last path
// component that is a valid YYYYMMDD or YYYY-MM-DD date.
func Of(path string) (string, bool) {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if !dateComponent.MatchString(parts[i]) {
			continue
		}
		for _, layout := range []string{"2006-01-02", "20060102"} {
			if len(parts[i]) != len(layout) {
				continue
			}
			if t, err := time.Parse(layout, parts[i]); err == nil {
				return t.Format("2006-01-02"), true
			}
		}
	}
	return "", false
}

// dateInName is a date in a file's name, set off from other digits:
// 20190114_train.csv, train-2019-01-14.csv.
var dateInName = regexp.MustCompile(`(?:^|\D)(\d{4}-\d{2}-\d{2}|\d{8})(?:\D|$)`)

// OfData finds the week of a data file: a date in its name, as weekly
// extracts are named (Data/20190114_train.csv), or else a date directory
// as for a model (Data/20190114/train.csv). A name with two different
// dates says nothing.
func OfData(path string) (string, bool) {
	var found string
	for _, m := range dateInName.FindAllStringSubmatch(filepath.Base(path), -1) {
		for _, layout := range []string{"2006-01-02", "20060102"} {
			t, err := time.Parse(layout, m[1])
			if err != nil || len(m[1]) != len(layout) {
				continue
			}
			w := t.Format("2006-01-02")
			if found != "" && found != w {
				return "", false
			}
			found = w
		}
	}
	if found != "" {
		return found, true
	}
	return Of(filepath.Dir(path))
}
