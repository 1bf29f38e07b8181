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
