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
		"went to zero",          // feature 2's perturb value fades
		"top movers since",      // rank changes
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
// judgements of the newest week, most telling method first: the fade with
// the week the feature ranked best in, the disagreements, the movers.
func TestReportSaysWhatCompareFound(t *testing.T) {
	html, _ := reportFixture(t)
	perturb, _, ok := strings.Cut(html[strings.Index(html, "<h3>"):], "<h3>olden</h3>")
	if !ok || !strings.HasPrefix(perturb, "<h3>perturb</h3>") {
		t.Fatalf("the first section is not perturb's, followed by olden's:\n%.300s", perturb)
	}
	for _, want := range []string{
		`<div class="zero">feature 2 (&lt;img src=x onerror=alert(2)&gt;) went to zero: 0.25 (rank 2) in week 2019-01-14, 0.0009765625 (rank 5) now.</div>`,
		`<div class="warn">feature 3 (tenure): weight-sum rank 1 of 5 but perturb rank 3: large first-layer weights, weak effect on the output</div>`,
		`<tr><th colspan="3">top movers since 2019-02-11 (value moved by more than twice its standard error)</th></tr>`,
		`<tr><td>3</td><td>tenure</td><td class="up">rank 4 → 3</td></tr>`,
	} {
		if !strings.Contains(perturb, want) {
			t.Errorf("perturb's section lacks %s", want)
		}
	}
	if n := strings.Count(html, `<div class="warn">`); n != 2 {
		t.Errorf("%d disagreement warnings, want perturb's 2: weight-based methods are not compared with the weights", n)
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
