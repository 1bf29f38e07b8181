package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/fixtures"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// plantedFiles writes the planted-truth model (snapshottest.Planted) as a
// Keras save in dir and a 300-row CSV with a header and a label column, and
// returns the model prefix and the CSV path. Feature a has large first-layer
// weights that cancel downstream, b tiny ones that are amplified, c none at
// all; d, e, f are ordinary.
func plantedFiles(t *testing.T, dir string) (prefix, csvPath string) {
	t.Helper()
	snap, err := snapshottest.Planted(snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
	if err != nil {
		t.Fatal(err)
	}
	mdir := filepath.Join(dir, "Model", "20190114")
	if _, _, err := keras.Export(snap, mdir, "planted"); err != nil {
		t.Fatal(err)
	}
	csvPath = filepath.Join(dir, "planted.csv")
	if err := os.WriteFile(csvPath, snapshottest.PlantedCSV(300), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(mdir, "planted"), csvPath
}

func TestRunPerturbFindsThePlantedTruth(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	r := runTracker(t, nil, true, "--db", db, "run", "perturb", "--data", data, "--drop", "id", "--label", "label", "--pivots", "50", "--samples", "20")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	golden(t, "run_perturb_table", r.out, tmp)
	if !strings.Contains(r.err, `stored the 6 feature names`) {
		t.Errorf("stderr does not say the header's names were stored: %q", r.err)
	}

	// The same run again finds the stored record and touches nothing.
	before := fileSum(t, db)
	again := runTracker(t, nil, true, "--db", db, "run", "perturb", "--data", data, "--drop", "id", "--label", "label", "--pivots", "50", "--samples", "20")
	if again.code != 0 || again.out != r.out || !strings.Contains(again.err, "already recorded") {
		t.Errorf("second run: exit %d, stderr %q, same output %v", again.code, again.err, again.out == r.out)
	}
	if fileSum(t, db) != before {
		t.Error("re-running an identical experiment changed the store")
	}
	// Another seed would replace what the week shows: refused, unless
	// --replace, which keeps the old record.
	seed2 := []string{"run", "perturb", "--data", data, "--drop", "id", "--label", "label", "--pivots", "50", "--samples", "20", "--seed", "2"}
	if r := tr(t, db, seed2...); r.code != exitError || !strings.Contains(r.err, "on data 82fe61f69f00 with seed 1 (recorded 2026-11-24), and this run's data is 82fe61f69f00 with seed 2: pass --replace") || fileSum(t, db) != before {
		t.Errorf("another seed: exit %d, stderr %q; want a refusal naming both seeds and an untouched store", r.code, r.err)
	}
	mustRun(t, db, append(seed2, "--replace")...)
	if out := mustRun(t, db, "list"); !strings.Contains(out, ",5\n") { // weight-sum, garson, olden + 2 perturbs
		t.Errorf("list after two perturb runs:\n%s", out)
	}
}

func TestRunOutputFormats(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	args := []string{"run", "gradient", "--data", data, "--drop", "id", "--label", "label", "--steps", "20", "--rows", "50"}
	r := tr(t, db, args...) // piped: CSV, warnings on stderr
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if lines[0] != "week,index,name,value,spread,se,rank" || len(lines) != 7 {
		t.Fatalf("csv:\n%s", r.out)
	}
	if !strings.HasPrefix(lines[1], "2019-01-14,1,b,") || !strings.HasSuffix(lines[1], ",1") {
		t.Errorf("top row %q, want feature 1 (b) ranked 1", lines[1])
	}
	if strings.Contains(r.out, "warning") || !strings.Contains(r.err, "warning: week 2019-01-14: feature 0 (a)") {
		t.Errorf("warnings belong on stderr when piped; stderr:\n%s", r.err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, db, append(args, "--format", "json")...)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d json rows, want 6", len(rows))
	}
	for _, k := range []string{"week", "index", "name", "value", "spread", "se", "rank"} {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("json row lacks %q: %v", k, rows[0])
		}
	}
}

func TestRunPermutationAndWeeks(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	mustRun(t, db, "ingest", "--week", "2019-01-21", prefix) // same content, another week
	out := mustRun(t, db, "run", "permutation", "--data", data, "--drop", "id", "--label", "label", "--classes", "no,yes", "--repeats", "2", "--all")
	if n := strings.Count(out, "\n"); n != 13 {
		t.Errorf("permutation over 2 weeks: %d lines, want a header and 12 rows:\n%s", n, out)
	}
	if !strings.Contains(out, "2019-01-21,1,b,") {
		t.Errorf("no row for the second week's feature b:\n%s", out)
	}
	r := tr(t, db, "run", "permutation", "--data", data, "--drop", "id")
	if r.code != exitUsage || !strings.Contains(r.err, "--label") {
		t.Errorf("permutation without --label: exit %d, %q", r.code, r.err)
	}
	r = tr(t, db, "run", "perturb", "--data", data, "--week", "2019-01-14", "--all")
	if r.code != exitUsage || !strings.Contains(r.err, "choose one of --week, --weeks and --all") {
		t.Errorf("--week with --all: exit %d, %q", r.code, r.err)
	}
}

func TestRunBadDataStoresNothing(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	bad := filepath.Join(tmp, "bad.csv")
	if err := os.WriteFile(bad, []byte("a,b,c,d,e,f\n1,2,3,4,5,6\n1,2,x,4,5,6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, db)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"id column left in", []string{"--data", data, "--label", "label"}, []string{"7 feature columns", "6 inputs", `columns "id", "a", "b"`, "--label", "--drop"}},
		{"a word in a number column", []string{"--data", bad}, []string{"bad.csv", "row 2 (line 3)", `"c" (index 2)`, `"x"`}},
		{"a missing file", []string{"--data", filepath.Join(tmp, "none.csv")}, []string{"none.csv", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tr(t, db, append([]string{"run", "perturb"}, tc.args...)...)
			if r.code != exitError {
				t.Errorf("exit %d, want 1", r.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr %q lacks %q", r.err, w)
				}
			}
			if fileSum(t, db) != before {
				t.Error("the store changed")
			}
		})
	}
}

func TestRunInterruptedStoresNothing(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	before := fileSum(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if Ctrl-C came before the first unit of work
	var out, errOut strings.Builder
	code := Main(ctx, []string{"--db", db, "run", "perturb", "--data", data, "--drop", "id", "--label", "label"}, Env{
		In: strings.NewReader(""), Out: &out, ErrOut: &errOut,
		Getenv: func(string) string { return "" }, Now: func() time.Time { return fixedNow },
	})
	if code != exitError || !strings.Contains(errOut.String(), "interrupted during week 2019-01-14: nothing stored") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
	if fileSum(t, db) != before {
		t.Error("an interrupted run changed the store")
	}
}

func TestFeatures(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, _ := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	r := tr(t, db, "features")
	if r.code != 0 || !strings.Contains(r.err, "no feature names yet") || !strings.Contains(r.out, "5,\n") {
		t.Errorf("features before names: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
	names := filepath.Join(tmp, "names.txt")
	if err := os.WriteFile(names, []byte("age\nincome\nzip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = tr(t, db, "features", "set", names)
	if r.code != exitError || !strings.Contains(r.err, "3 feature names") || !strings.Contains(r.err, "6 inputs") {
		t.Errorf("3 names for 6 inputs: exit %d, %q", r.code, r.err)
	}
	header := filepath.Join(tmp, "header.csv")
	if err := os.WriteFile(header, []byte("age;income;zip;x1;x2;x3;\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, db, "features", "set", header)
	if out := mustRun(t, db, "features"); out != "index,name\n0,age\n1,income\n2,zip\n3,x1\n4,x2\n5,x3\n" {
		t.Errorf("features after set:\n%s", out)
	}
	if i, err := experiments.FeatureIndex("zip", []string{"age", "income", "zip"}, 3); err != nil || i != 2 {
		t.Errorf("experiments.FeatureIndex(zip) = %d, %v", i, err)
	}
	if _, err := experiments.FeatureIndex("7", nil, 3); err == nil || !strings.Contains(err.Error(), "features 0 to 2") {
		t.Errorf("experiments.FeatureIndex(7): %v", err)
	}
}

// python is Debian's interpreter, which has python3-numpy and python3-h5py;
// the python3 first on PATH may not.
const python = "/usr/bin/python3"

// TestPredictAgreesWithNumpy runs tracker predict on the Pima data and
// compares every probability with numpy running the weights tracker
// exported (h5py reads them), to 1e-5.
func TestPredictAgreesWithNumpy(t *testing.T) {
	if _, err := exec.LookPath(python); err != nil {
		t.Skip("skipped: no " + python + " with numpy and h5py")
	}
	if err := exec.Command(python, "-c", "import numpy, h5py").Run(); err != nil {
		t.Skip("skipped: python3-numpy or python3-h5py missing")
	}
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	mustRun(t, db, "ingest", "--week", "2019-01-14", fixtures.Keras(t, "pima-json-h5-keras224/022.json"))
	data := fixtures.Data(t, "pima/pima-indians-diabetes.csv")
	got := mustRun(t, db, "predict", "--data", data, "--label", "8")
	mustRun(t, db, "export-model", "latest", "--out", tmp)
	x := filepath.Join(tmp, "x.npy")
	y := filepath.Join(tmp, "y.npy")
	load := exec.Command(python, "-c", "import sys, numpy as np; np.save(sys.argv[2], np.loadtxt(sys.argv[1], delimiter=',')[:, :8].astype(np.float32))", data, x)
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("numpy loadtxt: %v\n%s", err, out)
	}
	ref := exec.Command(python, "../../../experiments/nn/testdata/forward.py",
		filepath.Join(tmp, "default_structure.json"), filepath.Join(tmp, "default_weights.h5"), x, y)
	if out, err := ref.CombinedOutput(); err != nil {
		t.Fatalf("numpy reference: %v\n%s", err, out)
	}
	dump, err := exec.Command(python, "-c", "import sys, numpy as np; print('\\n'.join(repr(float(v)) for v in np.load(sys.argv[1]).ravel()))", y).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(dump))
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if lines[0] != "row,p0,predicted,label" || len(lines)-1 != len(want) || len(want) != 768 {
		t.Fatalf("predict printed %d rows under %q; numpy has %d", len(lines)-1, lines[0], len(want))
	}
	for i, line := range lines[1:] {
		f := strings.Split(line, ",")
		p, _ := strconv.ParseFloat(f[1], 64)
		w, _ := strconv.ParseFloat(want[i], 64)
		if d := p - w; d > 1e-5 || d < -1e-5 {
			t.Fatalf("row %d: tracker %v, numpy %v", i+1, p, w)
		}
	}
}

// TestRunEveryMethodOnRealFixtures runs perturb, permutation and gradient
// end to end on models Keras saved and the data they were trained on.
func TestRunEveryMethodOnRealFixtures(t *testing.T) {
	tmp := t.TempDir()
	// The breast-cancer features and labels are two files; join them.
	x, err := os.ReadFile(fixtures.Data(t, "breast-cancer-wisconsin/entradas-breast.csv"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(fixtures.Data(t, "breast-cancer-wisconsin/saidas-breast.csv"))
	if err != nil {
		t.Fatal(err)
	}
	xl, yl := strings.Split(strings.TrimSpace(string(x)), "\n"), strings.Split(strings.TrimSpace(string(y)), "\n")
	if len(xl) != len(yl) {
		t.Fatalf("breast-cancer: %d feature lines, %d label lines", len(xl), len(yl))
	}
	var joined strings.Builder
	for i := range xl {
		label := strings.TrimSpace(yl[i])
		if i == 0 {
			label = "benign"
		}
		fmt.Fprintf(&joined, "%s,%s\n", strings.TrimSpace(xl[i]), label)
	}
	breast := filepath.Join(tmp, "breast.csv")
	if err := os.WriteFile(breast, []byte(joined.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		model, data, label string
		features           int
	}{
		{"pima-json-h5-keras224/022.json", fixtures.Data(t, "pima/diabetes.csv"), "Outcome", 8},
		{"sonar-full-h5-keras231/my_model.h5", fixtures.Data(t, "sonar/sonar.csv"), "60", 60},
		{"breast-cancer-dropout-json-h5-keras224/classificador_breast.json", breast, "benign", 30},
	} {
		t.Run(strings.Split(tc.model, "/")[0], func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "tracker.db")
			mustRun(t, db, "ingest", "--week", "2019-01-14", fixtures.Keras(t, tc.model))
			for _, run := range [][]string{
				{"perturb", "--pivots", "30", "--samples", "10"},
				{"permutation", "--repeats", "2", "--metric", "auc"},
				{"gradient", "--steps", "16", "--rows", "60"},
			} {
				args := append([]string{"run"}, run...)
				args = append(args, "--data", tc.data, "--label", tc.label)
				out := mustRun(t, db, args...)
				if rows := strings.Count(out, "\n") - 1; rows != tc.features {
					t.Errorf("%s: %d result rows, want %d:\n%s", run[0], rows, tc.features, out)
				}
			}
			// weight-sum, garson, olden, then the three runs.
			if out := mustRun(t, db, "list"); !strings.HasSuffix(strings.TrimSpace(out), ",6") {
				t.Errorf("list:\n%s", out)
			}
			mustRun(t, db, "verify")
		})
	}
}

// TestRunNumbersAreFloat32WithAStandardError checks every number a run
// prints in CSV and JSON: the shortest form of a float32 (no float64
// noise such as 0.14115000000000005), and se empty in CSV and null in
// JSON where the record's uncertainty is unknown (one repeat of AUC,
// which has no standard error over rows).
func TestRunNumbersAreFloat32WithAStandardError(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	short32 := func(s string) bool {
		v, err := strconv.ParseFloat(s, 64)
		return err == nil && strconv.FormatFloat(float64(float32(v)), 'g', -1, 32) == s
	}
	for _, c := range []struct {
		name  string
		args  []string
		cols  []string // the numbers of each row
		knows bool     // se is known
	}{
		{"perturb", []string{"perturb", "--pivots", "20", "--samples", "5"}, []string{"value", "spread", "se", "flip_rate"}, true},
		{"permutation with repeats", []string{"permutation", "--repeats", "3", "--metric", "logloss"}, []string{"value", "spread", "se"}, true},
		{"permutation of log loss with one repeat: the rows' standard error", []string{"permutation", "--repeats", "1", "--metric", "logloss"}, []string{"value", "spread", "se"}, true},
		{"permutation of AUC with one repeat", []string{"permutation", "--repeats", "1", "--metric", "auc"}, []string{"value", "spread"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"run"}, c.args...), "--data", data, "--drop", "id", "--label", "label")
			rows, err := csv.NewReader(strings.NewReader(mustRun(t, db, append(args, "--format", "csv")...))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			at := func(col string) int { return slices.Index(rows[0], col) }
			if at("se") != 5 || at("rank") != 6 {
				t.Fatalf("header %q, want se after spread, then rank", rows[0])
			}
			for _, row := range rows[1:] {
				for _, col := range c.cols {
					if cell := row[at(col)]; !short32(cell) {
						t.Errorf("%s %q is not the shortest float32 form", col, cell)
					}
				}
				if se := row[at("se")]; (se != "") != c.knows {
					t.Errorf("se %q, want known %v", se, c.knows)
				}
			}
			var js []map[string]any
			if err := json.Unmarshal([]byte(mustRun(t, db, append(args, "--format", "json")...)), &js); err != nil {
				t.Fatal(err)
			}
			for i, r := range js {
				se, ok := r["se"]
				if !ok || (se != nil) != c.knows {
					t.Errorf("json row %d: se %v (present %v), want known %v", i, se, ok, c.knows)
				}
				for _, col := range c.cols {
					if v, ok := r[col].(float64); ok && strconv.FormatFloat(v, 'g', -1, 64) != strconv.FormatFloat(float64(float32(v)), 'g', -1, 32) {
						t.Errorf("json row %d: %s %v is not a float32's shortest form", i, col, v)
					}
				}
				if csvValue := rows[i+1][at("value")]; fmt.Sprint(r["value"]) != csvValue && strconv.FormatFloat(r["value"].(float64), 'g', -1, 64) != csvValue {
					t.Errorf("json row %d value %v, csv %s: want the same digits", i, r["value"], csvValue)
				}
			}
		})
	}
}
