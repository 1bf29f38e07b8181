package dropretrain

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
)

// testRun is the identity of a small run, as its lines carry it.
func testRun() Line {
	return Line{Format: Format, Model: "default", Week: "2019-01-14", Hash: "abcdef0123456789", Kind: experiments.KindDropRetrain,
		Params: map[string]string{"seeds": "1"}, DataSHA256: "00ff", DataRows: 10, Seed: 1, ToolVersion: "test"}
}

// lineText is run's line for a training of feature f with metric m.
func lineText(t testing.TB, run Line, f int, m float64) string {
	t.Helper()
	run.Retrain = experiments.Retrain{Task: experiments.Task{Feature: f}, Metric: m}
	b, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func writeTemp(t testing.TB, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadFile(t *testing.T) {
	run := testRun()
	good := lineText(t, run, -1, 0.9) + lineText(t, run, 0, 0.8)
	other := run
	other.Format = "tracker-drop-retrain/9"
	for _, c := range []struct {
		name, body string
		lines      int    // read
		first      string // the first line's number
		err        string
		kind       error
	}{
		{"whole lines are read", good, 2, "1", "", nil},
		{"blank lines are skipped", "\n" + good + "\n\n", 2, "2", "", nil},
		{"a torn last line is ignored", good + `{"format":"tracker-drop-re`, 2, "1", "", nil},
		{"a last line without its newline is torn even when it parses", good + strings.TrimSuffix(lineText(t, run, 1, 0.7), "\n"), 2, "1", "", nil},
		{"a torn line that is not last is an error", `{"format":` + "\n" + good, 0, "", "s.jsonl:1: not a drop-retrain result line: unexpected end of JSON input", nil},
		{"a line of another format is refused by its number", good + lineText(t, other, 1, 0.5), 0, "", `s.jsonl:3: format "tracker-drop-retrain/9", want "tracker-drop-retrain/1"`, ErrFormat},
		{"a line that is not UTF-8 is refused", strings.Replace(good, `"default"`, "\"def\xffault\"", 1), 0, "", "s.jsonl:1: not a drop-retrain result line: the line is not UTF-8 text", nil},
		{"a metric beyond ±1.7e38 is refused", lineText(t, run, 0, 1e300), 0, "", "s.jsonl:1: metric 1e+300 is not within ±1.7e38: the file is damaged or was edited", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, "s.jsonl", c.body)
			lines, err := ReadFile(path)
			if c.err == "" {
				if err != nil || len(lines) != c.lines {
					t.Fatalf("%d lines, error %v; want %d", len(lines), err, c.lines)
				}
				if lines[0].Where != path+":"+c.first {
					t.Errorf("first line placed at %s", lines[0].Where)
				}
				return
			}
			if err == nil || !strings.HasSuffix(err.Error(), c.err) {
				t.Fatalf("error %v, want it to end %q", err, c.err)
			}
			if c.kind != nil && !errors.Is(err, c.kind) {
				t.Errorf("error %v does not match %v", err, c.kind)
			}
		})
	}
	t.Run("a missing file matches os.ErrNotExist", func(t *testing.T) {
		if _, err := ReadFile(filepath.Join(t.TempDir(), "none.jsonl")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v", err)
		}
	})
}

func TestReadParts(t *testing.T) {
	run := testRun()
	t.Run("no file holds no trainings", func(t *testing.T) {
		parts, err := ReadParts(filepath.Join(t.TempDir(), "none.jsonl"), &run)
		if err != nil || parts != nil {
			t.Errorf("parts %v, error %v", parts, err)
		}
	})
	t.Run("the run's lines are keyed as the store keys them", func(t *testing.T) {
		parts, err := ReadParts(writeTemp(t, "s.jsonl", lineText(t, run, -1, 0.9)+lineText(t, run, 2, 0.7)), &run)
		if err != nil || len(parts) != 2 || parts["b/0"] == nil || parts["f/2/0"] == nil {
			t.Errorf("parts %v, error %v", parts, err)
		}
	})
	for _, c := range []struct {
		name string
		edit func(*Line)
		diff string
	}{
		{"another model", func(l *Line) { l.Model = "other" }, `model "other", not "default"`},
		{"another version", func(l *Line) { l.Hash = "ffff" }, `week "2019-01-14" (version "ffff"), not week "2019-01-14" (version "abcdef012345")`},
		{"other parameters", func(l *Line) { l.Params = map[string]string{"seeds": "2"} }, `"drop-retrain" parameters "map[seeds:2]", not "drop-retrain" "map[seeds:1]"`},
		{"other data", func(l *Line) { l.DataRows = 11 }, `data sha256:"00ff" (11 rows), not sha256:"00ff" (10 rows)`},
		{"another seed", func(l *Line) { l.Seed = 2 }, "seed 2, not 1"},
	} {
		t.Run("a line of "+c.name+" is another run", func(t *testing.T) {
			other := testRun()
			c.edit(&other)
			path := writeTemp(t, "s.jsonl", lineText(t, run, -1, 0.9)+lineText(t, other, 0, 0.8))
			_, err := ReadParts(path, &run)
			want := path + ":2 holds another run (" + c.diff + ")"
			if err == nil || err.Error() != want || !errors.Is(err, ErrOtherRun) {
				t.Errorf("error %v, want %q matching ErrOtherRun", err, want)
			}
		})
	}
	t.Run("a tool version or format of its own is the same run", func(t *testing.T) {
		l := testRun()
		l.ToolVersion = "v9"
		if diff := SameRun(&run, &l); diff != "" {
			t.Errorf("SameRun says %q", diff)
		}
	})
}

func TestFileSink(t *testing.T) {
	run := testRun()
	t.Run("a torn last line is cut and new lines follow whole ones", func(t *testing.T) {
		path := writeTemp(t, "s.jsonl", lineText(t, run, -1, 0.9)+`{"format":"tra`)
		s, err := OpenFileSink(path, run)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Save(experiments.Retrain{Task: experiments.Task{Feature: 0}, Metric: 0.8, Loss: []float64{0.5}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := lineText(t, run, -1, 0.9); !strings.HasPrefix(string(b), want) || strings.Count(string(b), "\n") != 2 {
			t.Errorf("file:\n%s", b)
		}
		lines, err := ReadFile(path)
		if err != nil || len(lines) != 2 || lines[1].Retrain.Metric != 0.8 || len(lines[1].Retrain.Loss) != 1 || SameRun(&run, &lines[1].Line) != "" {
			t.Errorf("read back %+v, error %v", lines, err)
		}
	})
	t.Run("a new file is created", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.jsonl")
		s, err := OpenFileSink(path, run)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if info, err := os.Stat(path); err != nil || info.Size() != 0 {
			t.Errorf("stat %v, %v", info, err)
		}
	})
	t.Run("a named pipe is refused without blocking", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "pipe.jsonl")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenFileSink(fifo, run); err == nil || !strings.Contains(err.Error(), "results file: ") || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("error %v", err)
		}
	})
}
