package runs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/tracker"
)

// gradient is the gradient method on few steps and rows, counting its
// runs in calls; during each it checks that the run holds no store lock
// by opening ts for writing.
func gradient(t *testing.T, ts *testStore, calls *int) Method {
	o := experiments.GradientOptions{Baseline: "mean", Steps: 4, Rows: 10}
	return Method{Kind: experiments.KindGradient, Params: o.Params, Unit: "rows",
		Run: func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
			*calls++
			s, err := ts.open(false)
			if err != nil {
				t.Errorf("a run holds the store while its method runs: %v", err)
			} else {
				s.Close()
			}
			return experiments.Gradient(ctx, r, o)
		}}
}

// seasonStore holds three weeks; the second was ingested twice, so its
// current version is 3. Only version 1 has a weight-sum record.
func seasonStore(t *testing.T) *testStore {
	ts := newStore(t)
	ws := experiments.WeightSum(model(t, 1))
	ts.ingest(t, "2019-01-14", 1, &ws) // version 1
	ts.ingest(t, "2019-01-21", 2, nil) // version 2
	ts.ingest(t, "2019-01-21", 3, nil) // version 3 replaces it
	ts.ingest(t, "2019-01-28", 4, nil) // version 4
	return ts
}

func versions(out *Outcome) []uint64 {
	var vs []uint64
	for _, w := range out.Weeks {
		vs = append(vs, w.Version.Version)
	}
	return vs
}

func TestMeasureRunsTheCurrentVersionOfEachWeek(t *testing.T) {
	ts := seasonStore(t)
	data := dataFile(t, 30, false)
	for _, c := range []struct {
		name  string
		weeks Weeks
		want  []uint64
	}{
		{"no weeks named runs the newest", Weeks{}, []uint64{4}},
		{"latest is the newest week", Weeks{Week: "latest"}, []uint64{4}},
		{"a date runs that week's current version", Weeks{Week: "2019-01-21"}, []uint64{3}},
		{"a date in another form names the same week", Weeks{Week: "20190114"}, []uint64{1}},
		{"the newest two weeks run oldest first", Weeks{N: 2}, []uint64{3, 4}},
		{"more weeks than the series has runs them all", Weeks{N: 9}, []uint64{1, 3, 4}},
		{"all weeks run each week once", Weeks{All: true}, []uint64{1, 3, 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls int
			out, err := Measure(context.Background(), ts.env(nil), MethodSpec{Model: tracker.DefaultModel, Weeks: c.weeks, Data: data, Output: -1, Seed: 1, Method: gradient(t, ts, &calls)})
			if err != nil {
				t.Fatal(err)
			}
			if got := versions(out); !slices.Equal(got, c.want) {
				t.Errorf("ran versions %v, want %v", got, c.want)
			}
		})
	}
}

func TestMeasureFindsAStoredRecordByItsIdentity(t *testing.T) {
	ts := seasonStore(t)
	data := dataFile(t, 30, false)
	other := dataFile(t, 31, false)
	var calls int
	base := MethodSpec{Model: tracker.DefaultModel, Weeks: Weeks{Week: "2019-01-14"}, Data: data, Output: -1, Seed: 1, Method: gradient(t, ts, &calls)}
	found := "week 2019-01-14: gradient already recorded with these parameters, data and seed (on 2019-02-04); nothing stored, showing the stored result\n"
	replaced := func(data string, seed int) string {
		return fmt.Sprintf("week 2019-01-14: this gradient record now speaks for the week; the one on data %.12s with seed %d (recorded 2019-02-04) is kept\n", data, seed)
	}
	refused := func(stored string, storedSeed int, run string, runSeed int) string {
		return fmt.Sprintf("week 2019-01-14 already has a gradient record of data role week with these parameters, on data %.12s with seed %d (recorded 2019-02-04), and this run's data is %.12s with seed %d", stored, storedSeed, run, runSeed)
	}
	d, o := data.Rows.SHA256, other.Rows.SHA256
	// Each step runs after the ones before it, on the same store.
	for _, c := range []struct {
		name     string
		edit     func(*MethodSpec)
		computed bool   // the method ran and a record landed
		refused  string // the error, matching ErrReplace
		note     string // the notes, exactly
		records  int    // gradient records of version 1 after
		speaks   string // data and seed of the series' record that speaks for the week after
	}{
		{"a first run computes and records", func(*MethodSpec) {}, true, "", "stored the 4 feature names from the header of " + data.Path + ` for model "default" (tracker features lists them)` + "\n", 1, d + " 1"},
		{"the same run again computes nothing and shows the stored record", func(*MethodSpec) {}, false, "", found, 1, d + " 1"},
		{"another seed on the same series is refused, naming both data and seeds", func(s *MethodSpec) { s.Seed = 2 }, false, refused(d, 1, d, 2), "", 1, d + " 1"},
		{"another seed with replace is recorded and speaks for the week", func(s *MethodSpec) { s.Seed, s.Replace = 2, true }, true, "", replaced(d, 1), 2, d + " 2"},
		{"other data is refused against the record that speaks now", func(s *MethodSpec) { s.Data = other }, false, refused(d, 2, o, 1), "", 2, d + " 2"},
		{"other data with replace is recorded and speaks", func(s *MethodSpec) { s.Data, s.Replace = other, true }, true, "", replaced(d, 2), 3, o + " 1"},
		{"the first record's identity is stored: no rival, it is shown", func(*MethodSpec) {}, false, "", found, 3, o + " 1"},
		{"the same file read with other settings is another series", func(s *MethodSpec) { s.Data.Classes = []string{"no", "yes"} }, true, "", "", 4, o + " 1"},
		{"output 0, the last of one, is the unit watched by default: the same record", func(s *MethodSpec) { s.Output = 0 }, false, "", found, 4, o + " 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := base
			c.edit(&spec)
			before, calls0 := ts.sum(t), calls
			var notes strings.Builder
			out, err := Measure(context.Background(), ts.env(&notes), spec)
			if c.refused != "" {
				if !errors.Is(err, ErrReplace) || err.Error() != c.refused {
					t.Errorf("error %v\nwant %q matching ErrReplace", err, c.refused)
				}
			} else if err != nil {
				t.Fatal(err)
			} else {
				w := out.Weeks[0]
				if (w.Stored == nil) != c.computed {
					t.Errorf("stored record %v; want computed %v", w.Stored != nil, c.computed)
				}
				if len(w.Record.Value) != inputs || w.Record.CreatedAt.IsZero() || w.Record.ToolVersion != "test" {
					t.Errorf("the record shown has no results: %+v", w.Record)
				}
			}
			if ran := calls > calls0; ran != c.computed {
				t.Errorf("the method ran %v, want %v", ran, c.computed)
			}
			if c.computed == (ts.sum(t) == before) {
				t.Errorf("the store changed: %v, want %v", ts.sum(t) != before, c.computed)
			}
			if notes.String() != c.note {
				t.Errorf("notes %q, want %q", notes.String(), c.note)
			}
			if n := ts.records(t, 1)[experiments.KindGradient]; n != c.records {
				t.Errorf("%d gradient records, want %d", n, c.records)
			}
			s := ts.store(t, true)
			defer s.Close()
			exps, err := s.Experiments(tracker.DefaultModel, 1)
			if err != nil {
				t.Fatal(err)
			}
			e := tracker.SeriesRecord(exps, tracker.SeriesKey(experiments.KindGradient, map[string]string{"baseline": "mean", "label": "label", "output": "0", "rows": "10", "steps": "4"}))
			if got := fmt.Sprintf("%s %d", e.DataSHA256, e.Seed); got != c.speaks {
				t.Errorf("the record that speaks for the week is on %s, want %s", got, c.speaks)
			}
		})
	}
}

func TestMeasureRefusesARivalInAnyWeekBeforeComputing(t *testing.T) {
	ts := seasonStore(t)
	data, other := dataFile(t, 30, false), dataFile(t, 31, false)
	var calls int
	spec := MethodSpec{Model: tracker.DefaultModel, Weeks: Weeks{All: true}, Data: data, Output: -1, Seed: 1, Method: gradient(t, ts, &calls)}
	if _, err := Measure(context.Background(), ts.env(nil), spec); err != nil {
		t.Fatal(err)
	}
	reference := spec
	reference.Data = other
	reference.Data.Role = "reference"
	if _, err := Measure(context.Background(), ts.env(nil), reference); err != nil {
		t.Errorf("another data role over the same weeks: %v, want its own series", err)
	}
	before, calls0 := ts.sum(t), calls
	spec.Data = other
	_, err := Measure(context.Background(), ts.env(nil), spec)
	want := fmt.Sprintf("week 2019-01-14 already has a gradient record of data role week with these parameters, on data %.12s with seed 1 (recorded 2019-02-04), and this run's data is %.12s with seed 1 (2 more of the run's weeks have a record of this series too)", data.Rows.SHA256, other.Rows.SHA256)
	if !errors.Is(err, ErrReplace) || err.Error() != want {
		t.Errorf("error %v\nwant %q", err, want)
	}
	reference.Data = data
	reference.Data.Role = "reference"
	_, err = Measure(context.Background(), ts.env(nil), reference)
	want = fmt.Sprintf("week 2019-01-14 already has a gradient record of data role reference with these parameters, on data %.12s with seed 1 (recorded 2019-02-04), and this run's data is %.12s with seed 1 (2 more of the run's weeks have a record of this series too)", other.Rows.SHA256, data.Rows.SHA256)
	if !errors.Is(err, ErrReplace) || err.Error() != want {
		t.Errorf("within the reference role: error %v\nwant %q", err, want)
	}
	if calls != calls0 || ts.sum(t) != before {
		t.Errorf("a refused run computed %d weeks or changed the store", calls-calls0)
	}
}

func TestDataRoleIsAParameterUnlessItIsTheDefault(t *testing.T) {
	for _, c := range []struct {
		role string
		want string // the data_role parameter; "" for none
		err  string
	}{
		{"", "", ""},
		{"week", "", ""},
		{"reference", "reference", ""},
		{"holdout-2019_q1", "holdout-2019_q1", ""},
		{"Reference", "", `data role "Reference" is not a name of 1 to 32 lowercase letters, digits, _ and -, such as week or reference`},
		{"a b", "", `data role "a b" is not a name of 1 to 32 lowercase letters, digits, _ and -, such as week or reference`},
		{strings.Repeat("x", 33), "", `data role "` + strings.Repeat("x", 33) + `" is not a name of 1 to 32 lowercase letters, digits, _ and -, such as week or reference`},
	} {
		t.Run(fmt.Sprintf("role %q", c.role), func(t *testing.T) {
			if err := checkRole(c.role); c.err != "" {
				if !errors.Is(err, ErrRole) || err.Error() != c.err {
					t.Errorf("checkRole: %v, want %q", err, c.err)
				}
				return
			} else if err != nil {
				t.Fatal(err)
			}
			p := map[string]string{}
			(&Data{Role: c.role}).params(p)
			if p["data_role"] != c.want || (c.want == "") != (len(p) == 0) {
				t.Errorf("parameters %v, want data_role %q", p, c.want)
			}
		})
	}
}

func TestMeasureRecordsEachWeekInItsOwnWrite(t *testing.T) {
	ts := seasonStore(t)
	data := dataFile(t, 30, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls int
	m := gradient(t, ts, &calls)
	run := m.Run
	m.Run = func(ctx context.Context, r *experiments.Run) (experiments.Result, error) {
		if calls == 2 {
			cancel() // as if Ctrl-C came during the third week
		}
		return run(ctx, r)
	}
	_, err := Measure(ctx, ts.env(nil), MethodSpec{Model: tracker.DefaultModel, Weeks: Weeks{All: true}, Data: data, Output: -1, Seed: 1, Method: m})
	if want := "interrupted during week 2019-01-28: nothing stored for it (2 earlier weeks were stored)"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	for v, want := range map[uint64]int{1: 1, 2: 0, 3: 1, 4: 0} {
		if n := ts.records(t, v)[experiments.KindGradient]; n != want {
			t.Errorf("version %d holds %d gradient records, want %d", v, n, want)
		}
	}
}

func TestMeasureComparesWithTheStoredWeightSum(t *testing.T) {
	ts := newStore(t)
	stored := experiments.Result{Kind: experiments.KindWeightSum, Value: []float64{4, 3, 2, 1}, Rank: []int{1, 2, 3, 4}}
	ts.ingest(t, "2019-01-14", 1, &stored)
	ts.ingest(t, "2019-01-21", 2, nil)
	var calls int
	out, err := Measure(context.Background(), ts.env(nil), MethodSpec{Model: tracker.DefaultModel, Weeks: Weeks{All: true}, Data: dataFile(t, 30, false), Output: -1, Method: gradient(t, ts, &calls)})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Weeks[0].WeightSum; !slices.Equal(got.Value, stored.Value) || !slices.Equal(got.Rank, stored.Rank) {
		t.Errorf("week 1 compares with %v, want the stored weight-sum %v", got.Value, stored.Value)
	}
	if got, want := out.Weeks[1].WeightSum, experiments.WeightSum(model(t, 2)); !slices.Equal(got.Value, want.Value) {
		t.Errorf("week 2, with no weight-sum stored, compares with %v, want the computed %v", got.Value, want.Value)
	}
}

func TestMeasureAdoptsTheHeaderNamesOnce(t *testing.T) {
	for _, c := range []struct {
		name     string
		stored   []string // the series' names before
		noHeader bool
		notes    int  // "stored the 4 feature names" lines
		position bool // a line says the columns are taken by position
		want     []string
	}{
		{"a series without names takes the header's, noted once over three weeks", nil, false, 1, false, []string{"a", "b", "c", "d"}},
		{"a series with names keeps them", []string{"d", "c", "b", "a"}, false, 0, false, []string{"d", "c", "b", "a"}},
		{"data without a header leaves a series without names, read by position", nil, true, 0, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := seasonStore(t)
			if c.stored != nil {
				s := ts.store(t, false)
				if err := s.SetFeatures(tracker.DefaultModel, c.stored); err != nil {
					t.Fatal(err)
				}
				s.Close()
			}
			data := dataFile(t, 30, c.noHeader)
			var notes strings.Builder
			var calls int
			out, err := Measure(context.Background(), ts.env(&notes), MethodSpec{Model: tracker.DefaultModel, Weeks: Weeks{All: true}, Data: data, Output: -1, Method: gradient(t, ts, &calls)})
			if err != nil {
				t.Fatal(err)
			}
			note := "stored the 4 feature names from the header of " + data.Path + ` for model "default" (tracker features lists them)` + "\n"
			position := data.Path + ` has no header: its columns are taken by position as the features of model "default"` + "\n"
			lines := c.notes
			if c.position {
				lines++
			}
			if n := strings.Count(notes.String(), note); n != c.notes || strings.Count(notes.String(), position) != lines-c.notes || strings.Count(notes.String(), "\n") != lines {
				t.Errorf("notes %q: %d adoptions, want %d, a position note %v and nothing else", notes.String(), n, c.notes, c.position)
			}
			s := ts.store(t, true)
			defer s.Close()
			names, err := s.Features(tracker.DefaultModel)
			if err != nil || !slices.Equal(names, c.want) || !slices.Equal(out.Names, c.want) {
				t.Errorf("stored names %v (%v), shown %v; want %v", names, err, out.Names, c.want)
			}
		})
	}
}

func TestMeasureRefusesBeforeItStoresAnything(t *testing.T) {
	ts := seasonStore(t)
	data := dataFile(t, 30, false)
	narrow := data
	narrow.Drop = []string{"a"}
	var err error
	if narrow.Rows, err = ReadData(data.Path, dataset.Options{Label: "label", Drop: narrow.Drop}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		spec MethodSpec
		kind error
		want string
	}{
		{"an output unit the version lacks", MethodSpec{Data: data, Output: 1}, ErrOutput, "output 1: week 2019-01-28 has outputs 0 to 0"},
		{"a feature column dropped", MethodSpec{Data: narrow, Output: -1}, ErrColumns,
			narrow.Path + `: 3 feature columns, but week 2019-01-28 (version 4) has 4 inputs (columns "b", "c", "d")`},
		{"a week the series lacks", MethodSpec{Weeks: Weeks{Week: "2018-01-01"}, Data: data}, tracker.ErrNotFound, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := ts.sum(t)
			var calls int
			c.spec.Model, c.spec.Method = tracker.DefaultModel, gradient(t, ts, &calls)
			_, err := Measure(context.Background(), ts.env(nil), c.spec)
			if !errors.Is(err, c.kind) || (c.want != "" && err.Error() != c.want) {
				t.Errorf("error %v, want %q matching %v", err, c.want, c.kind)
			}
			if calls != 0 || ts.sum(t) != before {
				t.Errorf("the method ran %d times and the store changed: %v", calls, ts.sum(t) != before)
			}
		})
	}
	var oe *OutputError
	if _, err := Measure(context.Background(), ts.env(nil), MethodSpec{Model: tracker.DefaultModel, Data: data, Output: 3, Method: gradient(t, ts, new(int))}); !errors.As(err, &oe) || *oe != (OutputError{Output: 3, Week: "2019-01-28", Outputs: 1}) {
		t.Errorf("error %v, want an *OutputError with the facts", err)
	}
}
