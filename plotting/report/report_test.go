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
// movers, without, and without a week before.
func sample() Data {
	return Data{
		Model: "churn <v2>", First: "2019-01-14", Last: "2019-01-21", Weeks: 2, Generated: "2019-03-01 12:00 UTC",
		Versions: []Version{
			{Week: "2019-01-14", Hash: "3068371f07e3", Version: 1, Experiments: 3},
			{Week: "2019-01-21", Hash: "17a765aa2fb8", Version: 2, Experiments: 4},
		},
		Methods: []Method{
			{
				Label: "perturb", Params: "pivots=100 seed=1 data=100 rows sha256:000000000000", PrevWeek: "2019-01-14",
				Rows: []Row{
					{Rank: 1, Index: 1, Name: "<script>alert(1)</script>", Value: "0.5", Spread: "0.01", Move: "+2"},
					{Rank: 2, Index: 0, Name: "a&b", Value: "0.25", Spread: "0.01", Move: "0"},
					{Rank: 3, Index: 2, Name: "", Value: "0.001", Spread: "0.01", Move: "-2"},
				},
				Up:       []Move{{Index: 1, Name: "<script>alert(1)</script>", From: 3, To: 1}},
				Down:     []Move{{Index: 2, Name: "", From: 1, To: 3}},
				Zeroed:   []Zeroed{{Index: 2, Name: "", Was: "0.6", Now: "0.001", WasWeek: "2019-01-14", WasRank: 1, To: 3}},
				Warnings: []string{`feature 0 (a&b): weight-sum rank 1 of 3 but no measurable perturb effect (0): "quoted" <img src=x>`},
			},
			{
				Label: "weight-sum", PrevWeek: "2019-01-14",
				Rows: []Row{{Rank: 1, Index: 0, Name: "a&b", Value: "3", Spread: "0"}},
			},
			{
				Label: "gradient", Params: "rows=10",
				Rows: []Row{{Rank: 1, Index: 0, Name: "a&b", Value: "1", Spread: "0.1"}},
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
	with := Method{Label: "perturb", PrevWeek: "2019-01-14", Up: []Move{{Index: 4, Name: "tenure", From: 9, To: 2}}}
	still := Method{Label: "perturb", PrevWeek: "2019-01-14"}
	alone := Method{Label: "perturb"}
	cases := []struct {
		name          string
		method        Method
		want, without []string
	}{
		{"a method with movers lists them under the week before", with,
			[]string{"top movers since 2019-01-14", `<td>4</td><td>tenure</td><td class="up">rank 9 → 2</td>`}, []string{"No feature moved"}},
		{"a method without movers says none moved since the week before", still,
			[]string{"No feature moved by more than twice its standard error since 2019-01-14."}, []string{"top movers"}},
		{"a method without a week before says nothing of movers", alone,
			nil, []string{"top movers", "No feature moved"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := write(t, Data{Model: "m", Methods: []Method{c.method}})
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
