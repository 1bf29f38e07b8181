package tracker_test

import (
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/tracker"
)

func TestParseWeek(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string // want "" means refused
	}{
		{"2019-01-14", "2019-01-14"},
		{"20190114", "2019-01-14"},
		{"2020-02-29", "2020-02-29"},
		{"20200229", "2020-02-29"},
		{"0001-01-01", "0001-01-01"},
		{"9999-12-31", "9999-12-31"},
		{"2019-02-29", ""},
		{"20190229", ""},
		{"2019-13-01", ""},
		{"2019-00-10", ""},
		{"2019-01-00", ""},
		{"2019-1-14", ""},
		{"2019-01-4", ""},
		{"2019-0114", ""},
		{"201901-14", ""},
		{"2019/01/14", ""},
		{"14-01-2019", ""},
		{"190114", ""},
		{"+019-01-14", ""},
		{"-019-01-14", ""},
		{" 2019-01-14", ""},
		{"2019-01-14 ", ""},
		{"2019-01-14T00:00:00Z", ""},
		{"２０１９-01-14", ""},
		{"", ""},
	} {
		got, err := tracker.ParseWeek(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseWeek(%q) = %q, want an error", tc.in, got)
		case tc.want == "" && !strings.Contains(err.Error(), "YYYY-MM-DD or YYYYMMDD"):
			t.Errorf("ParseWeek(%q): %q does not say how to write a week", tc.in, err)
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("ParseWeek(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
