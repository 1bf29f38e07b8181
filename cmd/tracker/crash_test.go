package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// killsPerScenario is how many times each crash scenario is killed: a few
// in the normal test run, TRACKER_CRASH_KILLS in `make reliability`.
func killsPerScenario(t *testing.T) int {
	if s := os.Getenv("TRACKER_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("TRACKER_CRASH_KILLS=%q: want a positive count", s)
		}
		return n
	}
	if testing.Short() {
		return 1
	}
	return 3
}

// crashInputs are the models and data the scenarios share, written once.
type crashInputs struct {
	dir     string
	wide    []string // four weeks of 82 -> 500x3 -> 2
	wideCSV string   // 400 labelled rows for them
	planted string   // the planted model's prefix
	plCSV   string
}

var sharedCrashInputs = sync.OnceValues(func() (*crashInputs, error) {
	dir, err := os.MkdirTemp(scratchRoot, "tracker-crash-")
	if err != nil {
		return nil, err
	}
	in := &crashInputs{dir: dir}
	if in.wide, err = writeWideWeeks(dir, 4); err != nil {
		return nil, err
	}
	in.wideCSV = filepath.Join(dir, "wide.csv")
	if err := os.WriteFile(in.wideCSV, wideCSV(400), 0o644); err != nil {
		return nil, err
	}
	if err := writePlanted(dir); err != nil {
		return nil, err
	}
	in.planted = filepath.Join(dir, "Model", "20190114", "planted")
	in.plCSV = filepath.Join(dir, "planted.csv")
	return in, nil
})

// wideCSV is rows of 82 standard-normal features and a 0/1 label.
func wideCSV(rows int) []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for j := range 82 {
		fmt.Fprintf(&b, "x%d,", j)
	}
	b.WriteString("label\n")
	for range rows {
		for range 82 {
			b.WriteString(strconv.FormatFloat(float64(float32(rng.NormFloat64())), 'g', -1, 32))
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(rng.IntN(2)))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// crashScenario is a command that writes to the store, killed with SIGKILL
// at a random moment.
type crashScenario struct {
	name string
	// prepare makes the store the command starts from (db may not exist
	// afterwards: the command creates it).
	prepare func(t *testing.T, in *crashInputs, db string)
	args    func(in *crashInputs) []string
	// versions lists the version counts a killed run may leave; any other
	// count means an ingest landed in part.
	versions []int
	// newStore: the killed command may leave no store at all.
	newStore bool
}

var crashScenarios = []crashScenario{
	{
		// A small model, so that creating the store is much of the run.
		name:     "ingest into a new store",
		prepare:  func(*testing.T, *crashInputs, string) {},
		args:     func(in *crashInputs) []string { return []string{"ingest", in.planted} },
		versions: []int{0, 1},
		newStore: true,
	},
	{
		name:     "ingest four weeks into a new store",
		prepare:  func(*testing.T, *crashInputs, string) {},
		args:     func(in *crashInputs) []string { return append([]string{"ingest"}, in.wide...) },
		versions: []int{0, 4},
		newStore: true,
	},
	{
		name: "ingest into an existing store",
		prepare: func(t *testing.T, in *crashInputs, db string) {
			mustTracker(t, filepath.Dir(db), "--db", db, "ingest", in.wide[0])
		},
		args:     func(in *crashInputs) []string { return append([]string{"ingest"}, in.wide[1:]...) },
		versions: []int{1, 4},
	},
	{
		name: "run perturb --all",
		prepare: func(t *testing.T, in *crashInputs, db string) {
			mustTracker(t, filepath.Dir(db), append([]string{"--db", db, "ingest"}, in.wide...)...)
		},
		args: func(in *crashInputs) []string {
			return []string{"run", "perturb", "--all", "--data", in.wideCSV, "--label", "label",
				"--pivots", "20", "--samples", "10", "--format", "json"}
		},
		versions: []int{4},
	},
	{
		name: "run drop-retrain",
		prepare: func(t *testing.T, in *crashInputs, db string) {
			mustTracker(t, filepath.Dir(db), "--db", db, "ingest", in.planted)
		},
		args: func(in *crashInputs) []string {
			return []string{"run", "drop-retrain", "--data", in.plCSV, "--drop", "id", "--label", "label",
				"--epochs", "5", "--batch", "32", "--lr", "0.01", "--seeds", "2", "--format", "json"}
		},
		versions: []int{1},
	},
}

// TestKilledCommandsLoseNothing kills each writing command with SIGKILL at
// random moments. After every kill the store passes verify, holds no part
// of a version or record, and running the command again ends with exactly
// what an uninterrupted run stores.
func TestKilledCommandsLoseNothing(t *testing.T) {
	needBinary(t)
	in, err := sharedCrashInputs()
	if err != nil {
		t.Fatal(err)
	}
	kills := killsPerScenario(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill moments drawn with seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	survived, midway := 0, 0
	for _, sc := range crashScenarios {
		t.Run(sc.name, func(t *testing.T) {
			// The uninterrupted run: what the store must end with, and how
			// long the command takes, so kills land all through it.
			ref := t.TempDir()
			refDB := filepath.Join(ref, "tracker.db")
			sc.prepare(t, in, refDB)
			start := time.Now()
			mustTracker(t, ref, append([]string{"--db", refDB}, sc.args(in)...)...)
			window := time.Since(start)
			want := storeContent(t, ref, refDB)

			for k := range kills {
				dir := t.TempDir()
				db := filepath.Join(dir, "tracker.db")
				sc.prepare(t, in, db)
				delay := time.Duration(rng.Int64N(int64(window) + 1))
				r := killAfter(t, dir, delay, append([]string{"--db", db}, sc.args(in)...)...)
				if r.signal == syscall.SIGKILL {
					midway++
				}
				if s := crashSign(r.stderr); s != "" {
					t.Fatalf("kill %d: the command crashed by itself (%q):\n%s", k, s, cut(r.stderr))
				}
				checkAfterKill(t, sc, dir, db, fmt.Sprintf("kill %d after %s", k, delay.Round(time.Millisecond)))
				mustTracker(t, dir, append([]string{"--db", db}, sc.args(in)...)...)
				if strays, _ := filepath.Glob(filepath.Join(dir, ".*")); len(strays) > 0 {
					t.Errorf("kill %d: the rerun left temporary files behind: %v", k, strays)
				}
				if got := storeContent(t, dir, db); got != want {
					t.Fatalf("kill %d after %s: the rerun stored something else than an uninterrupted run:\n%s\nwant:\n%s",
						k, delay, cut(got), cut(want))
				}
				survived++
			}
		})
	}
	t.Logf("survived %d kills, %d of them before the command finished", survived, midway)
	// With a few kills per command, some must land while one runs, or the
	// suite proved nothing.
	if kills >= 3 && midway == 0 {
		t.Errorf("no kill landed before its command finished")
	}
}

// killAfter starts tracker, SIGKILLs it after delay (unless it finished
// first) and waits for it.
func killAfter(t *testing.T, dir string, delay time.Duration, args ...string) run {
	t.Helper()
	cmd := limitedCommand(t.Context(), dir, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()
	_ = cmd.Wait()
	r := run{code: cmd.ProcessState.ExitCode(), stderr: stderr.String()}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.signal = ws.Signal()
	}
	return r
}

// checkAfterKill: the store is absent (only where the command creates it)
// or passes verify, and holds whole versions only.
func checkAfterKill(t *testing.T, sc crashScenario, dir, db, what string) {
	t.Helper()
	if _, err := os.Stat(db); os.IsNotExist(err) {
		if !sc.newStore {
			t.Fatalf("%s: the store is gone", what)
		}
		return
	}
	v := runTracker(t, dir, time.Minute, "--db", db, "verify")
	if v.code != 0 {
		t.Fatalf("%s: verify exit %d:\n%s%s", what, v.code, v.stdout, v.stderr)
	}
	var versions []json.RawMessage
	if err := json.Unmarshal([]byte(mustTracker(t, dir, "--db", db, "list", "--format", "json")), &versions); err != nil {
		t.Fatalf("%s: list: %v", what, err)
	}
	if !slices.Contains(sc.versions, len(versions)) {
		t.Fatalf("%s: %d versions stored, want one of %v (an ingest landed in part)", what, len(versions), sc.versions)
	}
	// Every stored record must read back in every output format.
	mustTracker(t, dir, "--db", db, "export", "--format", "json")
}

// storeContent is everything a user can read back: the versions and every
// experiment's values, ranks and spreads.
func storeContent(t *testing.T, dir, db string) string {
	t.Helper()
	return mustTracker(t, dir, "--db", db, "list", "--format", "json") +
		mustTracker(t, dir, "--db", db, "export", "--format", "json")
}
