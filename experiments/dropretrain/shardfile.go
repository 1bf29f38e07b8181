package dropretrain

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
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/safefile"
)

// Format tags each line of a shard file (docs/FORMAT.md).
const Format = "tracker-drop-retrain/1"

// Line is one finished training in a shard file: which run it belongs to,
// in full, so any line can be checked on its own. The run's fields are
// those of the experiment record the trainings become (docs/FORMAT.md);
// Hash is the version's content hash.
type Line struct {
	Format      string              `json:"format"`
	Model       string              `json:"model"`
	Week        string              `json:"week"`
	Hash        string              `json:"hash"`
	Kind        string              `json:"kind"`
	Params      map[string]string   `json:"params"`
	DataSHA256  string              `json:"data_sha256"`
	DataRows    int                 `json:"data_rows"`
	Seed        int64               `json:"seed"`
	ToolVersion string              `json:"tool_version"`
	Retrain     experiments.Retrain `json:"retrain"`
}

// SameRun says how b's run differs from a's, or "" when they are one run.
// Format, ToolVersion and Retrain do not name the run.
func SameRun(a, b *Line) string {
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

// PlacedLine is a line with where it was read, for messages.
type PlacedLine struct {
	Line
	Where string // file:line
}

// MaxFile is the largest shard file read: a line per training is under a
// kilobyte plus its loss curves, so 256 MiB holds far more trainings than
// a run of thousands of features and seeds has.
const MaxFile = 256 << 20

// ReadFile reads every line of a shard file. A last line cut short (the
// process died while writing it) is ignored; any other bad line is an
// error naming it, and a line of another format matches ErrFormat. Text
// must be UTF-8 (JSON decoding would store other bytes as U+FFFD) and
// metrics within ±MaxMetric, so nothing a JSON output cannot print
// reaches the store.
func ReadFile(path string) ([]PlacedLine, error) {
	b, err := safefile.ReadFile(path, MaxFile)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var out []PlacedLine
	for n, line := range bytes.SplitAfter(b, []byte("\n")) {
		where := fmt.Sprintf("%s:%d", path, n+1)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			// Torn: a line is written with its newline in one write, so
			// one without is cut short, even when it parses, and the
			// sink cuts it before appending; its training runs again.
			break
		}
		var l Line
		err := json.Unmarshal(line, &l)
		if err == nil && !utf8.Valid(line) {
			err = errors.New("the line is not UTF-8 text")
		}
		if err != nil {
			// A JSON error can repeat a megabyte-long number.
			return nil, fmt.Errorf("%s: not a drop-retrain result line: %s", where, quote.Cut(err.Error(), quote.MaxRunes))
		}
		if l.Format != Format {
			return nil, fact.Errorf(ErrFormat, "%s: format %s, want %q", where, quote.Short(l.Format), Format)
		}
		if !FiniteMetric(l.Retrain.Metric) {
			return nil, fmt.Errorf("%s: metric %v is not within ±1.7e38: the file is damaged or was edited", where, l.Retrain.Metric)
		}
		out = append(out, PlacedLine{l, where})
	}
	return out, nil
}

// ReadParts is the trainings of run already in the shard file at path,
// keyed as experiments.Task.Key keys them, as a store's parts are; no file
// is none. A line of another run is an error matching ErrOtherRun:
// appending would mix the two.
func ReadParts(path string, run *Line) (map[string][]byte, error) {
	lines, err := ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	parts := map[string][]byte{}
	for _, l := range lines {
		if diff := SameRun(run, &l.Line); diff != "" {
			return nil, fact.Errorf(ErrOtherRun, "%s holds another run (%s)", l.Where, diff)
		}
		b, err := json.Marshal(l.Retrain)
		if err != nil {
			return nil, err
		}
		parts[l.Retrain.Task.Key()] = b
	}
	return parts, nil
}

// FileSink appends each finished training to a shard file as a line of
// its run, synced to disk before Save returns.
type FileSink struct {
	file *os.File
	run  Line
}

// OpenFileSink opens the shard file at path to append run's trainings,
// creating it if need be. It opens without blocking and only a regular
// file: a named pipe or a link to /dev/zero would hang the read below or
// fill memory. A last line the previous process did not finish writing is
// cut, so the next line starts clean.
func OpenFileSink(path string, run Line) (*FileSink, error) {
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, err
	}
	if info, err := file.Stat(); err != nil || !info.Mode().IsRegular() {
		file.Close()
		if err == nil {
			err = safefile.Check(path)
		}
		return nil, fmt.Errorf("results file: %w", err)
	}
	if err := cutTornLine(file); err != nil {
		file.Close()
		return nil, err
	}
	return &FileSink{file: file, run: run}, nil
}

// cutTornLine truncates file after its last newline and seeks to its end.
func cutTornLine(file *os.File) error {
	b, err := io.ReadAll(file)
	if err != nil {
		return err
	}
	if end := bytes.LastIndexByte(b, '\n') + 1; end < len(b) {
		if err := file.Truncate(int64(end)); err != nil {
			return err
		}
	}
	_, err = file.Seek(0, io.SeekEnd)
	return err
}

// Save appends r as a line of the sink's run and syncs the file.
func (s *FileSink) Save(r experiments.Retrain) error {
	l := s.run
	l.Retrain = r
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if _, err := s.file.Write(append(b, '\n')); err != nil {
		return err
	}
	return s.file.Sync()
}

// Close closes the file.
func (s *FileSink) Close() error { return s.file.Close() }
