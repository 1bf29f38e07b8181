package runs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/tracker"
)

// withColumns writes d's file again with its columns in the order of
// header (names from d's header, "label" included), and reads it as d was.
func withColumns(t testing.TB, d Data, header ...string) Data {
	t.Helper()
	b, err := os.ReadFile(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	from := strings.Split(lines[0], ",")
	var out strings.Builder
	for _, line := range lines {
		cells := strings.Split(line, ",")
		row := make([]string, len(header))
		for j, h := range header {
			i := slices.Index(from, h)
			if i < 0 {
				row[j] = "1"
				if line == lines[0] {
					row[j] = h
				}
				continue
			}
			row[j] = cells[i]
		}
		out.WriteString(strings.Join(row, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), strings.Join(header, "")+".csv")
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Path = path
	if d.Rows, err = ReadData(path, dataset.Options{Label: d.Label, Drop: d.Drop}); err != nil {
		t.Fatal(err)
	}
	return d
}

// namedStore is a store of one week whose series is named a, b, c, d.
func namedStore(t *testing.T) *testStore {
	ts := newStore(t)
	ts.ingest(t, "2019-01-14", 1, nil)
	s := ts.store(t, false)
	defer s.Close()
	if err := s.SetFeatures(tracker.DefaultModel, []string{"a", "b", "c", "d"}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestAReorderedFileMeasuresTheSameFeatures runs each method on the data
// in the series' order and on the same rows with the columns shuffled:
// each feature must get the same value, exactly.
func TestAReorderedFileMeasuresTheSameFeatures(t *testing.T) {
	data := dataFile(t, 40, false)
	po := experiments.PerturbOptions{Pivots: 8, Samples: 5, Noise: experiments.DefaultNoise}
	pm := experiments.PermutationOptions{Repeats: 2, Metric: "logloss"}
	for _, m := range []Method{
		{Kind: experiments.KindPerturb, Params: po.Params, Run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
			return experiments.Perturb(ctx, r, po)
		}},
		{Kind: experiments.KindPermutation, Params: func(_, output int) map[string]string { return pm.Params(output) }, Run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
			return experiments.Permutation(ctx, r, pm)
		}},
		gradient(t, newStore(t), new(int)),
	} {
		t.Run(m.Kind, func(t *testing.T) {
			var values [][]float64
			for _, d := range []Data{data, withColumns(t, data, "c", "label", "a", "d", "b")} {
				ts := namedStore(t)
				out, err := Measure(context.Background(), ts.env(nil), MethodSpec{Model: tracker.DefaultModel, Data: d, Output: -1, Seed: 1, Method: m})
				if err != nil {
					t.Fatal(err)
				}
				values = append(values, out.Weeks[0].Record.Value)
			}
			if !slices.Equal(values[0], values[1]) {
				t.Errorf("in the series' order %v, reordered %v: want the same value per feature", values[0], values[1])
			}
			if slices.Max(values[0]) == 0 {
				t.Errorf("every value is 0: the test tells nothing")
			}
		})
	}
}

func TestMatchColumns(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	many := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, c := range []struct {
		name   string
		header []string // nil: no header
		names  []string
		want   []string // the header after, as the columns now are
		err    string
		note   string
	}{
		{"the series' order is left as it is", names, names, names, "", ""},
		{"another order is put in the series' order", []string{"d", "a", "c", "b"}, names, names, "", ""},
		{"a series without names keeps the header's order", []string{"d", "a", "c", "b"}, nil, []string{"d", "a", "c", "b"}, "", ""},
		{"no header is taken by position, said once", nil, names, nil, "", `x.csv has no header: its columns are taken by position as the features of model "m"` + "\n"},
		{"a column missing and one unexpected", []string{"a", "id", "c", "b"}, names, nil, `x.csv: the header does not match the 4 feature names of model "m": missing "d"; unexpected "id"`, ""},
		{"a column missing", []string{"a", "c", "b"}, names, nil, `x.csv: the header does not match the 4 feature names of model "m": missing "d"`, ""},
		{"a column more", []string{"a", "c", "label", "b", "d"}, names, nil, `x.csv: the header does not match the 4 feature names of model "m": unexpected "label"`, ""},
		{"a name twice", []string{"a", "b", "c", "d", "a"}, names, nil, `x.csv: the header does not match the 4 feature names of model "m": repeated "a"`, ""},
		{"long lists are cut", []string{"p", "q", "r", "s", "t", "u", "v", "w"}, many, nil,
			`x.csv: the header does not match the 8 feature names of model "m": missing "a", "b", "c", "d", "e" and 3 more; unexpected "p", "q", "r", "s", "t" and 3 more`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cols := len(names)
			if c.header != nil {
				cols = len(c.header)
			}
			// Row r, column j holds 10r + the column's letter position,
			// so a value says which feature it belongs to.
			rows := &dataset.Dataset{Names: slices.Clone(c.header), Rows: 2, Cols: cols}
			for r := range 2 {
				for j := range cols {
					v := float32(10*r + j)
					if c.header != nil {
						v = float32(10*r) + float32(c.header[j][0]-'a')
					}
					rows.X = append(rows.X, v)
				}
			}
			var notes strings.Builder
			err := MatchColumns(&notes, "x.csv", rows, c.names, `model "m"`)
			if c.err != "" {
				if !errors.Is(err, ErrHeader) || err.Error() != c.err {
					t.Errorf("error %v\nwant %q matching ErrHeader", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if notes.String() != c.note {
				t.Errorf("notes %q, want %q", notes.String(), c.note)
			}
			if !slices.Equal(rows.Names, c.want) {
				t.Errorf("names after %v, want %v", rows.Names, c.want)
			}
			for r := range 2 {
				for j, n := range rows.Names {
					if want := float32(10*r) + float32(n[0]-'a'); rows.Row(r)[j] != want {
						t.Errorf("row %d column %d (%s) holds %v, want %v", r, j, n, rows.Row(r)[j], want)
					}
				}
			}
		})
	}
}

func TestMeasureRefusesAHeaderOfOtherNames(t *testing.T) {
	ts := namedStore(t)
	data := withColumns(t, dataFile(t, 20, false), "a", "b", "e", "label", "c")
	before := ts.sum(t)
	var calls int
	_, err := Measure(context.Background(), ts.env(nil), MethodSpec{Model: tracker.DefaultModel, Data: data, Output: -1, Method: gradient(t, ts, &calls)})
	want := data.Path + `: the header does not match the 4 feature names of model "default": missing "d"; unexpected "e"`
	if !errors.Is(err, ErrHeader) || err.Error() != want {
		t.Errorf("error %v\nwant %q", err, want)
	}
	if calls != 0 || ts.sum(t) != before {
		t.Errorf("a refused run ran %d times or changed the store", calls)
	}
}

func TestDropRetrainMatchesTrainingAndValidationColumns(t *testing.T) {
	data := dataFile(t, 40, false)
	val := withColumns(t, dataFile(t, 10, false), "a", "b", "c", "d", "label")
	for _, c := range []struct {
		name  string
		named bool // the series has names a, b, c, d
		train []string
		val   []string
		err   string // the error's text after the file's path
	}{
		{"both files reordered to the series' names", true, []string{"d", "c", "label", "b", "a"}, []string{"b", "label", "a", "c", "d"}, ""},
		{"validation rows reordered to the training header when the series has none", false, []string{"a", "b", "c", "d", "label"}, []string{"b", "label", "a", "c", "d"}, ""},
		{"validation rows of other columns are refused", true, []string{"a", "b", "c", "d", "label"}, []string{"a", "b", "c", "x", "label"},
			`: the header does not match the 4 feature names of model "default": missing "d"; unexpected "x"`},
		{"validation rows of other columns than the training header are refused", false, []string{"a", "b", "c", "d", "label"}, []string{"a", "b", "c", "x", "label"},
			`: the header does not match the 4 feature names of ` + "TRAIN" + `: missing "d"; unexpected "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newStore(t)
			ts.ingest(t, "2019-01-14", 1, nil)
			if c.named {
				ts = namedStore(t)
			}
			spec := dropSpec(withColumns(t, data, c.train...), &fakeRetrain{})
			v := withColumns(t, val, c.val...)
			spec.Val, spec.ValPath = v.Rows, v.Path
			_, err := DropRetrain(context.Background(), ts.env(nil), spec)
			if c.err != "" {
				want := v.Path + strings.ReplaceAll(c.err, "TRAIN", spec.Data.Path)
				if !errors.Is(err, ErrHeader) || err.Error() != want {
					t.Errorf("error %v\nwant %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(spec.Data.Rows.X, data.Rows.X) || !slices.Equal(spec.Val.X, val.Rows.X) {
				t.Errorf("the rows trained and validated on are not the files' rows in the order a, b, c, d")
			}
		})
	}
}
