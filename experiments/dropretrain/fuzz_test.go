package dropretrain

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseRetrainCSV: any bytes give rows or an error, never a panic, and
// every row's feature is in range.
func FuzzParseRetrainCSV(f *testing.F) {
	f.Add([]byte("feature,metric,seed\nbaseline,0.9,1\n0,0.8,1\nage,0.7,1\n"))
	f.Add([]byte("\ufefffeature;metric\n\"a\nb\",1\n"))
	f.Add([]byte("metric,feature\n1e309,2\n"))
	names := []string{"age", "income", "a\nb"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rows, err := ParseCSV("f.csv", raw, names, len(names))
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.feature < -1 || r.feature >= len(names) || r.row < 2 {
				t.Fatalf("row %+v out of range", r)
			}
		}
	})
}

// FuzzReadShardFile: a damaged shard file gives lines or an error naming
// its line, never a panic.
func FuzzReadShardFile(f *testing.F) {
	f.Add([]byte(`{"format":"tracker-drop-retrain/1","model":"m","week":"2019-01-14","hash":"ab","kind":"drop-retrain","params":{"seeds":"1"},"retrain":{"feature":-1,"seed":0,"metric":0.5}}` + "\n"))
	f.Add([]byte("{\"format\":\"x\"}\n{"))
	f.Add([]byte("\n\n{}"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(t.TempDir(), "s.jsonl")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		lines, err := ReadFile(path)
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.Format != Format {
				t.Fatalf("accepted a line of format %q", l.Format)
			}
		}
	})
}
