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
