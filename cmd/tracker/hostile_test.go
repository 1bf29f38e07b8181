package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The hostile-input corpus: every directory under testdata/hostile is one
// input that tracker must refuse cleanly. See testdata/hostile/README.md
// for the layout of a case.
const (
	hostileDir = "testdata/hostile"
	// Bounds on a refusal: a message, not a dump; seconds, not minutes;
	// a few hundred MB at most whatever the input declares.
	hostileMaxStderr = 2000
	hostileMaxTime   = 20 * time.Second
	hostileMaxRSS    = 300 << 20
	hostileGenTime   = 30 * time.Second
	exitSkipCase     = 77 // a gen script's "cannot run here"
	pythonForGen     = "/usr/bin/python3"
)

// goodInputs is built once: a directory with a good model and data, and a
// store holding that model's week 2019-01-14, for cases to start from.
var goodInputs = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp(scratchRoot, "tracker-hostile-good-")
	if err != nil {
		return "", err
	}
	if err := writePlanted(dir); err != nil {
		return "", err
	}
	out, err := exec.Command(trackerBin, "--db", filepath.Join(dir, "base.db"), "ingest", filepath.Join(dir, "Model", "20190114", "planted")).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ingest the good model: %v\n%s", err, out)
	}
	return dir, nil
})

func TestHostileInputsAreRefusedCleanly(t *testing.T) {
	needBinary(t)
	cases, err := os.ReadDir(hostileDir)
	if err != nil {
		t.Fatal(err)
	}
	good, err := goodInputs()
	if err != nil {
		t.Fatal(err)
	}
	fixtures := sharedFixtures()
	n, ran := 0, 0
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		n++
		t.Run(c.Name(), func(t *testing.T) {
			defer func() {
				if !t.Skipped() {
					ran++
				}
			}()
			caseDir, err := filepath.Abs(filepath.Join(hostileDir, c.Name()))
			if err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			db := filepath.Join(tmp, "tracker.db")
			copyFile(t, filepath.Join(good, "base.db"), db)
			if gen := filepath.Join(caseDir, "gen"); exists(gen) {
				runGen(t, gen, caseDir, tmp, good, fixtures)
			}
			args := caseArgs(t, caseDir, tmp, db)
			before := fileHash(t, db)
			r := runTracker(t, tmp, hostileMaxTime, args...)
			switch {
			case r.timedOut:
				t.Fatalf("tracker %s: still running after %s", strings.Join(args, " "), hostileMaxTime)
			case r.signal != 0:
				t.Fatalf("tracker %s: died on %v\n%s", strings.Join(args, " "), r.signal, cut(r.stderr))
			case r.code != 1:
				t.Fatalf("tracker %s: exit %d, want 1\n%s", strings.Join(args, " "), r.code, cut(r.stderr))
			}
			if s := crashSign(r.stderr); s != "" {
				t.Errorf("stderr shows a crash (%q):\n%s", s, cut(r.stderr))
			}
			if len(r.stderr) > hostileMaxStderr {
				t.Errorf("stderr is %d bytes, want at most %d:\n%s", len(r.stderr), hostileMaxStderr, cut(r.stderr))
			}
			for _, want := range lines(t, filepath.Join(caseDir, "expect")) {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, cut(r.stderr))
				}
			}
			if r.maxRSS > hostileMaxRSS {
				t.Errorf("peak memory %d MB, want under %d MB", r.maxRSS>>20, hostileMaxRSS>>20)
			}
			if after := fileHash(t, db); after != before {
				t.Errorf("the store changed")
			}
			t.Logf("exit %d in %s, peak %d MB: %s", r.code, r.elapsed.Round(time.Millisecond), r.maxRSS>>20, strings.TrimSpace(cut(r.stderr)))
		})
	}
	t.Logf("%d of %d cases ran (the others need files this machine lacks)", ran, n)
	if ran < 40 {
		t.Errorf("%d hostile cases ran, want at least 40", ran)
	}
}

// runGen runs a case's gen script in its scratch directory; exit 77 skips
// the case (for example when the shared fixtures it corrupts are absent).
func runGen(t *testing.T, gen, caseDir, tmp, good, fixtures string) {
	t.Helper()
	if script, err := os.ReadFile(gen); err == nil && strings.Contains(string(script), pythonForGen) && !exists(pythonForGen) {
		t.Skipf("skipped: this case's gen script needs %s", pythonForGen)
	}
	cmd := exec.Command("bash", gen)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "CASE="+caseDir, "TMP="+tmp, "GOOD="+good, "FIXTURES="+fixtures)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if cmd.ProcessState.ExitCode() == exitSkipCase {
			t.Skipf("skipped: %s", strings.TrimSpace(out.String()))
		}
		if err != nil {
			t.Fatalf("gen: %v\n%s", err, out.String())
		}
	case <-time.After(hostileGenTime):
		cmd.Process.Kill()
		t.Fatalf("gen still running after %s", hostileGenTime)
	}
}

// caseArgs reads a case's args file, one argument a line, with $CASE, $TMP
// and $DB replaced. The store always comes first as --db.
func caseArgs(t *testing.T, caseDir, tmp, db string) []string {
	t.Helper()
	r := strings.NewReplacer("$CASE", caseDir, "$TMP", tmp, "$DB", db)
	args := []string{"--db", db}
	for _, l := range lines(t, filepath.Join(caseDir, "args")) {
		args = append(args, r.Replace(l))
	}
	return args
}

// lines reads the non-empty lines of a small text file.
func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// cut keeps a test failure readable when the output is the problem.
func cut(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "…"
	}
	return s
}

// sharedFixtures is ../shared/fixtures beside the checkout, or "".
func sharedFixtures() string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures"))
	if err != nil || !exists(filepath.Join(dir, "keras")) {
		return ""
	}
	return dir
}
