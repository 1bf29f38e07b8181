package cli

import (
	"encoding/csv"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

// formulaFeatures are the planted model's six feature names: each begins with
// a character a spreadsheet reads as the start of a formula or a number.
var formulaFeatures = []string{`=HYPERLINK("x")`, "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR"}

// formulaLabels replace the planted data's yes and no.
var formulaLabels = map[string]string{"yes": "=1+1", "no": "-2"}

// dangerous reports whether a spreadsheet would run or convert a cell.
func dangerous(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0]))
}

// csvSafeStore ingests the planted model (its Keras version is hostile
// text too), names its features with formulaFeatures, and writes the planted
// data with hostile labels.
func csvSafeStore(t *testing.T) (db, data string) {
	t.Helper()
	tmp := t.TempDir()
	db = filepath.Join(tmp, "tracker.db")
	snap, err := snapshottest.Planted(snapshot.Meta{KerasVersion: "=2+2", Backend: "tensorflow"})
	if err != nil {
		t.Fatal(err)
	}
	// Stored through the API, as ingest does: an exported file would say
	// which Keras layout it really is, not the hostile version.
	s, err := tracker.Open(db, tracker.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Now: func() time.Time { return fixedNow }}
	var exps []tracker.Experiment
	for _, r := range experiments.DataFree(snap) {
		exps = append(exps, record(r, env, 0))
	}
	if _, err := s.Ingest([]tracker.IngestRequest{{Model: tracker.DefaultModel, Week: "2019-01-14", Snapshot: snap, Experiments: exps}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFeatures(tracker.DefaultModel, formulaFeatures); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(snapshottest.PlantedCSV(300))), "\n")
	// No header: the store's names stay (a header's cells are trimmed, so
	// names with a tab or CR could not match), and the columns are taken by
	// position: id, the six features, the label.
	lines = lines[1:]
	for i := range lines {
		cut := strings.LastIndexByte(lines[i], ',')
		lines[i] = lines[i][:cut+1] + formulaLabels[lines[i][cut+1:]]
	}
	data = writeFile(t, filepath.Join(tmp, "hostile.csv"), strings.Join(lines, "\n")+"\n")
	return db, data
}

// TestEveryCSVNeutralisesUserTextAndKeepsNumbers runs each command that
// writes CSV on a store whose names, labels and Keras version would run as
// formulas: every cell of user text must come out with a leading
// apostrophe, and every number we formatted must stay a bare number.
func TestEveryCSVNeutralisesUserTextAndKeepsNumbers(t *testing.T) {
	db, data := csvSafeStore(t)
	tmp := t.TempDir()
	retrains := writeFile(t, filepath.Join(tmp, "retrains.csv"), "feature,metric\nbaseline,0.9\n0,0.8\n1,0.95\n2,0.9\n3,0.7\n4,0.85\n5,0.91\n")
	// Commands that record come first: the later ones read their records.
	for _, tc := range []struct {
		name    string
		args    []string
		user    []string // columns of user text
		numbers []string // columns of numbers; others are our own words
		want    []string // neutralised cells that must appear
	}{
		{"run perturb", []string{"run", "perturb", "--data", data, "--drop", "0", "--label", "7", "--format", "csv"},
			[]string{"name"}, []string{"index", "value", "spread", "se", "rank", "flip_rate"}, quoted(formulaFeatures)},
		{"import drop-retrain", []string{"import", "drop-retrain", retrains, "--format", "csv"},
			[]string{"name"}, []string{"index", "value", "spread", "rank"}, quoted(formulaFeatures)},
		{"predict", []string{"predict", "--data", data, "--drop", "0", "--label", "7", "--format", "csv"},
			[]string{"label"}, []string{"row", "p0", "predicted"}, []string{"'=1+1", "'-2"}},
		{"features", []string{"features", "--format", "csv"},
			[]string{"name"}, []string{"index"}, quoted(formulaFeatures)},
		{"list", []string{"list", "--format", "csv"},
			[]string{"model", "keras_version"}, []string{"version", "inputs", "outputs", "layers", "params", "experiments"}, []string{"'=2+2"}},
		{"query feature", []string{"query", "feature", "1", "--format", "csv"},
			nil, []string{"version", "perturb value", "perturb rank", "perturb change", "drop-retrain value", "drop-retrain rank", "drop-retrain change"}, nil},
		{"query week", []string{"query", "week", "--experiment", "drop-retrain", "--format", "csv"},
			[]string{"name"}, []string{"rank", "index", "value", "spread", "previous_rank", "rank_change"}, quoted(formulaFeatures)},
		{"export long", []string{"export"},
			[]string{"model", "feature_name"}, []string{"version", "feature_index", "value", "spread", "rank"}, quoted(formulaFeatures)},
		{"export wide", []string{"export", "--wide", "--experiment", "drop-retrain"},
			[]string{"model", "feature_name"}, []string{"feature_index", "2019-01-14"}, quoted(formulaFeatures)},
	} {
		t.Run(tc.name+" neutralises user text and keeps numbers bare", func(t *testing.T) {
			r := tr(t, db, tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
			if err != nil {
				t.Fatalf("%v:\n%s", err, r.out)
			}
			header := rows[0]
			for _, h := range header {
				if dangerous(h) {
					t.Errorf("header cell %q is not neutralised", h)
				}
			}
			for _, c := range slices.Concat(tc.user, tc.numbers) {
				if !slices.Contains(header, c) {
					t.Errorf("no column %q in %q", c, header)
				}
			}
			var cells []string
			for _, row := range rows[1:] {
				for j, cell := range row {
					col := header[j]
					switch {
					case slices.Contains(tc.user, col):
						cells = append(cells, cell)
						if dangerous(cell) {
							t.Errorf("column %s: user text %q is not neutralised", col, cell)
						}
					case slices.Contains(tc.numbers, col):
						if _, err := strconv.ParseFloat(cell, 64); cell != "" && (err != nil || !table.PlainNumber(cell)) {
							t.Errorf("column %s: %q is not a bare number", col, cell)
						}
					case dangerous(cell) || strings.HasPrefix(cell, "'"):
						t.Errorf("column %s: our own text %q looks like a formula or was quoted", col, cell)
					}
				}
			}
			for _, w := range tc.want {
				if !slices.Contains(cells, w) {
					t.Errorf("no cell %q among %q", w, cells)
				}
			}
		})
	}
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "'" + n
	}
	return out
}

// TestOnlyTableWritesCSV keeps every CSV writer on the neutralising
// path: a csv.NewWriter anywhere outside internal/table would bypass it.
func TestOnlyTableWritesCSV(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "table" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "NewWriter" {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "csv" {
					t.Errorf("%s: csv.NewWriter bypasses the formula-safe writer: use internal/table", fset.Position(sel.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPredictCSVKeepsTheGoldenShapeForPlainLabels(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	prefix, data := plantedFiles(t, tmp)
	mustRun(t, db, "ingest", prefix)
	out := mustRun(t, db, "predict", "--data", data, "--drop", "id", "--label", "label")
	lines := strings.Split(out, "\n")
	if lines[0] != "row,p0,predicted,label" || !regexp.MustCompile(`^1,[0-9.e-]+,[01],(yes|no)$`).MatchString(lines[1]) {
		t.Errorf("predict CSV starts %q", lines[:2])
	}
}
