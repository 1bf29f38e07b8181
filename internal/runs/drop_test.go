package runs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dropretrain"
	"github.com/tracker-ml/tracker/tracker"
)

// fakeRetrain trains nothing: feature f's metric is 0.9 - 0.1f - 0.01s
// for seed s, the baseline's 0.9. It records the tasks it ran.
type fakeRetrain struct {
	mu  sync.Mutex
	ran []experiments.Task
}

func (f *fakeRetrain) retrain(_ context.Context, t experiments.Task, progress func(int)) (experiments.Retrain, error) {
	f.mu.Lock()
	f.ran = append(f.ran, t)
	f.mu.Unlock()
	progress(1)
	m := 0.9
	if t.Feature != experiments.Baseline {
		m -= 0.1*float64(t.Feature) + 0.01*float64(t.Seed)
	}
	return experiments.Retrain{Task: t, Metric: m, Loss: []float64{1}, TookMS: 5}, nil
}

func (f *fakeRetrain) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ran)
}

// dropSpec is a drop-retrain of the newest week with two seeds: 2
// baselines and 4 features x 2 seeds, 10 trainings.
func dropSpec(data Data, f *fakeRetrain) DropSpec {
	spec := DropSpec{Model: tracker.DefaultModel, Week: "latest", Data: data, ValSplit: 0.2, Seed: 1, Shard: dropretrain.Whole, Workers: 2}
	spec.Options = experiments.DropRetrainOptions{Epochs: 1, Batch: 8, LR: 0.01, Seeds: 2, Metric: "accuracy", Init: experiments.InitScratch}
	if f != nil {
		spec.Retrain = f.retrain
	}
	return spec
}

func TestDropRetrainResumesFromTheStoredTrainings(t *testing.T) {
	ts := newStore(t)
	ts.ingest(t, "2019-01-14", 1, nil)
	data := dataFile(t, 40, false)
	fake := &fakeRetrain{}
	// Each step runs after the ones before it, on the same store.
	for _, c := range []struct {
		name     string
		edit     func(*DropSpec)
		trained  int    // trainings this step ran
		recorded bool   // the outcome shows the week
		note     string // a line the notes hold
	}{
		{"shard 0 of 2 stores its trainings and records nothing", func(s *DropSpec) { s.Shard = dropretrain.Shard{Index: 0, Count: 2} }, 6, false,
			"shard 0/2 done: 6 of 10 trainings of this run are done, 4 belong to other shards; run the other shards: the run is recorded when its last training is stored\n"},
		{"shard 0 again has nothing left to train", func(s *DropSpec) { s.Shard = dropretrain.Shard{Index: 0, Count: 2} }, 0, false,
			"resuming: 6 of 10 trainings of this run are already done\n"},
		{"the whole run resumed trains only the rest and records the run", func(s *DropSpec) { s.Resume = true }, 4, true,
			"resuming: 6 of 10 trainings of this run are already done\n"},
		{"the run again trains nothing and shows the stored record", func(*DropSpec) {}, 0, true,
			"week 2019-01-14: drop-retrain already recorded with these parameters, data and seed (on 2019-02-04); nothing to run, showing the stored result\n"},
		{"another seed is another run", func(s *DropSpec) { s.Seed = 2; s.Features = []string{"b"} }, 4, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := dropSpec(data, fake)
			c.edit(&spec)
			var notes strings.Builder
			before := fake.count()
			out, err := DropRetrain(context.Background(), ts.env(&notes), spec)
			if err != nil {
				t.Fatal(err)
			}
			if n := fake.count() - before; n != c.trained {
				t.Errorf("trained %d, want %d", n, c.trained)
			}
			if (len(out.Weeks) == 1) != c.recorded {
				t.Fatalf("outcome has %d weeks, want the week %v", len(out.Weeks), c.recorded)
			}
			if !strings.Contains(notes.String(), c.note) {
				t.Errorf("notes %q lack %q", notes.String(), c.note)
			}
			if c.recorded {
				e := &out.Weeks[0].Record
				if want := 0.1*1 + 0.005; math.Abs(e.Value[1]-want) > 1e-9 || e.Rank[1] == 0 || e.ToolVersion != "test" {
					t.Errorf("feature 1: %v rank %d, tool %q; want %v", e.Value[1], e.Rank[1], e.ToolVersion, want)
				}
			}
		})
	}
	if n := ts.records(t, 1)[experiments.KindDropRetrain]; n != 2 {
		t.Errorf("%d drop-retrain records, want 2", n)
	}
}

func TestDropRetrainToShardFilesAndImport(t *testing.T) {
	ts := newStore(t)
	ts.ingest(t, "2019-01-14", 1, nil)
	data := dataFile(t, 40, false)
	fake := &fakeRetrain{}
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "s0.jsonl"), filepath.Join(dir, "s1.jsonl")}
	before := ts.sum(t)
	for i, file := range files {
		spec := dropSpec(data, fake)
		spec.Shard, spec.Out = dropretrain.Shard{Index: i, Count: 2}, file
		var notes strings.Builder
		out, err := DropRetrain(context.Background(), ts.env(&notes), spec)
		if err != nil || len(out.Weeks) != 0 {
			t.Fatalf("shard %d: %v, %d weeks", i, err, len(out.Weeks))
		}
	}
	if ts.sum(t) != before {
		t.Error("runs writing shard files changed the store")
	}
	// A run with other settings refuses to append to a file of this one.
	spec := dropSpec(data, fake)
	spec.Out, spec.Options.Epochs = files[0], 2
	if _, err := DropRetrain(context.Background(), ts.env(nil), spec); !errors.Is(err, dropretrain.ErrOtherRun) {
		t.Errorf("another run into the same file: %v, want ErrOtherRun", err)
	}

	var notes strings.Builder
	out, err := ImportShards(ts.env(&notes), ShardsSpec{Files: files[:1]})
	if err != nil || len(out.Weeks) != 0 || !strings.Contains(notes.String(), "imported 6 new trainings from 1 files (0 were already stored); 6 of 10 trainings of this run are in\nmissing: 4 trainings") {
		t.Fatalf("first shard: %v, %d weeks, notes %q", err, len(out.Weeks), notes.String())
	}
	notes.Reset()
	out, err = ImportShards(ts.env(&notes), ShardsSpec{Files: files})
	if err != nil || len(out.Weeks) != 1 || !strings.Contains(notes.String(), "imported 4 new trainings from 2 files (6 were already stored); 10 of 10") {
		t.Fatalf("both shards: %v, notes %q", err, notes.String())
	}
	imported := out.Weeks[0].Record

	// The same run in the store, unsharded, is the same record.
	whole, err := DropRetrain(context.Background(), ts.env(nil), dropSpec(data, fake))
	if err != nil || len(whole.Weeks) != 1 || whole.Weeks[0].Stored == nil {
		t.Fatalf("the whole run after the import: %v; want it found stored", err)
	}
	if got := whole.Weeks[0].Record; got.ID() != imported.ID() || !slices.Equal(got.Value, imported.Value) {
		t.Errorf("the stored record differs from the imported one")
	}
	notes.Reset()
	if out, err := ImportShards(ts.env(&notes), ShardsSpec{Files: files}); err != nil || len(out.Weeks) != 0 || !strings.Contains(notes.String(), "this drop-retrain is already recorded") {
		t.Errorf("importing again: %v, notes %q", err, notes.String())
	}
}

func TestDropRetrainRefusals(t *testing.T) {
	ts := newStore(t)
	ts.ingest(t, "2019-01-14", 1, nil)
	data := dataFile(t, 40, false)
	threeClasses := dataFile(t, 40, false)
	threeClasses.Rows.Classes = []string{"maybe", "no", "yes"}
	fake := &fakeRetrain{}
	for _, c := range []struct {
		name string
		edit func(*DropSpec)
		kind error
		want string
	}{
		{"a resume of a run never started", func(s *DropSpec) { s.Resume = true }, ErrNothingToResume,
			"no trainings of a drop-retrain with these parameters, data and seed are stored for week 2019-01-14"},
		{"a resume into a file never written", func(s *DropSpec) { s.Resume, s.Out = true, "none.jsonl" }, ErrNothingToResume,
			"no trainings of a drop-retrain with these parameters, data and seed are stored for week 2019-01-14 in none.jsonl"},
		{"settings that do not fit", func(s *DropSpec) { s.Options.Epochs = 0 }, ErrOptions, "epochs must be positive (got 0)"},
		{"a feature the series lacks", func(s *DropSpec) { s.Features = []string{"e"} }, experiments.ErrFeature, ""},
		{"validation rows of other classes", func(s *DropSpec) { s.Val, s.ValPath = threeClasses.Rows, "val.csv" }, ErrClasses,
			`val.csv has classes "maybe", "no", "yes" but ` + data.Path + ` has "no", "yes"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := dropSpec(data, fake)
			c.edit(&spec)
			before, trained := ts.sum(t), fake.count()
			_, err := DropRetrain(context.Background(), ts.env(nil), spec)
			if !errors.Is(err, c.kind) || (c.want != "" && err.Error() != c.want) {
				t.Errorf("error %v, want %q matching %v", err, c.want, c.kind)
			}
			if fake.count() != trained || ts.sum(t) != before {
				t.Errorf("a refused run trained or changed the store")
			}
		})
	}
}

func TestDropRetrainStopsOnAFailedTraining(t *testing.T) {
	ts := newStore(t)
	ts.ingest(t, "2019-01-14", 1, nil)
	spec := dropSpec(dataFile(t, 40, false), nil)
	spec.Workers = 1
	spec.Retrain = func(_ context.Context, t experiments.Task, _ func(int)) (experiments.Retrain, error) {
		if t.Feature == 2 {
			panic("a bug")
		}
		return experiments.Retrain{Task: t, Metric: 0.5}, nil
	}
	_, err := DropRetrain(context.Background(), ts.env(nil), spec)
	var pe *dropretrain.PanicError
	// The 6 trainings handed out before it are stored; one handed out
	// while it panicked may finish too.
	m := regexp.MustCompile(`^week 2019-01-14: feature 2 \(seed 0\): internal error: a bug \(([0-9]+) of 10 trainings of this run are stored; run the same command again to continue\)$`).FindStringSubmatch(fmt.Sprint(err))
	stored := -1
	if m != nil {
		stored, _ = strconv.Atoi(m[1])
	}
	if !errors.As(err, &pe) || stored < 6 {
		t.Errorf("error %v, want the week, the training, the panic and how far it got, with the panic inside", err)
	}
}

func TestDropRetrainRefusesARivalUnlessReplace(t *testing.T) {
	ts := newStore(t)
	ts.ingest(t, "2019-01-14", 1, nil)
	data, other := dataFile(t, 40, false), dataFile(t, 41, false)
	fake := &fakeRetrain{}
	if _, err := DropRetrain(context.Background(), ts.env(nil), dropSpec(data, fake)); err != nil {
		t.Fatal(err)
	}
	refused := fmt.Sprintf("week 2019-01-14 already has a drop-retrain record of data role week with these parameters, on data %.12s with seed 1 (recorded 2019-02-04), and this run's data is %.12s with seed 1", data.Rows.SHA256, other.Rows.SHA256)
	dir := t.TempDir()
	// Each step runs after the ones before it, on the same store.
	for _, c := range []struct {
		name    string
		edit    func(*DropSpec)
		err     string // the error, matching ErrReplace
		trained int
		note    string // a line the notes hold
		records int    // drop-retrain records after
	}{
		{"other data is refused before any training", func(s *DropSpec) { s.Data = other }, refused, 0, "", 1},
		{"other data into a shard file is refused too", func(s *DropSpec) { s.Data, s.Out = other, filepath.Join(dir, "s.jsonl") }, refused, 0, "", 1},
		{"another role is its own series", func(s *DropSpec) { s.Data, s.Data.Role = other, "reference" }, "", 10, "", 2},
		{"other data with replace trains, records and speaks for the week", func(s *DropSpec) { s.Data, s.Replace = other, true }, "", 10,
			fmt.Sprintf("week 2019-01-14: this drop-retrain record now speaks for the week; the one on data %.12s with seed 1 (recorded 2019-02-04) is kept\n", data.Rows.SHA256), 3},
		{"the first run again is found stored", func(*DropSpec) {}, "", 0, "already recorded", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := dropSpec(data, fake)
			c.edit(&spec)
			before, trained := ts.sum(t), fake.count()
			var notes strings.Builder
			_, err := DropRetrain(context.Background(), ts.env(&notes), spec)
			if c.err != "" {
				if !errors.Is(err, ErrReplace) || err.Error() != c.err {
					t.Errorf("error %v\nwant %q", err, c.err)
				}
				if ts.sum(t) != before {
					t.Error("a refused run changed the store")
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if n := fake.count() - trained; n != c.trained {
				t.Errorf("trained %d, want %d", n, c.trained)
			}
			if !strings.Contains(notes.String(), c.note) {
				t.Errorf("notes %q lack %q", notes.String(), c.note)
			}
			if n := ts.records(t, 1)[experiments.KindDropRetrain]; n != c.records {
				t.Errorf("%d drop-retrain records, want %d", n, c.records)
			}
		})
	}
	s := ts.store(t, true)
	defer s.Close()
	exps, err := s.Experiments(tracker.DefaultModel, 1)
	if err != nil {
		t.Fatal(err)
	}
	var series string
	for _, e := range exps {
		if e.Kind == experiments.KindDropRetrain && e.Params["data_role"] == "" {
			series = tracker.SeriesKey(e.Kind, e.Params)
		}
	}
	if e := tracker.SeriesRecord(exps, series); e == nil || e.DataSHA256 != other.Rows.SHA256 {
		t.Errorf("the record that speaks for the week is %+v, want the replacement", e)
	}
}

func TestImportShardsRefusesARivalUnlessReplace(t *testing.T) {
	ts := newStore(t)
	ts.ingest(t, "2019-01-14", 1, nil)
	data, other := dataFile(t, 40, false), dataFile(t, 41, false)
	fake := &fakeRetrain{}
	if _, err := DropRetrain(context.Background(), ts.env(nil), dropSpec(data, fake)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "s.jsonl")
	spec := dropSpec(other, fake)
	spec.Out, spec.Replace = file, true // the shard runs on a copy, asked to replace
	if _, err := DropRetrain(context.Background(), ts.env(nil), spec); err != nil {
		t.Fatal(err)
	}
	before := ts.sum(t)
	_, err := ImportShards(ts.env(nil), ShardsSpec{Files: []string{file}})
	want := fmt.Sprintf("%s:1: week 2019-01-14 already has a drop-retrain record of data role week with these parameters, on data %.12s with seed 1 (recorded 2019-02-04), and this run's data is %.12s with seed 1", file, data.Rows.SHA256, other.Rows.SHA256)
	if !errors.Is(err, ErrReplace) || err.Error() != want || ts.sum(t) != before {
		t.Errorf("error %v\nwant %q and an untouched store", err, want)
	}
	out, err := ImportShards(ts.env(nil), ShardsSpec{Files: []string{file}, Replace: true})
	if err != nil || len(out.Weeks) != 1 || out.Weeks[0].Record.DataSHA256 != other.Rows.SHA256 {
		t.Fatalf("import with replace: %v", err)
	}
	if n := ts.records(t, 1)[experiments.KindDropRetrain]; n != 2 {
		t.Errorf("%d drop-retrain records, want 2: the old one is kept", n)
	}
}

// A drop-retrain recorded on a series without names stores its training
// header's, as a method run does, so query week names the features it
// measured; a series with names keeps them, and a run that only writes a
// shard file stores nothing.
func TestDropRetrainAdoptsTheHeaderNames(t *testing.T) {
	for _, c := range []struct {
		name   string
		stored []string
		out    bool // to a shard file
		want   []string
	}{
		{"a series without names takes the training header's", nil, false, []string{"a", "b", "c", "d"}},
		{"a series with names keeps them", []string{"d", "c", "b", "a"}, false, []string{"d", "c", "b", "a"}},
		{"a run into a shard file records nothing and stores no names", nil, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newStore(t)
			ts.ingest(t, "2019-01-14", 1, nil)
			if c.stored != nil {
				s := ts.store(t, false)
				if err := s.SetFeatures(tracker.DefaultModel, c.stored); err != nil {
					t.Fatal(err)
				}
				s.Close()
			}
			spec := dropSpec(dataFile(t, 40, false), &fakeRetrain{})
			if c.out {
				spec.Out = filepath.Join(t.TempDir(), "shard.jsonl")
			}
			var notes strings.Builder
			if _, err := DropRetrain(context.Background(), ts.env(&notes), spec); err != nil {
				t.Fatal(err)
			}
			s := ts.store(t, true)
			defer s.Close()
			names, err := s.Features(tracker.DefaultModel)
			if err != nil || !slices.Equal(names, c.want) {
				t.Errorf("stored names %v (%v), want %v", names, err, c.want)
			}
			adopted := strings.Count(notes.String(), "stored the 4 feature names from the header of ")
			if want := map[bool]int{true: 1, false: 0}[c.stored == nil && !c.out]; adopted != want {
				t.Errorf("notes %q: %d adoptions, want %d", notes.String(), adopted, want)
			}
		})
	}
}
