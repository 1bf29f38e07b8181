package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/snapshot/keras"
)

// TestTheFirstWeeksDataIsUnchanged pins the bytes `tracker demo` writes
// for its first week at the default sizes and seed 1: the hashes are of
// Data/20190114_{train,holdout}.csv as the demo wrote them before it
// moved into this package. A change to the world, the draw order or the
// number format shows here.
func TestTheFirstWeeksDataIsUnchanged(t *testing.T) {
	dir := t.TempDir()
	rng := newRand(1)
	for _, f := range []struct {
		name, sha256 string
		rows         int
	}{
		{"train.csv", "4731e080a91a6cbbf31b8840dceef1c03ce5aacf23766d06406ca7789db19425", DefaultTrainRows},
		{"holdout.csv", "b99a11a58193ff1251eda1539a1bab8ff82dc66d431236ca5199e7b4362c5746", DefaultHoldoutRows},
	} {
		path := filepath.Join(dir, f.name)
		if err := writeCSV(path, Names(), "churned", drawRows(rng, 0, f.rows)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f.sha256 {
			t.Errorf("week 0's %s has sha256 %x, want %s", f.name, sum, f.sha256)
		}
	}
}

// small is a season that trains in well under a second.
func small(dir string, seed uint64) Options {
	return Options{Dir: dir, Weeks: 2, Seed: seed, TrainRows: 100, HoldoutRows: 20, Epochs: 1}
}

func TestGenerateWritesEachWeeksDataAndModel(t *testing.T) {
	dir := t.TempDir()
	var calls [][2]int
	s, err := Generate(context.Background(), small(dir, 1), func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{1, 2}, {2, 2}}; !slices.Equal(calls, want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
	want := []Week{
		{
			Date:    time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC),
			Model:   filepath.Join(dir, "Model", "20190114", "0_10.1"),
			Train:   filepath.Join(dir, "Data", "20190114_train.csv"),
			Holdout: filepath.Join(dir, "Data", "20190114_holdout.csv"),
		},
		{
			Date:    time.Date(2019, 1, 21, 0, 0, 0, 0, time.UTC),
			Model:   filepath.Join(dir, "Model", "20190121", "0_10.2"),
			Train:   filepath.Join(dir, "Data", "20190121_train.csv"),
			Holdout: filepath.Join(dir, "Data", "20190121_holdout.csv"),
		},
	}
	if !slices.Equal(s.Weeks, want) {
		t.Fatalf("weeks\n%+v\nwant\n%+v", s.Weeks, want)
	}
	if s.Newest() != want[1] || s.Fade() != want[1] || s.Shift() != want[1] {
		t.Errorf("a 2-week season's newest, fade and shift weeks are %v, %v, %v; want the second week for each", s.Newest().Date, s.Fade().Date, s.Shift().Date)
	}
	if !slices.Equal(s.Names, Names()) || s.Label != "churned" {
		t.Errorf("season names %q, label %q", s.Names, s.Label)
	}
	header := strings.Join(Names(), ",") + ",churned"
	replay, scratch := newRand(1), filepath.Join(t.TempDir(), "rows.csv")
	for week, w := range s.Weeks {
		for _, f := range []struct {
			path string
			rows int
		}{{w.Train, 100}, {w.Holdout, 20}} {
			b, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if lines[0] != header || len(lines) != f.rows+1 {
				t.Errorf("%s: header %.40q..., %d rows; want the names and churned, %d rows", f.path, lines[0], len(lines)-1, f.rows)
			}
			// The draw order is part of the contract: week by week, the
			// training rows, then the holdout rows, from one stream.
			if err := writeCSV(scratch, Names(), "churned", drawRows(replay, week, f.rows)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, read(t, scratch, "")) {
				t.Errorf("%s is not the stream's next %d rows of week %d", f.path, f.rows, week)
			}
		}
		files, err := keras.Resolve(w.Model, "")
		if err != nil {
			t.Fatal(err)
		}
		snap, err := keras.Load(files)
		if err != nil {
			t.Fatalf("load %s: %v", w.Model, err)
		}
		var widths []int
		for _, l := range snap.Layers() {
			widths = append(widths, l.Spec.Units)
		}
		if snap.Inputs() != Features || !slices.Equal(widths, Layers()[1:]) {
			t.Errorf("%s: %d inputs, layers %v; want %v", w.Model, snap.Inputs(), widths, Layers())
		}
	}
}

// TestGenerateIsAFunctionOfItsOptions checks the promise the demo's
// output rests on: the same seed writes the same bytes, another seed
// other bytes.
func TestGenerateIsAFunctionOfItsOptions(t *testing.T) {
	base := t.TempDir()
	dirs := []string{filepath.Join(base, "a"), filepath.Join(base, "b"), filepath.Join(base, "c")}
	for i, seed := range []uint64{5, 5, 6} {
		if _, err := Generate(context.Background(), small(dirs[i], seed), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{"Data/20190121_train.csv", "Data/20190121_holdout.csv", "Model/20190121/0_10.2_structure.json", "Model/20190121/0_10.2_weights.h5"} {
		a, b, c := read(t, dirs[0], rel), read(t, dirs[1], rel), read(t, dirs[2], rel)
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two seasons of seed 5", rel)
		}
		if bytes.Equal(a, c) && !strings.HasSuffix(rel, "_structure.json") {
			t.Errorf("%s is the same for seeds 5 and 6", rel)
		}
	}
}

func read(t testing.TB, dir, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateFailsWithTheFacts(t *testing.T) {
	t.Run("a season of no weeks is refused before anything is written", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "season")
		opts := small(dir, 1)
		opts.Weeks = 0
		_, err := Generate(context.Background(), opts, nil)
		if err == nil || err.Error() != "a season of 0 weeks: need at least 1" {
			t.Errorf("error %v", err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s was created: %v", dir, err)
		}
	})
	t.Run("a cancelled training names its week", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Generate(ctx, small(t.TempDir(), 1), nil)
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "week 2019-01-14: ") {
			t.Errorf("error %v, want week 2019-01-14 and context.Canceled", err)
		}
	})
	t.Run("an unwritable directory names the file", func(t *testing.T) {
		dir := t.TempDir()
		blocker := filepath.Join(dir, "Data")
		if err := os.WriteFile(blocker, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Generate(context.Background(), small(dir, 1), nil)
		if err == nil || !strings.Contains(err.Error(), blocker) {
			t.Errorf("error %v, want it to name %s", err, blocker)
		}
	})
}
