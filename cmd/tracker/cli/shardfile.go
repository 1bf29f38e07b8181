package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"syscall"
	"unicode/utf8"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
	"github.com/tracker-ml/tracker/tracker"
)

// shardFormat tags each line of a drop-retrain --out file.
const shardFormat = "tracker-drop-retrain/1"

// shardLine is one finished training in a --out file: which run it
// belongs to, in full, so any line can be checked on its own.
type shardLine struct {
	Format      string              `json:"format"`
	Model       string              `json:"model"`
	Week        string              `json:"week"`
	Hash        string              `json:"hash"` // the version's content hash
	Kind        string              `json:"kind"`
	Params      map[string]string   `json:"params"`
	DataSHA256  string              `json:"data_sha256"`
	DataRows    int                 `json:"data_rows"`
	Seed        int64               `json:"seed"`
	ToolVersion string              `json:"tool_version"`
	Retrain     experiments.Retrain `json:"retrain"`
}

func lineFor(job *weekJob, r experiments.Retrain) shardLine {
	e := &job.exp
	return shardLine{Format: shardFormat, Model: job.vi.Model, Week: job.vi.Week, Hash: job.vi.Hash,
		Kind: e.Kind, Params: e.Params, DataSHA256: e.DataSHA256, DataRows: e.DataRows, Seed: e.Seed,
		ToolVersion: Version(), Retrain: r}
}

// sameRun says how two lines' runs differ, or "" when they are one run.
func sameRun(a, b *shardLine) string {
	// Every field may come from a damaged file: quote and cut them all.
	switch {
	case a.Model != b.Model:
		return fmt.Sprintf("model %s, not %s", quote.Short(b.Model), quote.Short(a.Model))
	case a.Week != b.Week || a.Hash != b.Hash:
		return fmt.Sprintf("week %s (version %.12q), not week %s (version %.12q)", quote.Short(b.Week), b.Hash, quote.Short(a.Week), a.Hash)
	case a.Kind != b.Kind || !maps.Equal(a.Params, b.Params):
		return fmt.Sprintf("%s parameters %s, not %s %s", quote.Short(b.Kind), quote.Short(fmt.Sprint(b.Params)), quote.Short(a.Kind), quote.Short(fmt.Sprint(a.Params)))
	case a.DataSHA256 != b.DataSHA256 || a.DataRows != b.DataRows:
		return fmt.Sprintf("data sha256:%.12q (%d rows), not sha256:%.12q (%d rows)", b.DataSHA256, b.DataRows, a.DataSHA256, a.DataRows)
	case a.Seed != b.Seed:
		return fmt.Sprintf("seed %d, not %d", b.Seed, a.Seed)
	}
	return ""
}

// placedLine is a line with where it was read, for error messages.
type placedLine struct {
	shardLine
	where string // file:line
}

// maxShardFile is the largest results file read: a line per training is
// under a kilobyte plus its loss curves, so 256 MiB holds far more
// trainings than a run of thousands of features and seeds has.
const maxShardFile = 256 << 20

// readShardFile reads every line of a --out file. A last line cut short
// (the process died while writing it) is ignored; any other bad line is
// an error naming it. Text must be UTF-8 (JSON decoding would store
// other bytes as U+FFFD) and metrics finite within maxMetric, so nothing
// a JSON output cannot print reaches the store.
func readShardFile(path string) ([]placedLine, error) {
	b, err := safefile.ReadFile(path, maxShardFile)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var out []placedLine
	for n, line := range bytes.SplitAfter(b, []byte("\n")) {
		where := fmt.Sprintf("%s:%d", path, n+1)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		torn := !bytes.HasSuffix(line, []byte("\n"))
		var l shardLine
		err := json.Unmarshal(line, &l)
		if err == nil && !utf8.Valid(line) {
			err = errors.New("the line is not UTF-8 text")
		}
		if err != nil {
			if torn {
				break
			}
			// A JSON error can repeat a megabyte-long number.
			return nil, fmt.Errorf("%s: not a drop-retrain result line: %s", where, quote.Cut(err.Error(), quote.MaxRunes))
		}
		if l.Format != shardFormat {
			return nil, fmt.Errorf("%s: format %s, want %q (a file written by tracker run drop-retrain --out)", where, quote.Short(l.Format), shardFormat)
		}
		if !finiteMetric(l.Retrain.Metric) {
			return nil, fmt.Errorf("%s: metric %v is not within ±1.7e38: the file is damaged or was edited", where, l.Retrain.Metric)
		}
		out = append(out, placedLine{l, where})
	}
	return out, nil
}

// readShardParts returns the trainings of job's run already in a --out
// file, keyed as the store keys them. A file holding another run is an
// error: appending would mix the two.
func readShardParts(path string, job *weekJob) (map[string][]byte, error) {
	lines, err := readShardFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	want := lineFor(job, experiments.Retrain{})
	parts := map[string][]byte{}
	for _, l := range lines {
		if diff := sameRun(&want, &l.shardLine); diff != "" {
			return nil, fmt.Errorf("%s holds another run (%s): give this run its own --out file", l.where, diff)
		}
		b, err := json.Marshal(l.Retrain)
		if err != nil {
			return nil, err
		}
		parts[l.Retrain.Task.Key()] = b
	}
	return parts, nil
}

// dropSink keeps each finished training: in the store's parts bucket, or
// as a line of the --out file.
type dropSink struct {
	g    *globals
	job  *weekJob
	file *os.File
}

func newDropSink(g *globals, f *dropFlags, run *dropRun) (*dropSink, error) {
	s := &dropSink{g: g, job: run.job}
	if f.out == "" {
		return s, nil
	}
	// Without blocking, and only a regular file: a named pipe or a link to
	// /dev/zero would hang the read below or fill memory.
	file, err := os.OpenFile(f.out, os.O_RDWR|os.O_CREATE|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, err
	}
	if info, err := file.Stat(); err != nil || !info.Mode().IsRegular() {
		file.Close()
		if err == nil {
			err = safefile.Check(f.out)
		}
		return nil, fmt.Errorf("results file: %w", err)
	}
	// Cut a last line the previous run did not finish writing, so the
	// next line starts clean.
	b, err := io.ReadAll(file)
	if err != nil {
		file.Close()
		return nil, err
	}
	if end := bytes.LastIndexByte(b, '\n') + 1; end < len(b) {
		if err := file.Truncate(int64(end)); err != nil {
			file.Close()
			return nil, err
		}
	}
	if _, err := file.Seek(0, io.SeekEnd); err != nil {
		file.Close()
		return nil, err
	}
	s.file = file
	return s, nil
}

func (s *dropSink) save(r experiments.Retrain) error {
	if s.file != nil {
		b, err := json.Marshal(lineFor(s.job, r))
		if err != nil {
			return err
		}
		if _, err := s.file.Write(append(b, '\n')); err != nil {
			return err
		}
		return s.file.Sync()
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	store, err := s.g.open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	_, err = store.SaveParts(s.job.vi.Model, s.job.vi.Version, &s.job.exp, map[string][]byte{r.Task.Key(): b})
	return err
}

func (s *dropSink) close() {
	if s.file != nil {
		s.file.Close()
	}
}

// findVersion is the version of model in week whose content hash is hash.
func findVersion(store *tracker.Store, model, week, hash string) (tracker.VersionInfo, error) {
	all, err := store.Versions(model)
	if err != nil {
		return tracker.VersionInfo{}, err
	}
	var inWeek []string
	for _, v := range all {
		if v.Week != week {
			continue
		}
		if v.Hash == hash {
			return v, nil
		}
		inWeek = append(inWeek, v.Hash[:12])
	}
	if inWeek == nil {
		return tracker.VersionInfo{}, fmt.Errorf("model %s has no version for week %s: ingest it first", quote.Short(model), quote.Short(week))
	}
	return tracker.VersionInfo{}, fmt.Errorf("the results were computed on version %.12q of week %s, but model %s's versions of that week are %s", hash, week, quote.Short(model), quote.List(inWeek))
}
