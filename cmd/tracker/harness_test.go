package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// trackerBin is the tracker binary built once for the process-level tests
// (crash and hostile input): they need a real process to kill, and a real
// process's exit code, signals and peak memory.
var trackerBin string

// scratchRoot holds what the tests share across cases (the binary, the
// good inputs, the crash inputs); TestMain removes it at the end.
var scratchRoot string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "tracker-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		scratchRoot = dir
		if _, err := exec.LookPath("go"); err == nil {
			bin := filepath.Join(dir, "tracker")
			out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "build tracker: %v\n%s", err, out)
				return 1
			}
			trackerBin = bin
		}
		return m.Run()
	}()
	os.Exit(code)
}

// needBinary skips a test when the go tool was missing to build tracker.
func needBinary(t testing.TB) {
	t.Helper()
	if trackerBin == "" {
		t.Skip("skipped: no go tool on PATH to build the tracker binary")
	}
}

// run is one finished tracker process.
type run struct {
	code           int
	stdout, stderr string
	maxRSS         int64 // bytes
	elapsed        time.Duration
	timedOut       bool
	signal         syscall.Signal // set when the process died on a signal
}

// limitedCommand builds a tracker command whose address space is capped
// (prlimit, when present), so a runaway allocation fails in the child
// instead of taking the machine's memory.
func limitedCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	name, argv := trackerBin, args
	if p, err := exec.LookPath("prlimit"); err == nil {
		name, argv = p, append([]string{"--as=8589934592", "--", trackerBin}, args...)
	}
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TRACKER_DB=", "TMPDIR="+dir)
	return cmd
}

// runTracker runs tracker in dir with a time limit and returns what it did.
func runTracker(t testing.TB, dir string, limit time.Duration, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := limitedCommand(ctx, dir, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errOut.String(), elapsed: time.Since(start), timedOut: ctx.Err() != nil}
	if cmd.ProcessState == nil {
		t.Fatalf("start tracker %s: %v", strings.Join(args, " "), err)
	}
	r.code = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.signal = ws.Signal()
	}
	return r
}

// mustTracker runs tracker and fails the test unless it exits 0.
func mustTracker(t testing.TB, dir string, args ...string) string {
	t.Helper()
	r := runTracker(t, dir, 5*time.Minute, args...)
	if r.code != 0 {
		t.Fatalf("tracker %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// crashSigns are what a Go or C crash prints; no input may cause them.
var crashSigns = []string{"panic", "goroutine ", "fatal error", "SIGBUS", "SIGSEGV", "HDF5-DIAG", "runtime."}

func crashSign(stderr string) string {
	for _, s := range crashSigns {
		if strings.Contains(stderr, s) {
			return s
		}
	}
	return ""
}

// writePlanted writes the planted-truth model (snapshottest.Planted) as
// dir/Model/20190114/planted_{structure.json,weights.h5} and 300 rows of
// its data as dir/planted.csv.
func writePlanted(dir string) error {
	snap, err := snapshottest.Planted(snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
	if err != nil {
		return err
	}
	if _, _, err := keras.Export(snap, filepath.Join(dir, "Model", "20190114"), "planted"); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "planted.csv"), snapshottest.PlantedCSV(300), 0o644)
}

// writeWideWeeks writes weeks production-shaped models (82 -> 500 -> 500
// -> 500 -> 2, 2.4 MB of weights each) under dir/Model/YYYYMMDD/ from
// 2019-01-14 on, and returns their prefixes.
func writeWideWeeks(dir string, weeks int) ([]string, error) {
	var prefixes []string
	start := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC)
	for w := range weeks {
		snap, err := snapshottest.RandomMLP(uint64(w+1), []int{82, 500, 500, 500, 2}, snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
		if err != nil {
			return nil, err
		}
		d := filepath.Join(dir, "Model", start.AddDate(0, 0, 7*w).Format("20060102"))
		if _, _, err := keras.Export(snap, d, "wide"); err != nil {
			return nil, err
		}
		prefixes = append(prefixes, filepath.Join(d, "wide"))
	}
	return prefixes, nil
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
