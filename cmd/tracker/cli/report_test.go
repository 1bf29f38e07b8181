package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// hostileNames are feature names that would break a page that did not
// escape them.
const hostileNames = "<script>alert(1)</script>\na&b \"quoted\"\n<img src=x onerror=alert(2)>\ntenure\nvisits\n"

func reportFixture(t *testing.T) (html string, dir string) {
	t.Helper()
	db := queryStore(t, 6)
	dir = t.TempDir()
	mustRun(t, db, "features", "set", writeFile(t, filepath.Join(dir, "names.txt"), hostileNames))
	r := tr(t, db, "report", "--out", filepath.Join(dir, "report"))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b), dir
}

func TestReportIsSelfContainedAndEscaped(t *testing.T) {
	html, _ := reportFixture(t)
	for _, bad := range []string{"<script", "<img", "<link", "<iframe", "@import", "url(http"} {
		if strings.Contains(strings.ToLower(html), bad) {
			t.Errorf("the report contains %q: it must load nothing and run nothing", bad)
		}
	}
	if tag := regexp.MustCompile(`<[^>]*\s(src|href|on[a-z]+)=`).FindString(html); tag != "" {
		t.Errorf("the report has a tag that loads or runs something: %s", tag)
	}
	// Every http(s) address is an XML namespace, never something fetched.
	for _, m := range regexp.MustCompile(`https?://[^"' )]+`).FindAllString(html, -1) {
		if m != "http://www.w3.org/2000/svg" && m != "http://www.w3.org/1999/xlink" {
			t.Errorf("the report refers to %s", m)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;", "a&amp;b", // names, escaped
		"2019-01-14", "2019-02-18", // the weeks covered
		"Changes since 2019-02-11 are not judged: the week-to-week noise is not learned yet", // perturb has 2 past weeks
		"Negligible or clearly there: not judged, an output sensitivity cannot tell",         // perturb has no null
		"all 5 features ranked", // the ranked table
		"<svg", "</figure>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if n := strings.Count(html, "<svg"); n < 3 {
		t.Errorf("%d charts, want at least 3", n)
	}
}

// TestReportRendersInChromium opens the report in headless Chromium: the
// page must parse with its charts and log nothing to the console.
func TestReportRendersInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("skipped: chromium is not installed; apt-get install chromium")
	}
	_, dir := reportFixture(t)
	page := "file://" + filepath.Join(dir, "report", "index.html")
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", "--dump-dom", page)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errOut.String())
	}
	dom := out.String()
	if n := strings.Count(dom, "<svg"); n < 3 {
		t.Errorf("the rendered page has %d charts, want at least 3", n)
	}
	if !strings.Contains(dom, "Feature importance: model default") || !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the rendered page lacks its title or the escaped name")
	}
	for _, line := range strings.Split(errOut.String(), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "Failed to load resource") {
			t.Errorf("console: %s", line)
		}
	}
}

// TestReportSaysWhatCompareFound checks that each section carries the
// verdicts of the newest week, most telling method first: on the verdict
// season ending the week newcomer starts to matter, newcomer moves up
// with a significant change, legacy went to zero in the week it dropped,
// and weight-based methods say they judge no effect.
func TestReportSaysWhatCompareFound(t *testing.T) {
	db := verdictStore(t, newcomerWeek+1)
	dir := t.TempDir()
	if r := tr(t, db, "report", "--out", dir); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	first := html[strings.Index(html, "<h3>"):]
	if !strings.HasPrefix(first, "<h3>drop-retrain</h3>") {
		t.Fatalf("the first section is not drop-retrain's:\n%.300s", first)
	}
	_, perm, _ := strings.Cut(first, "<h3>permutation</h3>")
	perm, _, _ = strings.Cut(perm, "<h3>")
	for _, want := range []string{
		`<div class="zero">feature 3 (legacy) went to zero in week ` + verdictWeek(legacyDies) + `: clearly there in week ` + verdictWeek(legacyDies-1) + ` at `,
		`significant movers since ` + verdictWeek(newcomerWeek-1) + ` (beyond both the standard error and the learned week-to-week noise, false discovery rate 5%)`,
		`<td>5</td><td>newcomer</td><td class="up">rank `,
	} {
		if !strings.Contains(perm, want) {
			t.Errorf("permutation's section lacks %s", want)
		}
	}
	if n := strings.Count(perm, `<tr><td>`); n != 1 {
		t.Errorf("permutation's section lists %d movers, want newcomer alone", n)
	}
	if strings.Count(html, `<div class="zero">`) != 1 {
		t.Errorf("want one went-to-zero banner, legacy's: weight-based methods judge no effect")
	}
	for _, want := range []string{"Negligible or clearly there: not judged, no such verdict is possible from weights alone."} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func TestReportRefusesBadArguments(t *testing.T) {
	db := queryStore(t, 2)
	out := filepath.Join(t.TempDir(), "report")
	cases := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"a report without --out is a usage error", []string{"report"}, 2, "tracker: --out DIR is required\n"},
		{"a negative --weeks is a usage error", []string{"report", "--weeks", "-1", "--out", out}, 2, "tracker: --weeks -1: give a positive number (0 = all)\n"},
		{"an unknown model names the series", []string{"report", "--model", "nope", "--out", out}, 1, `tracker: not found: no model series "nope" in this store (tracker list shows the series)` + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := tr(t, db, c.args...)
			if r.code != c.code || !strings.HasPrefix(r.err, c.err) {
				t.Errorf("exit %d, stderr %q; want exit %d, stderr starting %q", r.code, r.err, c.code, c.err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused report left %s behind (%v)", out, err)
			}
		})
	}
}
