package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestPairsFilesByConvention ingests the same tiny model laid out by
// each naming convention people use, through the CLI: each is found, the
// non-obvious pairings are named on stderr, and a folder that holds two
// models is refused with both listed and the way out.
func TestIngestPairsFilesByConvention(t *testing.T) {
	src := filepath.Join("..", "..", "..", "snapshot", "keras", "testdata", "conventions")
	structure, weights := mustRead(t, filepath.Join(src, "tiny.json")), mustRead(t, filepath.Join(src, "tiny.h5"))
	tests := []struct {
		name          string
		files         [2]string // structure, weights
		arg           string    // what is passed, relative to the folder
		note          string    // on stderr; "" for none
		ambiguousWith string    // a second weights file in the folder
	}{
		{"NAME_structure.json with NAME_weights.h5 by prefix", [2]string{"m_structure.json", "m_weights.h5"}, "m", "", ""},
		{"NAME.json with NAME.h5 by structure", [2]string{"m.json", "m.h5"}, "m.json", "", ""},
		{"NAME.json with NAME_weights.h5 (hls4ml) by structure", [2]string{"m.json", "m_weights.h5"}, "m.json", "paired", ""},
		{"NAME_architecture.json with NAME_weights.h5 (Keras FAQ) by folder", [2]string{"my_model_architecture.json", "my_model_weights.h5"}, ".", "paired", ""},
		{"a folder with two candidate weights is refused", [2]string{"m.json", "m.h5"}, ".", "", "m_weights.h5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "Model", "20190114")
			writeFile(t, filepath.Join(dir, tt.files[0]), structure)
			writeFile(t, filepath.Join(dir, tt.files[1]), weights)
			if tt.ambiguousWith != "" {
				writeFile(t, filepath.Join(dir, tt.ambiguousWith), weights)
			}
			db := filepath.Join(tmp, "tracker.db")
			r := tr(t, db, "ingest", filepath.Join(dir, tt.arg))
			if tt.ambiguousWith != "" {
				if r.code != 1 {
					t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
				}
				for _, want := range []string{tt.files[1], tt.ambiguousWith, "--structure"} {
					if !strings.Contains(r.err, want) {
						t.Errorf("stderr %q does not name %q", r.err, want)
					}
				}
				if _, err := os.Stat(db); err == nil {
					t.Error("a refused ingest created the store")
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.err)
			}
			if !strings.Contains(r.out, "2019-01-14 v1") {
				t.Errorf("stdout %q does not show the new version", r.out)
			}
			if got := strings.Contains(r.err, "paired "+filepath.Join(dir, tt.files[0])); got != (tt.note != "") {
				t.Errorf("stderr %q: pairing note shown %v, want %v", r.err, got, tt.note != "")
			}
		})
	}
}

// TestIngestReadsKeras1 stores a Keras 1 Dense model and refuses a Keras 1
// BatchNormalization saying what the file is and what to do.
func TestIngestReadsKeras1(t *testing.T) {
	src := filepath.Join("..", "..", "..", "snapshot", "keras", "testdata", "keras1")
	tmp := t.TempDir()
	db := filepath.Join(tmp, "tracker.db")
	for _, name := range []string{"dense", "batchnorm"} {
		for _, ext := range []string{".json", ".h5"} {
			writeFile(t, filepath.Join(tmp, name+ext), mustRead(t, filepath.Join(src, name+ext)))
		}
	}
	mustRun(t, db, "ingest", "--week", "2019-01-14", filepath.Join(tmp, "dense.json"))
	r := tr(t, db, "ingest", "--week", "2019-01-21", filepath.Join(tmp, "batchnorm.json"))
	if r.code != 1 || !strings.Contains(r.err, "Keras 1") || !strings.Contains(r.err, "batchnorm.json") {
		t.Fatalf("exit %d, stderr %q: want 1 and a message naming the file and Keras 1", r.code, r.err)
	}
}
