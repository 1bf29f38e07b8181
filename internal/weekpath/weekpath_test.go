package weekpath

import "testing"

func TestOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, want string // want "" means no week
	}{
		{"Model/20190114/0_10.1", "2019-01-14"},
		{"/models/Model/2019-01-14/0_10.1_weights.h5", "2019-01-14"},
		{"models/20190107/Model/20190114/x.h5", "2019-01-14"},
		{"models/20190107/Model/20190230/x.h5", "2019-01-07"}, // the last *valid* date wins
		{"models/20190114/", "2019-01-14"},
		{"models/./20190114/../20190121/m.h5", "2019-01-21"},
		{"20190114", "2019-01-14"},
		{"models/20190114_weights.h5", ""},
		{"models/2019-0114/m.h5", ""},
		{"models/v20190114/m.h5", ""},
		{"models/123456789/m.h5", ""},
		{"", ""},
		{"/", ""},
	} {
		got, ok := Of(tc.path)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("Of(%q) = %q, %v; want %q", tc.path, got, ok, tc.want)
		}
	}
}

func TestOfData(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, want string // want "" means no week
	}{
		{"Data/20190114_train.csv", "2019-01-14"},
		{"Data/train-2019-01-14.csv", "2019-01-14"},
		{"Data/20190114/train.csv", "2019-01-14"},
		{"2019/Data/20190121_holdout.csv", "2019-01-21"},
		{"Data/20190114_vs_20190121.csv", ""}, // two weeks: which?
		{"Data/20190114_20190114.csv", "2019-01-14"},
		{"Data/120190114_train.csv", ""}, // nine digits are not a date
		{"Data/20191314_train.csv", ""},  // no month 13
		{"Data/train.csv", ""},
	} {
		got, ok := OfData(tc.path)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("OfData(%q) = %q, %v; want %q", tc.path, got, ok, tc.want)
		}
	}
}
