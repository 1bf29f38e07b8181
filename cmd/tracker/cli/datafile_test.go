package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBadDataFilesAreRefusedAndStoreNothing feeds every command that reads
// a data, names, retrain or results file the inputs issue 10 found
// accepted or hanging: each must be refused at once with a short message
// naming the file and the place, and leave the store byte-identical.
func TestBadDataFilesAreRefusedAndStoreNothing(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	good := mustRead(t, data)
	lines := strings.Split(good, "\n")
	edit := func(name string, line int, f func(cells []string)) string {
		l := slices.Clone(lines)
		cells := strings.Split(l[line-1], ",")
		f(cells)
		l[line-1] = strings.Join(cells, ",")
		return writeFile(t, filepath.Join(tmp, name), strings.Join(l, "\n"))
	}
	fifo := filepath.Join(tmp, "pipe.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(tmp, "zero.csv")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	wide := "id," + strings.Repeat("column_with_a_long_name,", 100_000) + "label\n"
	wideRow := "1," + strings.Repeat("0.5,", 100_000) + "yes\n"
	shard := `{"format":"tracker-drop-retrain/1","model":"default","week":"2019-01-14","hash":"ab","kind":"drop-retrain","params":{"seeds":"1"},"retrain":{"feature":-1,"seed":0,"metric":METRIC}}` + "\n"
	data7 := []string{"--drop", "id", "--label", "label"}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"a NaN cell in --data", append([]string{"run", "perturb", "--data", edit("nan.csv", 5, func(c []string) { c[3] = "NaN" })}, data7...),
			exitError, []string{"nan.csv", "row 4 (line 5)", `column "c" (index 3)`, `"NaN"`, "not a finite number"}},
		{"a -inf cell in --data", append([]string{"run", "perturb", "--data", edit("inf.csv", 2, func(c []string) { c[1] = "-inf" })}, data7...),
			exitError, []string{"inf.csv", "row 1 (line 2)", `column "a" (index 1)`, `"-inf"`}},
		{"a cell that overflows float32", append([]string{"predict", "--data", edit("big.csv", 300, func(c []string) { c[6] = "1e39" })}, data7...),
			exitError, []string{"big.csv", "row 299 (line 300)", `column "f" (index 6)`, `"1e39"`, "float32"}},
		{"a header name that is not UTF-8", append([]string{"run", "perturb", "--data", edit("latin1.csv", 1, func(c []string) { c[6] = "gr\xf6\xdfe" })}, data7...),
			exitError, []string{"latin1.csv", "line 1", "column 6", `"gr\xf6\xdfe"`, "UTF-8"}},
		{"a label that is not UTF-8", append([]string{"predict", "--data", edit("label8.csv", 9, func(c []string) { c[7] = "n\xe9" })}, data7...),
			exitError, []string{"label8.csv", "row 8 (line 9)", `label column "label"`, "UTF-8"}},
		{"a label outside --classes", append([]string{"predict", "--data", data, "--classes", "no,maybe"}, data7...),
			exitError, []string{"planted.csv", `label "yes"`, "--classes"}},
		{"a word in a feature cell", append([]string{"predict", "--data", edit("word.csv", 3, func(c []string) { c[2] = "=1+1" })}, data7...),
			exitError, []string{"word.csv", "row 2 (line 3)", `"=1+1"`, "--drop", "--label"}},
		{"a ragged row", append([]string{"run", "perturb", "--data", edit("ragged.csv", 7, func(c []string) { c[7] = "yes,extra" })}, data7...),
			exitError, []string{"ragged.csv", "row 6 (line 7)", "9 columns, want 8"}},
		{"a 100,000-column header", append([]string{"run", "perturb", "--data", writeFile(t, filepath.Join(tmp, "wide.csv"), wide+wideRow)}, data7...),
			exitError, []string{"wide.csv", "100000 feature columns", "6 inputs", "and 99995 more"}},
		{"a label column that is not there", []string{"run", "perturb", "--data", data, "--label", strings.Repeat("x", 5000)},
			exitError, []string{"planted.csv", "neither a header name nor an index", "…", "--label and --drop take"}},
		{"a named pipe as --data", append([]string{"run", "perturb", "--data", fifo}, data7...),
			exitError, []string{"pipe.csv", "named pipe"}},
		{"a link to /dev/zero as --data", append([]string{"predict", "--data", zero}, data7...),
			exitError, []string{"zero.csv", "device"}},
		{"a named pipe as a feature-names file", []string{"features", "set", fifo},
			exitError, []string{"pipe.csv", "named pipe"}},
		{"a feature-names file that is not UTF-8", []string{"features", "set", writeFile(t, filepath.Join(tmp, "names.txt"), "a\nb\xff\nc\nd\ne\nf\n")},
			exitError, []string{"names.txt", "line 2", `"b\xff"`, "UTF-8"}},
		{"a NaN metric in retrain results", []string{"import", "drop-retrain", writeFile(t, filepath.Join(tmp, "r-nan.csv"), "feature,metric\nbaseline,0.9\n0,NaN\n")},
			exitError, []string{"r-nan.csv", "line 3", `metric "NaN"`, "finite"}},
		{"a metric beyond float32 in retrain results", []string{"import", "drop-retrain", writeFile(t, filepath.Join(tmp, "r-big.csv"), "feature,metric\nbaseline,3e38\n0,-3e38\n")},
			exitError, []string{"r-big.csv", "line 2", `"3e38"`, "finite"}},
		{"a feature name in retrain results that the series lacks", []string{"import", "drop-retrain", writeFile(t, filepath.Join(tmp, "r-name.csv"), "feature,metric\nbaseline,0.9\nnope,0.8\n")},
			exitError, []string{"r-name.csv", "line 3", `feature "nope"`}},
		{"a named pipe as retrain results", []string{"import", "drop-retrain", fifo},
			exitError, []string{"pipe.csv", "named pipe"}},
		{"a NaN --baseline", []string{"import", "drop-retrain", "--baseline", "NaN", writeFile(t, filepath.Join(tmp, "r-ok.csv"), "feature,metric\n0,0.8\n")},
			exitUsage, []string{"--baseline NaN", "finite"}},
		{"a named pipe as a results file", []string{"import", fifo},
			exitError, []string{"pipe.csv", "named pipe"}},
		{"a results line that is not UTF-8", []string{"import", writeFile(t, filepath.Join(tmp, "s8.jsonl"), strings.Replace(strings.Replace(shard, "METRIC", "0.5", 1), `"default"`, "\"def\xffault\"", 1))},
			exitError, []string{"s8.jsonl:1", "UTF-8"}},
		{"a results metric beyond float32", []string{"import", writeFile(t, filepath.Join(tmp, "sbig.jsonl"), strings.Replace(shard, "METRIC", "1e300", 1))},
			exitError, []string{"sbig.jsonl:1", "metric 1e+300"}},
		{"a results line with a megabyte-long number", []string{"import", writeFile(t, filepath.Join(tmp, "slong.jsonl"), strings.Replace(shard, "METRIC", "1"+strings.Repeat("0", 1<<20), 1))},
			exitError, []string{"slong.jsonl:1", "not a drop-retrain result line"}},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			before := fileSum(t, db)
			start := time.Now()
			r := tr(t, db, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %.2000s", r.code, tc.code, r.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.err, w) {
					t.Errorf("stderr does not mention %q:\n%.2000s", w, r.err)
				}
			}
			if len(r.err) > 1000 {
				t.Errorf("stderr is %d bytes: %.500s…", len(r.err), r.err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
			if fileSum(t, db) != before {
				t.Error("the store changed")
			}
		})
	}
}

func TestFeatureNamesFileMayStartWithABOM(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, _ := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	for _, tc := range []struct{ name, body string }{
		{"one name a line", "\ufeffa\r\nb\r\nc\r\nd\r\ne\r\nf\r\n"},
		{"a CSV header", "\ufeffa;b;c;d;e;f\n1;2;3;4;5;6\n"},
	} {
		t.Run(tc.name+" with a BOM stores the first name without it", func(t *testing.T) {
			mustRun(t, db, "features", "set", writeFile(t, filepath.Join(tmp, "names.txt"), tc.body))
			if out := mustRun(t, db, "features", "--format", "csv"); !strings.HasPrefix(out, "index,name\n0,a\n1,b\n") {
				t.Errorf("features:\n%s", out)
			}
		})
	}
}
