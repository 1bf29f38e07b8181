package plotting

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/cmpimg"
	"gonum.org/v1/plot/vg"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.png|svg from the current output")

// pngDelta allows anti-aliasing differences between machines; a moved
// label or a changed colour is far above it.
const pngDelta = 0.02

// golden compares a chart with testdata/NAME.golden.EXT, or rewrites the
// file with -update. A mismatch leaves the new image next to the test's
// temporary files and names it, so it can be looked at.
func golden(t *testing.T, name string, format Format, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden."+string(format))
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plotting -update to create it)", err)
	}
	ok, err := cmpimg.EqualApprox(string(format), got, want, pngDelta)
	if err != nil {
		t.Fatalf("compare %s: %v", path, err)
	}
	if !ok {
		failed := filepath.Join(t.TempDir(), name+".got."+string(format))
		_ = os.WriteFile(failed, got, 0o644)
		t.Errorf("%s differs from %s; look at both, then run go test ./plotting -update if the change is intended (got kept until the test ends: %s)",
			name, path, failed)
	}
}

// goldenData is small, fixed input: 12 or 104 weeks, 20 features with a
// few long names, NaN gaps, negative values and missing ranks.
func goldenData(weeks int) (w []string, names []string, imp [][]float64) {
	w = sampleWeeks(weeks)
	names = sampleNames(20)
	imp = sampleImportance(20, weeks, 42)
	return w, names, imp
}

var charts = []struct {
	name string
	draw func(w io.Writer, f Format) error
}{
	{"trajectory", func(w io.Writer, f Format) error {
		weeks, _, _ := goldenData(12)
		return Trajectory(w, f, "concave points_worst", weeks, sampleTrajectory(12, 7), false)
	}},
	{"trajectory_normalized_104", func(w io.Writer, f Format) error {
		weeks, _, _ := goldenData(104)
		return Trajectory(w, f, "concave points_worst (normalized)", weeks, sampleTrajectory(104, 7), true)
	}},
	{"compare", func(w io.Writer, f Format) error {
		weeks, names, imp := goldenData(12)
		a, b := make([]float64, len(names)), make([]float64, len(names))
		for i := range names {
			a[i], b[i] = imp[i][0], imp[i][11]
		}
		a[3], b[7], b[9] = -0.04, -0.02, math.NaN()
		return Compare(w, f, "permutation importance", weeks[0], weeks[11], names, a, b)
	}},
	{"heatmap", func(w io.Writer, f Format) error {
		weeks, names, imp := goldenData(12)
		r := ranksOf(imp)
		r[4][5], r[4][6], r[15][0] = 0, 0, 0
		return Heatmap(w, f, "rank by week", weeks, names, r)
	}},
	{"ranks", func(w io.Writer, f Format) error {
		weeks, names, imp := goldenData(12)
		return Ranks(w, f, "top 6 features", weeks, sampleRankLines(imp, names, 6))
	}},
}

func TestChartsMatchGoldenImages(t *testing.T) {
	for _, c := range charts {
		for _, f := range []Format{PNG, SVG} {
			t.Run(c.name+" as "+string(f), func(t *testing.T) {
				var buf bytes.Buffer
				if err := c.draw(&buf, f); err != nil {
					t.Fatal(err)
				}
				golden(t, c.name, f, buf.Bytes())
			})
		}
	}
}

func TestRenderingIsDeterministic(t *testing.T) {
	for _, c := range charts[2:4] {
		var a, b bytes.Buffer
		if err := c.draw(&a, PNG); err != nil {
			t.Fatal(err)
		}
		if err := c.draw(&b, PNG); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renderings of the same data differ", c.name)
		}
	}
}

// SVGs are inlined in an HTML report: they must carry their own size and
// viewBox, and must not fetch anything.
func TestSVGIsSelfContainedAndScales(t *testing.T) {
	viewBox := regexp.MustCompile(`<svg width="[0-9.]+pt" height="[0-9.]+pt" viewBox="0 0 [0-9.]+ [0-9.]+"`)
	for _, c := range charts {
		var buf bytes.Buffer
		if err := c.draw(&buf, SVG); err != nil {
			t.Fatal(err)
		}
		s := buf.String()
		if !viewBox.MatchString(s) {
			t.Errorf("%s: no <svg> with width, height and viewBox", c.name)
		}
		for _, ref := range []string{"href", "url(", "<image", "@import", "<script"} {
			if strings.Contains(s, ref) {
				t.Errorf("%s: SVG contains %q; it must not reference anything outside itself", c.name, ref)
			}
		}
		if !strings.Contains(s, "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;") {
			t.Errorf("%s: text does not fall back to metric-compatible fonts", c.name)
		}
	}
}

func TestFormatFor(t *testing.T) {
	for _, tc := range []struct {
		path    string
		want    Format
		wantErr string
	}{
		{"out/chart.png", PNG, ""},
		{"REPORT.SVG", SVG, ""},
		{"chart.jpg", "", `chart file "chart.jpg": extension ".jpg" is not supported; end it in .png or .svg: unsupported chart format`},
		{"chart", "", `chart file "chart" has no extension; end it in .png or .svg: unsupported chart format`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got, err := FormatFor(tc.path)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrFormat) {
					t.Fatalf("FormatFor(%q) error = %v, want %q wrapping ErrFormat", tc.path, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FormatFor(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
			}
		})
	}
}

func TestBadInputIsRejectedWithAnActionableError(t *testing.T) {
	weeks := []string{"2019-01-14", "2019-01-21", "2019-01-28"}
	nan := math.NaN()
	for _, tc := range []struct {
		name    string
		draw    func(io.Writer) error
		want    error
		wantMsg string
	}{
		{"an unknown format is refused", func(w io.Writer) error {
			return Trajectory(w, "jpg", "", weeks, []Series{{"p", []float64{1, 2, 3}}}, false)
		}, ErrFormat, `format "jpg": want "png" or "svg": unsupported chart format`},
		{"a trajectory without weeks says to ingest", func(w io.Writer) error {
			return Trajectory(w, PNG, "", nil, []Series{{"p", nil}}, false)
		}, ErrNoData, "trajectory: no weeks given; ingest at least one week first: no data to plot"},
		{"a trajectory without series asks for one per method", func(w io.Writer) error {
			return Trajectory(w, PNG, "", weeks, nil, false)
		}, ErrNoData, "trajectory: no series given; pass one per method: no data to plot"},
		{"a short series names itself and both counts", func(w io.Writer) error {
			return Trajectory(w, PNG, "", weeks, []Series{{"ok", []float64{1, 2, 3}}, {"drop-column", []float64{1, 2}}}, false)
		}, ErrLength, `trajectory: series "drop-column" has 2 values for 3 weeks; give one per week, NaN where a week has no record: length mismatch`},
		{"an infinite value names the series and week", func(w io.Writer) error {
			return Trajectory(w, SVG, "", weeks, []Series{{"gradient", []float64{1, math.Inf(1), 3}}}, true)
		}, ErrValue, `trajectory: series "gradient" is infinite in week 2019-01-21; check the experiment that produced it: invalid value`},
		{"an all-NaN trajectory has nothing to draw", func(w io.Writer) error {
			return Trajectory(w, PNG, "", weeks, []Series{{"p", []float64{nan, nan, nan}}}, false)
		}, ErrNoData, "trajectory: every value is NaN (no week has a record); run the experiments first: no data to plot"},
		{"compare without features asks for names", func(w io.Writer) error {
			return Compare(w, PNG, "", "a", "b", nil, nil, nil)
		}, ErrNoData, "compare: no features given; pass one name per feature: no data to plot"},
		{"compare names the week whose values are short", func(w io.Writer) error {
			return Compare(w, PNG, "", "2019-01-14", "2019-01-21", []string{"f0", "f1"}, []float64{1, 2}, []float64{1})
		}, ErrLength, "compare: week 2019-01-21 has 1 values for 2 features; give one per feature, NaN where it has no record: length mismatch"},
		{"compare names an infinite feature", func(w io.Writer) error {
			return Compare(w, PNG, "", "2019-01-14", "2019-01-21", []string{"f0", "radius_mean"}, []float64{1, math.Inf(-1)}, []float64{1, 2})
		}, ErrValue, `compare: feature "radius_mean" is infinite in week 2019-01-14; check the experiment that produced it: invalid value`},
		{"compare of two empty weeks has nothing to draw", func(w io.Writer) error {
			return Compare(w, PNG, "", "2019-01-14", "2019-01-21", []string{"f0"}, []float64{nan}, []float64{nan})
		}, ErrNoData, "compare: every value is NaN in both weeks 2019-01-14 and 2019-01-21; run the experiments first: no data to plot"},
		{"a heatmap needs one rank row per feature", func(w io.Writer) error {
			return Heatmap(w, PNG, "", weeks, []string{"f0", "f1"}, [][]int{{1, 1, 1}})
		}, ErrLength, "heatmap: 1 rank rows for 2 features; give one row per feature: length mismatch"},
		{"a heatmap row of the wrong length names its feature", func(w io.Writer) error {
			return Heatmap(w, PNG, "", weeks, []string{"f0", "f1"}, [][]int{{1, 1, 1}, {2, 2}})
		}, ErrLength, `heatmap: feature "f1" has 2 ranks for 3 weeks; give one per week, 0 where a week has no record: length mismatch`},
		{"a negative rank names feature and week", func(w io.Writer) error {
			return Heatmap(w, PNG, "", weeks, []string{"f0"}, [][]int{{1, -1, 1}})
		}, ErrValue, `heatmap: feature "f0" has rank -1 in week 2019-01-21; ranks start at 1 (0 = no record): invalid value`},
		{"a heatmap of zeros has nothing to draw", func(w io.Writer) error {
			return Heatmap(w, PNG, "", weeks, []string{"f0"}, [][]int{{0, 0, 0}})
		}, ErrNoData, "heatmap: every rank is 0 (no week has a record); run the experiments first: no data to plot"},
		{"a heatmap without weeks says to ingest", func(w io.Writer) error {
			return Heatmap(w, PNG, "", nil, []string{"f0"}, [][]int{{}})
		}, ErrNoData, "heatmap: no weeks given; ingest at least one week first: no data to plot"},
		{"ranks without lines asks for features", func(w io.Writer) error {
			return Ranks(w, PNG, "", weeks, nil)
		}, ErrNoData, "ranks: no features given; pass one line per feature: no data to plot"},
		{"a short rank line names its feature", func(w io.Writer) error {
			return Ranks(w, PNG, "", weeks, []RankLine{{"texture_mean", []int{1}}})
		}, ErrLength, `ranks: feature "texture_mean" has 1 ranks for 3 weeks; give one per week, 0 where a week has no record: length mismatch`},
		{"a negative rank in a line is refused", func(w io.Writer) error {
			return Ranks(w, PNG, "", weeks, []RankLine{{"f0", []int{1, 2, -3}}})
		}, ErrValue, `ranks: feature "f0" has rank -3 in week 2019-01-28; ranks start at 1 (0 = no record): invalid value`},
		{"ranks of zeros have nothing to draw", func(w io.Writer) error {
			return Ranks(w, PNG, "", weeks, []RankLine{{"f0", []int{0, 0, 0}}})
		}, ErrNoData, "ranks: every rank is 0 (no week has a record); run the experiments first: no data to plot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tc.draw(&buf)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want one wrapping %v", err, tc.want)
			}
			if err.Error() != tc.wantMsg {
				t.Errorf("error message\n got: %s\nwant: %s", err, tc.wantMsg)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

// The smallest inputs (one week, one feature, rank 1 only) still draw.
func TestTinyInputsDraw(t *testing.T) {
	one := []string{"2019-01-14"}
	for name, draw := range map[string]func(io.Writer) error{
		"trajectory": func(w io.Writer) error { return Trajectory(w, PNG, "", one, []Series{{"p", []float64{0}}}, true) },
		"compare": func(w io.Writer) error {
			return Compare(w, PNG, "", "", "", []string{"f0"}, []float64{0}, []float64{0})
		},
		"heatmap": func(w io.Writer) error { return Heatmap(w, PNG, "", one, []string{"f0"}, [][]int{{1}}) },
		"ranks":   func(w io.Writer) error { return Ranks(w, SVG, "", one, []RankLine{{"f0", []int{1}}}) },
	} {
		if err := draw(io.Discard); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestChartsLeaveTheirInputsAlone(t *testing.T) {
	weeks := sampleWeeks(3)
	names := []string{"b", "a_feature_name_that_is_much_too_long_to_show_whole", "c"}
	a, b := []float64{1, 3, 2}, []float64{3, 1, 2}
	series := []Series{{"p", []float64{1, 4, 2}}}
	before := fmt.Sprint(weeks, names, a, b, series)
	_ = Compare(io.Discard, PNG, "", weeks[0], weeks[2], names, a, b)
	_ = Trajectory(io.Discard, PNG, "", weeks, series, true)
	if after := fmt.Sprint(weeks, names, a, b, series); after != before {
		t.Errorf("inputs changed:\n got %s\nwant %s", after, before)
	}
}

func TestCompareSortsByWeekBThenWeekA(t *testing.T) {
	nan := math.NaN()
	a := []float64{5, 1, 9, 2, nan}
	b := []float64{1, 3, nan, 3, nan}
	want := []int{1, 3, 0, 2, 4} // b desc, ties keep order; b missing: by a; nothing last
	if got := compareOrder(a, b); !slices.Equal(got, want) {
		t.Errorf("compareOrder = %v, want %v", got, want)
	}
}

func TestWeekLabelsDoNotCrowd(t *testing.T) {
	sty := newPlot("", "").X.Tick.Label
	for _, tc := range []struct {
		weeks      int
		span       vg.Length
		wantStride int
	}{
		{12, 560, 1},
		{52, 560, 2},
		{104, 560, 4},
		{104, 150, 13},
	} {
		t.Run(fmt.Sprintf("%d weeks on %v", tc.weeks, tc.span), func(t *testing.T) {
			ticks := weekTicks(sampleWeeks(tc.weeks), tc.span, sty)
			if len(ticks) != tc.weeks {
				t.Fatalf("%d ticks, want one per week (%d)", len(ticks), tc.weeks)
			}
			if ticks[tc.weeks-1].IsMinor() {
				t.Errorf("the newest week is not labelled")
			}
			var labelled []int
			for i, tk := range ticks {
				if !tk.IsMinor() {
					labelled = append(labelled, i)
				}
			}
			if stride := labelled[1] - labelled[0]; stride != tc.wantStride {
				t.Errorf("labels every %d weeks, want every %d", stride, tc.wantStride)
			}
		})
	}
}

func TestRankOneIsDarkest(t *testing.T) {
	lum := func(c color.Color) float64 {
		r, g, b, _ := c.RGBA()
		return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
	}
	prev := -1.0
	for r := 1; r <= 82; r++ {
		l := lum(rankColor(r, 82))
		if l < prev {
			t.Fatalf("rank %d is darker than rank %d", r, r-1)
		}
		prev = l
	}
	if rankColor(0, 82) != missingColor {
		t.Errorf("rank 0 is not the missing colour")
	}
}

func TestShortenKeepsBothEnds(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"concave points_worst", "concave points_worst"},
		{"a_very_long_feature_name_from_a_join_of_three_tables", "a_very_long_fea…_of_three_tables"},
	} {
		if got := shorten(tc.in, maxNameRunes); got != tc.want {
			t.Errorf("shorten(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
