package tracker

import (
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// weekLayout is how weeks are written everywhere: ISO dates sort by time.
const weekLayout = "2006-01-02"

// ParseWeek accepts YYYY-MM-DD or YYYYMMDD and returns YYYY-MM-DD; its
// error matches ErrBadWeek.
func ParseWeek(s string) (string, error) {
	for _, layout := range []string{weekLayout, "20060102"} {
		if len(s) != len(layout) {
			continue
		}
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(weekLayout), nil
		}
	}
	return "", factf(ErrBadWeek, "week %q is not a date: write it as YYYY-MM-DD or YYYYMMDD, for example 2019-01-14", s)
}

var dateComponent = regexp.MustCompile(`^\d{4}-?\d{2}-?\d{2}$`)

// WeekFromPath finds the week in a path like Model/20190114/0_10.1: the last
// path component that is a valid YYYYMMDD or YYYY-MM-DD date.
func WeekFromPath(path string) (string, bool) {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if !dateComponent.MatchString(parts[i]) {
			continue
		}
		if w, err := ParseWeek(parts[i]); err == nil {
			return w, true
		}
	}
	return "", false
}
