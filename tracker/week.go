package tracker

import (
	"time"

	"github.com/tracker-ml/tracker/internal/fact"
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
	return "", fact.Errorf(ErrBadWeek, "week %q is not a date: write it as YYYY-MM-DD or YYYYMMDD, for example 2019-01-14", s)
}
