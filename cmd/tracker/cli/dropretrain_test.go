package cli

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/tracker"
)

// TestMain lets a test start this binary as the tracker command: with
// TRACKER_TEST_MAIN=1 it runs Main on its arguments instead of the tests,
// so shards run as real separate processes.
func TestMain(m *testing.M) {
	if os.Getenv("TRACKER_TEST_MAIN") == "1" {
		// As cmd/tracker/main.go does.
		ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		os.Exit(Main(ctx, os.Args[1:], System()))
	}
	os.Exit(m.Run())
}

// process runs tracker as a separate process with extra environment.
func process(t *testing.T, env []string, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "TRACKER_TEST_MAIN=1"), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("tracker %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// dropArgs is a small drop-retrain of the planted model: 5 epochs, 2 seeds.
func dropArgs(data string, extra ...string) []string {
	return append([]string{"run", "drop-retrain", "--data", data, "--drop", "id", "--label", "label",
		"--epochs", "5", "--batch", "32", "--lr", "0.01", "--seeds", "2", "--format", "json"}, extra...)
}

// storedDropRetrain is the one drop-retrain record of the store's latest version.
func storedDropRetrain(t *testing.T, db string) *tracker.Experiment {
	t.Helper()
	s, err := tracker.Open(db, tracker.Options{ReadOnly: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vs, err := s.Versions(tracker.DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	exps, err := s.Experiments(tracker.DefaultModel, vs[len(vs)-1].Version)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exps {
		if e.Kind == experiments.KindDropRetrain {
			return e
		}
	}
	t.Fatal("no drop-retrain record stored")
	return nil
}

func TestDropRetrainRanksThePlantedSignal(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	r := tr(t, db, dropArgs(data)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var rows []runRow
	if err := json.Unmarshal([]byte(r.out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	// The label is about 3b + d + e/2 + f/4: b must come first, and
	// dropping c (no weights, not in the label) must cost nothing.
	if len(rows) != 6 || rows[0].Name != "b" {
		t.Errorf("ranked %v; want 6 features with b first", rows)
	}
	e := storedDropRetrain(t, db)
	if se := e.Extra[experiments.SEKey]; len(se) != len(e.Value) || math.IsNaN(se[0]) {
		t.Errorf("the stored record's standard errors are %v: two seeds give one per feature", se)
	}
	var detail experiments.DropRetrainDetail
	if err := json.Unmarshal(e.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	if len(detail.Retrains) != 14 || len(detail.Retrains[0].Loss) == 0 {
		t.Errorf("detail holds %d trainings; want 14 (2 baselines, 6 features x 2 seeds), each with its curve", len(detail.Retrains))
	}

	// The same command again stores nothing and shows the record.
	before := fileSum(t, db)
	again := tr(t, db, dropArgs(data)...)
	if again.code != 0 || again.out != r.out || !strings.Contains(again.err, "already recorded") {
		t.Errorf("second run: exit %d, same output %v, stderr %q", again.code, again.out == r.out, again.err)
	}
	if fileSum(t, db) != before {
		t.Errorf("the second run changed the store")
	}
	// --resume of a run that never started says so.
	if r := tr(t, db, dropArgs(data, "--seeds", "3", "--resume")...); r.code == 0 || !strings.Contains(r.err, "no trainings of a drop-retrain with these parameters") {
		t.Errorf("--resume of nothing: exit %d, %q", r.code, r.err)
	}
}

// TestDropRetrainShardsMatchOneRun runs a drop-retrain as one process, and
// again as three shard processes writing files (one of them with its index
// from JOB_COMPLETION_INDEX, one from SLURM_ARRAY_TASK_ID) merged with
// tracker import, and gets the same record. It also checks that workers
// do not change the result, and that import refuses duplicates and
// foreign files.
func TestDropRetrainShardsMatchOneRun(t *testing.T) {
	tmp := t.TempDir()
	prefix, data := plantedFiles(t, tmp)
	single, sharded := filepath.Join(tmp, "single.db"), filepath.Join(tmp, "sharded.db")
	mustRun(t, single, "ingest", prefix)
	mustRun(t, sharded, "ingest", prefix)

	mustRun(t, single, dropArgs(data, "--workers", "2")...)
	want := storedDropRetrain(t, single)

	files := []string{filepath.Join(tmp, "s0.jsonl"), filepath.Join(tmp, "s1.jsonl"), filepath.Join(tmp, "s2.jsonl")}
	process(t, nil, append([]string{"--db", sharded}, dropArgs(data, "--shard", "0/3", "--out", files[0])...)...)
	process(t, []string{"JOB_COMPLETION_INDEX=1"}, append([]string{"--db", sharded}, dropArgs(data, "--shards", "3", "--out", files[1])...)...)
	_, stderr := process(t, []string{"SLURM_ARRAY_TASK_ID=2"}, append([]string{"--db", sharded}, dropArgs(data, "--shards", "3", "--out", files[2])...)...)
	if !strings.Contains(stderr, "shard 2/3 done: 4 of 14 trainings") {
		t.Errorf("shard 2's stderr: %q", stderr)
	}

	// A shard given twice is refused, and nothing lands.
	before := fileSum(t, sharded)
	if r := tr(t, sharded, "import", files[0], files[1], files[1]); r.code == 0 || !strings.Contains(r.err, "both hold feature 1 (seed 0)") {
		t.Errorf("import with a duplicate file: exit %d, %q", r.code, r.err)
	}
	// A file from a run with other parameters is refused.
	other := filepath.Join(tmp, "other.jsonl")
	mustRun(t, sharded, dropArgs(data, "--epochs", "1", "--features", "b", "--out", other)...)
	if r := tr(t, sharded, "import", files[0], other); r.code == 0 || !strings.Contains(r.err, "is from another run") {
		t.Errorf("import of mixed runs: exit %d, %q", r.code, r.err)
	}
	if fileSum(t, sharded) != before {
		t.Errorf("refused imports changed the store")
	}

	// Two shards first: stored, waiting; the third completes the run.
	if r := tr(t, sharded, "import", files[0], files[1]); r.code != 0 || !strings.Contains(r.err, "10 of 14 trainings of this run are in") {
		t.Errorf("partial import: exit %d, %q", r.code, r.err)
	}
	r := tr(t, sharded, "import", files[2])
	if r.code != 0 || !strings.Contains(r.err, "14 of 14") {
		t.Fatalf("last import: exit %d, %q", r.code, r.err)
	}
	got := storedDropRetrain(t, sharded)
	if got.ID() != want.ID() || withoutTimes(t, got.Detail) != withoutTimes(t, want.Detail) {
		t.Errorf("sharded record differs from the single run's:\n%s\n%s", got.Detail, want.Detail)
	}
	for i := range want.Value {
		if got.Value[i] != want.Value[i] || got.Spread[i] != want.Spread[i] || got.Rank[i] != want.Rank[i] {
			t.Errorf("feature %d: sharded %v±%v rank %d, single %v±%v rank %d", i, got.Value[i], got.Spread[i], got.Rank[i], want.Value[i], want.Spread[i], want.Rank[i])
		}
	}
}

// withoutTimes is a drop-retrain detail with the trainings' durations
// zeroed, which differ from run to run.
func withoutTimes(t *testing.T, detail []byte) string {
	t.Helper()
	var d experiments.DropRetrainDetail
	if err := json.Unmarshal(detail, &d); err != nil {
		t.Fatal(err)
	}
	for i := range d.Retrains {
		d.Retrains[i].TookMS = 0
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDropRetrainResumesAfterAnInterrupt stops a run with SIGINT once some
// trainings are stored, checks it says how far it got, and runs the same
// command again: it must resume, not restart, and record the same result
// as a run that was never interrupted.
func TestDropRetrainResumesAfterAnInterrupt(t *testing.T) {
	tmp := t.TempDir()
	prefix, data := plantedFiles(t, tmp)
	whole, resumed := filepath.Join(tmp, "whole.db"), filepath.Join(tmp, "resumed.db")
	mustRun(t, whole, "ingest", prefix)
	mustRun(t, resumed, "ingest", prefix)
	args := dropArgs(data, "--epochs", "1500", "--patience", "0")
	mustRun(t, whole, args...)
	want := storedDropRetrain(t, whole)

	cmd := exec.Command(os.Args[0], append([]string{"--db", resumed}, args...)...)
	cmd.Env = append(os.Environ(), "TRACKER_TEST_MAIN=1")
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stored := 0
	for deadline := time.Now().Add(30 * time.Second); stored < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		stored = countParts(t, resumed, want)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if stored < 2 || err == nil {
		t.Fatalf("the run was not interrupted midway (%d trainings seen before the signal, exit error %v): give it more epochs", stored, err)
	}
	if !strings.Contains(errOut.String(), "interrupted: ") || !strings.Contains(errOut.String(), "run the same command again to continue") {
		t.Errorf("interrupted run's stderr: %q", errOut.String())
	}
	left := countParts(t, resumed, want)
	if left < stored || left >= 14 {
		t.Fatalf("%d trainings stored after the interrupt (%d seen before it); want them kept and the run unfinished", left, stored)
	}

	r := tr(t, resumed, args...)
	if r.code != 0 || !strings.Contains(r.err, "resuming: ") {
		t.Fatalf("rerun: exit %d, %q", r.code, r.err)
	}
	got := storedDropRetrain(t, resumed)
	if withoutTimes(t, got.Detail) != withoutTimes(t, want.Detail) {
		t.Errorf("the resumed run's record differs from an uninterrupted one")
	}
	if n := countParts(t, resumed, want); n != 0 {
		t.Errorf("%d trainings left in the parts bucket after the run was recorded", n)
	}
}

// countParts is how many trainings of e's run the store at db holds.
func countParts(t *testing.T, db string, e *tracker.Experiment) int {
	t.Helper()
	s, err := tracker.Open(db, tracker.Options{ReadOnly: true, LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	parts, err := s.Parts(tracker.DefaultModel, 1, e)
	if err != nil {
		t.Fatal(err)
	}
	return len(parts)
}

func TestImportDropRetrainCSV(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, _ := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	mustRun(t, db, "features", "set", writeFile(t, filepath.Join(tmp, "names.txt"), "a\nb\nc\nd\ne\nf\n"))
	csv := func(body string) string { return writeFile(t, filepath.Join(tmp, "retrains.csv"), body) }

	// Two seeds, features by index and by name; b is left out.
	good := csv("feature,metric,seed\nbaseline,0.90,1\nbaseline,0.80,2\n0,0.85,1\n0,0.80,2\nc,0.90,1\nc,0.70,2\n")
	r := tr(t, db, "import", "drop-retrain", good, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var rows []runRow
	if err := json.Unmarshal([]byte(r.out), &rows); err != nil {
		t.Fatal(err)
	}
	// a: drops 0.05 and 0 -> 0.025; c: 0 and 0.1 -> 0.05, first.
	if len(rows) != 2 || rows[0].Name != "c" || rows[1].Name != "a" || !near(rows[0].Value, 0.05) || !near(rows[1].Value, 0.025) {
		t.Errorf("imported %+v; want c (0.05) then a (0.025), and no other feature", rows)
	}
	if again := tr(t, db, "import", "drop-retrain", good); again.code != 0 || !strings.Contains(again.err, "already imported") {
		t.Errorf("importing the same file again: exit %d, %q", again.code, again.err)
	}
	// logloss: the metric rising without a feature means it mattered.
	ll := writeFile(t, filepath.Join(tmp, "ll.csv"), "feature,metric\nb,0.6\nd,0.3\n")
	r = tr(t, db, "import", "drop-retrain", ll, "--metric", "logloss", "--baseline", "0.35", "--format", "json")
	if err := json.Unmarshal([]byte(r.out), &rows); r.code != 0 || err != nil || rows[0].Name != "b" || !near(rows[0].Value, 0.25) {
		t.Errorf("logloss import: exit %d %s %+v", r.code, r.err, rows)
	}

	for name, c := range map[string]struct{ body, want string }{
		"no baseline":       {"feature,metric\n0,0.5\n", "no baseline row"},
		"bad metric":        {"feature,metric\nbaseline,0.9\n0,high\n", `line 3: metric "high" is not a number`},
		"unknown feature":   {"feature,metric\nbaseline,0.9\nzzz,0.5\n", "line 3:"},
		"feature too high":  {"feature,metric\nbaseline,0.9\n6,0.5\n", "line 3: feature 6"},
		"duplicate":         {"feature,metric\nbaseline,0.9\n1,0.5\n1,0.6\n", "lines 3 and 4 are both feature 1"},
		"missing column":    {"feature,value\n0,0.5\n", "needs the columns feature and metric"},
		"a seed missing":    {"feature,metric,seed\nbaseline,0.9,1\nbaseline,0.9,2\n0,0.5,1\n", "no row for feature 0 with seed 2"},
		"short row":         {"feature,metric,seed\nbaseline,0.9\n", "line 2: 2 fields"},
		"only the baseline": {"feature,metric\nbaseline,0.9\n", "only baseline rows"},
	} {
		before := fileSum(t, db)
		r := tr(t, db, "import", "drop-retrain", csv(c.body))
		if r.code == 0 || !strings.Contains(r.err, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want %q", name, r.code, r.err, c.want)
		}
		if fileSum(t, db) != before {
			t.Errorf("%s: the refused import changed the store", name)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestDropRetrainWorkersAndFailures runs more workers than trainings, and
// a run whose every training fails (AUC on one-class validation rows),
// which must stop with the reason and store nothing.
func TestDropRetrainWorkersAndFailures(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	r := tr(t, db, dropArgs(data, "--workers", "8", "--features", "b", "--seeds", "1")...)
	var rows []runRow
	if err := json.Unmarshal([]byte(r.out), &rows); r.code != 0 || err != nil || len(rows) != 1 || rows[0].Name != "b" {
		t.Fatalf("8 workers for 2 trainings: exit %d, %v, %s %s", r.code, err, r.out, r.err)
	}

	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	var oneClass strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i == 0 || strings.HasSuffix(line, ",no") {
			oneClass.WriteString(line + "\n")
		}
	}
	val := writeFile(t, filepath.Join(tmp, "val.csv"), oneClass.String())
	before := fileSum(t, db)
	r = tr(t, db, dropArgs(data, "--val", val, "--metric", "auc", "--workers", "2", "--classes", "no,yes")...)
	if r.code != exitError || !strings.Contains(r.err, "AUC needs rows of both classes") || !strings.Contains(r.err, "0 of 14 trainings of this run are stored") {
		t.Errorf("failing trainings: exit %d, %q", r.code, r.err)
	}
	if fileSum(t, db) != before {
		t.Errorf("a run whose trainings all failed changed the store")
	}
}

// TestDropRetrainMessagesNameTheFlags: experiments/dropretrain and
// internal/runs state the facts and cli adds the flag a user needs;
// together they read as the messages always have.
func TestDropRetrainMessagesNameTheFlags(t *testing.T) {
	env := map[string]string{"JOB_COMPLETION_INDEX": "9"}
	for _, c := range []struct {
		name   string
		f      dropFlags
		getenv func(string) string
		want   string
	}{
		{"both shard flags", dropFlags{shard: "0/2", shards: 2}, nil, "give --shard I/N or --shards N, not both"},
		{"a shard past the count", dropFlags{shard: "5/4"}, nil, `--shard "5/4": want I/N with 0 <= I < N, such as 0/4`},
		{"a negative count", dropFlags{shards: -1}, nil, "--shards -1: give a positive number"},
		{"an index from the job engine past the count", dropFlags{shards: 3}, func(k string) string { return env[k] }, `JOB_COMPLETION_INDEX="9" is not a shard index from 0 to 2 (--shards 3)`},
		{"no index from the job engine", dropFlags{shards: 3}, func(string) string { return "" }, "--shards 3: JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are unset; give --shard I/N"},
	} {
		t.Run(c.name+" is a usage error", func(t *testing.T) {
			_, err := parseShard(&c.f, c.getenv)
			var ue usageError
			if err == nil || err.Error() != c.want || !errors.As(err, &ue) {
				t.Errorf("error %v, want the usage error %q", err, c.want)
			}
		})
	}

	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	line := `{"format":"tracker-drop-retrain/1","model":"default","week":"2019-01-14","hash":"ab","kind":"drop-retrain","params":{"seeds":"1"},"retrain":{"feature":-1,"seed":0,"metric":0.5}}` + "\n"
	foreign := writeFile(t, filepath.Join(tmp, "foreign.jsonl"), strings.Replace(line, "/1", "/2", 1))
	if r := tr(t, db, "import", foreign); r.err != "tracker: "+foreign+`:1: format "tracker-drop-retrain/2", want "tracker-drop-retrain/1" (a file written by tracker run drop-retrain --out)`+"\n" {
		t.Errorf("a line of another format: %q", r.err)
	}
	run := dropretrain.Line{Format: dropretrain.Format, Model: tracker.DefaultModel, Week: "2019-01-14", Hash: "ab", Kind: experiments.KindDropRetrain, Params: map[string]string{"seeds": "2"}}
	other := writeFile(t, filepath.Join(tmp, "other.jsonl"), line)
	want := other + `:1 holds another run ("drop-retrain" parameters "map[seeds:1]", not "drop-retrain" "map[seeds:2]"): give this run its own --out file`
	if _, err := dropretrain.ReadParts(other, &run); err == nil || explainOnly(err) != "tracker: "+want+"\n" {
		t.Errorf("an --out file of another run: %v, want %q", err, want)
	}
	prefix, _ := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	for _, c := range []struct {
		name, body string
		baseline   []string
		want       string
	}{
		{"no baseline", "feature,metric\n0,0.5\n", nil, " has no baseline row: add a row with feature baseline, or give --baseline"},
		{"a baseline row and --baseline", "feature,metric\nbaseline,0.9\n0,0.5\n", []string{"--baseline", "0"}, " line 2 is a baseline row, and --baseline was given too: use one"},
	} {
		path := writeFile(t, filepath.Join(tmp, "f.csv"), c.body)
		r := tr(t, db, append([]string{"import", "drop-retrain", path}, c.baseline...)...)
		if want := "tracker: " + path + c.want + "\n"; r.err != want {
			t.Errorf("%s: %q, want %q", c.name, r.err, want)
		}
	}
}

// explainOnly is what the user reads for err.
func explainOnly(err error) string {
	msg, _ := explain(err, "tracker run drop-retrain", "tracker.db")
	return msg
}
