package migrations_test

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/migrations"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the upgraded stores")

// TestUpgradeReleasedStores upgrades a copy of every store in testdata (one
// per past schema, made by testdata/gen_store_v*.go) to the latest schema
// and checks that nothing was lost: tracker verify is clean and a dump of
// every version, its weights and experiments matches the store's golden
// file. The golden file describes the data, not the layout, so it should
// survive a new migration unchanged.
func TestUpgradeReleasedStores(t *testing.T) {
	stores, err := filepath.Glob(filepath.Join("testdata", "store_v*.db"))
	if err != nil {
		t.Fatal(err)
	}
	if len(stores) == 0 {
		t.Fatal("no testdata/store_v*.db: run `go run ./migrations/testdata/gen_store_v1.go` from the repository root")
	}
	latest := migrations.Latest()
	for _, src := range stores {
		name := strings.TrimSuffix(filepath.Base(src), ".db")
		from, err := strconv.ParseUint(strings.TrimPrefix(name, "store_v"), 10, 32)
		if err != nil {
			t.Fatalf("%s: want testdata/store_vN.db, N the schema version", src)
		}
		t.Run(name+" upgrades to the latest schema with its data intact", func(t *testing.T) {
			path := copyStore(t, src)

			if uint32(from) < latest {
				s, err := tracker.Open(path, tracker.Options{LockTimeout: time.Second})
				if err == nil {
					s.Close()
				}
				if !errors.Is(err, tracker.ErrOlderSchema) {
					t.Fatalf("Open without AllowOldSchema: err = %v, want %v", err, tracker.ErrOlderSchema)
				}
			}
			s, err := tracker.Open(path, tracker.Options{AllowOldSchema: true, LockTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if s.Schema() != uint32(from) {
				t.Errorf("%s is at schema %d, its name says %d", src, s.Schema(), from)
			}
			done, err := s.Migrate()
			if err != nil {
				s.Close()
				t.Fatalf("Migrate after %d steps: %v", len(done), err)
			}
			if want := int(latest) - int(from); len(done) != want {
				t.Errorf("Migrate applied %d steps, want %d", len(done), want)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			s = openStore(t, path)
			if s.Schema() != latest {
				t.Fatalf("schema after Migrate = %d, want %d", s.Schema(), latest)
			}
			if again := s.Pending(); len(again) != 0 {
				t.Errorf("%d steps still pending after Migrate", len(again))
			}
			r, err := s.Verify()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Problems {
				t.Errorf("verify: %s", p)
			}
			var dump strings.Builder
			writeDump(t, &dump, s, r)
			checkGolden(t, filepath.Join("testdata", name+".golden"), dump.String())

			checkIngestContinues(t, s)
		})
	}
}

// checkIngestContinues ingests one more version into every series of an
// upgraded store: its version number must follow the last stored one, so
// the versions bucket's sequence survived, and the store must still verify.
func checkIngestContinues(t *testing.T, s *tracker.Store) {
	t.Helper()
	models, err := s.Models()
	if err != nil {
		t.Fatal(err)
	}
	for i, model := range models {
		vs, err := s.Versions(model)
		if err != nil {
			t.Fatal(err)
		}
		var last uint64
		for _, v := range vs {
			last = max(last, v.Version)
		}
		snap, err := snapshottest.RandomMLP(uint64(i)+1, []int{vs[len(vs)-1].Inputs, 3, 1}, snapshot.Meta{Format: "test"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Ingest([]tracker.IngestRequest{{Model: model, Week: "2030-01-07", Snapshot: snap}})
		if err != nil {
			t.Fatalf("ingest into upgraded series %q: %v", model, err)
		}
		if res[0].Version != last+1 || res[0].Unchanged {
			t.Errorf("ingest into upgraded series %q made version %d (unchanged %v), want new version %d", model, res[0].Version, res[0].Unchanged, last+1)
		}
	}
	r, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("verify after ingest: %s", p)
	}
}

// writeDump describes every version of every series: what it is, its
// layers with the first weights of each tensor and their sum, and its
// experiments. Floats print in their shortest exact form.
func writeDump(t *testing.T, w io.Writer, s *tracker.Store, r tracker.VerifyReport) {
	t.Helper()
	const firstWeights = 6
	fmt.Fprintf(w, "verify: %d models, %d versions, %d experiments, %d problems\n", r.Models, r.Versions, r.Experiments, len(r.Problems))
	models, err := s.Models()
	if err != nil {
		t.Fatal(err)
	}
	for _, model := range models {
		fmt.Fprintf(w, "\nmodel %s\n", model)
		vs, err := s.Versions(model)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			fmt.Fprintf(w, "  week %s version %d hash %s\n", v.Week, v.Version, v.Hash)
			fmt.Fprintf(w, "    ingested %s inputs %d outputs %d params %d experiments %d\n",
				v.IngestedAt.UTC().Format(time.RFC3339Nano), v.Inputs, v.Outputs, v.Params, v.Experiments)
			fmt.Fprintf(w, "    meta %s keras %s backend %s\n", v.Meta.Format, v.Meta.KerasVersion, v.Meta.Backend)
			for _, src := range v.Meta.Sources {
				fmt.Fprintf(w, "      %s %s sha256 %.12s size %d\n", src.Role, src.Path, src.SHA256, src.Size)
			}
			snap, err := s.Snapshot(model, v.Version)
			if err != nil {
				t.Fatalf("model %q version %d: %v", model, v.Version, err)
			}
			for _, l := range snap.Layers() {
				fmt.Fprintf(w, "    layer %s\n", specString(l.Spec))
				for _, tn := range l.Weights {
					var sum float64
					for _, x := range tn.Data {
						sum += float64(x)
					}
					fmt.Fprintf(w, "      %s %v sum %s first %s\n", tn.Name, tn.Shape,
						formatFloat(sum, 64), floats32(tn.Data[:min(firstWeights, len(tn.Data))]))
				}
			}
			exps, err := s.Experiments(model, v.Version)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range exps {
				fmt.Fprintf(w, "    experiment %s params %v data %q rows %d seed %d tool %s took %s created %s\n",
					e.Kind, e.Params, e.DataSHA256, e.DataRows, e.Seed, e.ToolVersion, e.Took, e.CreatedAt.UTC().Format(time.RFC3339Nano))
				fmt.Fprintf(w, "      value %s\n      spread %s\n      rank %v\n", floats64(e.Value), floats64(e.Spread), e.Rank)
			}
		}
	}
}

func specString(s snapshot.Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", s.Name, s.Class)
	if s.Units != 0 {
		fmt.Fprintf(&b, " units=%d", s.Units)
	}
	if s.Activation != "" {
		fmt.Fprintf(&b, " activation=%s", s.Activation)
	}
	if s.UseBias {
		b.WriteString(" use_bias")
	}
	if s.Rate != 0 {
		fmt.Fprintf(&b, " rate=%s", formatFloat(s.Rate, 64))
	}
	if s.Epsilon != 0 {
		fmt.Fprintf(&b, " epsilon=%s", formatFloat(s.Epsilon, 64))
	}
	if s.Center {
		b.WriteString(" center")
	}
	if s.Scale {
		b.WriteString(" scale")
	}
	return b.String()
}

func formatFloat(v float64, bits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}

func floats32(v []float32) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = formatFloat(float64(x), 32)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func floats64(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = formatFloat(x, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// checkGolden compares got with the golden file, or rewrites it under -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run `go test ./migrations/ -run TestUpgradeReleasedStores -update` to create it", err)
	}
	if d := lineDiff(string(want), got); d != "" {
		t.Errorf("dump differs from %s (-want +got):\n%s\nIf the change is intended, rerun with -update and review the diff.", path, d)
	}
}

// lineDiff lists the lines that differ between want and got, position by
// position, up to a screenful.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w == g {
			continue
		}
		if shown == 20 {
			b.WriteString("...\n")
			break
		}
		shown++
		fmt.Fprintf(&b, "line %d:\n-%s\n+%s\n", i+1, w, g)
	}
	return b.String()
}

// copyStore copies a testdata store into a temporary directory, so tests
// never change the committed file.
func copyStore(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// openStore opens a store for writing with a fixed clock and closes it at
// cleanup.
func openStore(t *testing.T, path string) *tracker.Store {
	t.Helper()
	now := func() time.Time { return time.Date(2030, 1, 7, 12, 0, 0, 0, time.UTC) }
	s, err := tracker.Open(path, tracker.Options{LockTimeout: time.Second, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}
