package report

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/page.golden.html from the current output")

// sample is a page with every part filled in, names that would break a
// page that did not escape them, and one method of each shape: with
// movers, with changes not judged yet, with a change of the whole model,
// and without a week before.
func sample() Data {
	return Data{
		Model: "churn <v2>", First: "2019-01-14", Last: "2019-01-21", Weeks: 2, Generated: "2019-03-01 12:00 UTC", FDR: "5%",
		Versions: []Version{
			{Week: "2019-01-14", Hash: "3068371f07e3", Version: 1, Experiments: 3},
			{Week: "2019-01-21", Hash: "17a765aa2fb8", Version: 2, Experiments: 4},
		},
		Methods: []Method{
			{
				Label: "permutation", Params: "repeats=5 seed=1 data=100 rows sha256:000000000000", PrevWeek: "2019-01-14", Significant: 2, Compared: 3,
				Rows: []Row{
					{Rank: 1, Index: 1, Name: "<script>alert(1)</script>", Value: "0.5", Spread: "0.01", SE: "0.0045", Move: "+2", Change: "+0.4", Significant: true, Negligible: "no"},
					{Rank: 2, Index: 0, Name: "a&b", Value: "0.25", Spread: "0.01", SE: "0.0045", Move: "0", Change: "+0.01", Negligible: "no"},
					{Rank: 3, Index: 2, Name: "", Value: "0.001", Spread: "0.01", SE: "0.0045", Move: "-2", Change: "-0.6", Significant: true, Negligible: "yes"},
				},
				Up:       []Move{{Index: 1, Name: "<script>alert(1)</script>", From: 3, To: 1, Change: "+0.4"}},
				Down:     []Move{{Index: 2, Name: "", From: 1, To: 3, Change: "-0.6"}},
				Zeroed:   []Zeroed{{Index: 2, Name: "", Was: "0.6", Now: "0.001", ThereWeek: "2019-01-14", DroppedWeek: "2019-01-21", WasRank: 1, To: 3}},
				Warnings: []string{`feature 0 (a&b): weight-sum rank 1 of 3 but no measurable permutation effect (0): "quoted" <img src=x>`},
			},
			{
				Label: "perturb", Params: "pivots=100", PrevWeek: "2019-01-14", Unjudged: "the week-to-week noise is not learned yet (1 of 4 past weeks)",
				Negligible: "an output sensitivity cannot tell a small effect from none without a null",
				Rows:       []Row{{Rank: 1, Index: 0, Name: "a&b", Value: "0.3", Spread: "0.01", SE: "0.001", Change: "+0.01"}},
			},
			{
				Label: "weight-sum", PrevWeek: "2019-01-14", Significant: 3, Compared: 3, ModelWide: true, Negligible: "no such verdict is possible from weights alone",
				Rows: []Row{{Rank: 1, Index: 0, Name: "a&b", Value: "3", Spread: "0"}},
			},
			{
				Label: "gradient", Params: "rows=10",
				Rows: []Row{{Rank: 1, Index: 0, Name: "a&b", Value: "1", Spread: "0.1", SE: "0.0032"}},
			},
		},
		Charts: []Chart{{Title: "Rank by <perturb>", SVG: template.HTML(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><text>a&amp;b</text></svg>`)}},
	}
}

func write(t *testing.T, d Data) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestWriteGolden(t *testing.T) {
	got := write(t, sample())
	path := filepath.Join("testdata", "page.golden.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plotting/report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the page differs from %s; run go test ./plotting/report -update if the change is intended\n%s", path, firstDifference(got, string(want)))
	}
}

// firstDifference shows the first line where got and want part.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, a, b)
		}
	}
	return ""
}

func TestWriteEscapesEveryStringButTheCharts(t *testing.T) {
	page := write(t, sample())
	for _, bad := range []string{"<script", "<img", "<v2>", "<perturb>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "a&amp;b", "churn &lt;v2&gt;", "&lt;img src=x&gt;", "&#34;quoted&#34;", `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><text>a&amp;b</text></svg>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if tag := regexp.MustCompile(`<[^>]*\s(src|href|on[a-z]+)=`).FindString(page); tag != "" {
		t.Errorf("the page has a tag that loads or runs something: %s", tag)
	}
}

func TestWriteSaysWhatMovedSinceTheWeekBefore(t *testing.T) {
	with := Method{Label: "perturb", PrevWeek: "2019-01-14", Up: []Move{{Index: 4, Name: "tenure", From: 9, To: 2, Change: "+0.3"}}, Significant: 1, Compared: 5}
	still := Method{Label: "perturb", PrevWeek: "2019-01-14", Compared: 5}
	kept := Method{Label: "perturb", PrevWeek: "2019-01-14", Significant: 2, Compared: 5}
	early := Method{Label: "perturb", PrevWeek: "2019-01-14", Unjudged: "the week-to-week noise is not learned yet (2 of 4 past weeks)"}
	whole := Method{Label: "perturb", PrevWeek: "2019-01-14", Significant: 4, Compared: 5, ModelWide: true}
	alone := Method{Label: "perturb"}
	cases := []struct {
		name          string
		method        Method
		want, without []string
	}{
		{"a method with movers lists them under the week before, with the rule", with,
			[]string{"significant movers since 2019-01-14 (beyond both the standard error and the learned week-to-week noise, false discovery rate 5%)", `<td>4</td><td>tenure</td><td class="up">rank 9 → 2</td><td class="num">&#43;0.3</td>`}, []string{"No feature moved"}},
		{"a method without movers says none moved since the week before", still,
			[]string{"No feature moved rank with a significant change since 2019-01-14."}, []string{"significant movers", "kept their rank"}},
		{"significant changes that kept their rank are counted", kept,
			[]string{"No feature moved rank with a significant change since 2019-01-14; 2 changed significantly and kept their rank."}, nil},
		{"while the noise is not learned the page says so and claims nothing", early,
			[]string{"Changes since 2019-01-14 are not judged: the week-to-week noise is not learned yet (2 of 4 past weeks)."}, []string{"significant movers", "No feature moved"}},
		{"a week where most features changed says the whole model changed", whole,
			[]string{"4 of 5 features changed significantly since 2019-01-14: the whole model changed"}, nil},
		{"a method without a week before says nothing of movers", alone,
			nil, []string{"significant movers", "No feature moved", "not judged"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := write(t, Data{Model: "m", FDR: "5%", Methods: []Method{c.method}})
			for _, s := range c.want {
				if !strings.Contains(page, s) {
					t.Errorf("the page lacks %q", s)
				}
			}
			for _, s := range c.without {
				if strings.Contains(page, s) {
					t.Errorf("the page has %q", s)
				}
			}
		})
	}
}

// failAfter fails every write after the first n bytes.
type failAfter struct{ n int }

var errFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteReturnsTheWritersError(t *testing.T) {
	if err := Write(&failAfter{n: 100}, sample()); !errors.Is(err, errFull) {
		t.Errorf("Write to a full disk: %v, want %v", err, errFull)
	}
}
