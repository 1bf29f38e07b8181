package runs

import (
	"maps"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/tracker"
)

// Data is the rows a run reads and how they were read. The reading
// settings are part of the record's identity: a run that reads other
// columns of the same file measures something else.
type Data struct {
	Path    string // for messages and notes
	Rows    *dataset.Dataset
	Label   string
	Drop    []string
	Classes []string
}

// dataKeys are the parameters the reading settings take in a record.
var dataKeys = []string{"label", "drop", "classes"}

// params adds the reading settings to a record's parameters p.
func (d *Data) params(p map[string]string) {
	if d.Label != "" {
		p["label"] = d.Label
	}
	if len(d.Drop) > 0 {
		p["drop"] = strings.Join(d.Drop, ",")
	}
	if len(d.Classes) > 0 {
		p["classes"] = strings.Join(d.Classes, ",")
	}
}

// withoutData drops the data-reading parameters, which the method itself
// does not know about.
func withoutData(p map[string]string) map[string]string {
	out := maps.Clone(p)
	for _, k := range dataKeys {
		delete(out, k)
	}
	return out
}

// CheckColumns says, with both counts and the columns seen, when the
// feature columns of data, read from path, do not match a model's inputs;
// model names the version. The error matches ErrColumns.
func CheckColumns(path string, data *dataset.Dataset, inputs int, model string) error {
	if data.Cols == inputs {
		return nil
	}
	seen := "columns without a header"
	if data.Names != nil {
		seen = "columns " + quote.List(data.Names)
	}
	return fact.Errorf(ErrColumns, "%s: %d feature columns, but %s has %d inputs (%s)", path, data.Cols, model, inputs, seen)
}

// adoptNames stores the data header's names as the series' feature names
// when it has none yet, and notes when they differ from the stored ones: a
// reordered file would silently measure the wrong features. It returns the
// series' names after.
func adoptNames(env *Env, store *tracker.Store, model string, d *Data) ([]string, error) {
	names, err := store.Features(model)
	if err != nil {
		return nil, err
	}
	header := d.Rows.Names
	if header == nil {
		return names, nil
	}
	if names == nil {
		if err := store.SetFeatures(model, header); err != nil {
			env.notef("warning: the header's feature names were not stored: %v\n", err)
			return nil, nil
		}
		env.notef("stored the %d feature names from the header of %s for model %s (tracker features lists them)\n", len(header), d.Path, quote.Short(model))
		return header, nil
	}
	if !slices.Equal(names, header) {
		for i := range names {
			if i < len(header) && names[i] != header[i] {
				env.notef("warning: column %d of the data is %s but feature %d of model %s is %s: check the column order (tracker features set FILE replaces the names)\n", i, quote.Short(header[i]), i, quote.Short(model), quote.Short(names[i]))
				break
			}
		}
	}
	return names, nil
}

// readGCPercent is the highest GC percent while a data file is parsed.
// Parsing leaves a string per record as garbage, and at main's 400 the
// heap grew to five times the table before a collection: a 42 MB,
// 50,000 x 82 file peaked at 109 MB RSS and a million-column header at
// 215 MB, where 100 holds them at 71 MB and 158 MB for a few more
// collections of a few milliseconds each.
const readGCPercent = 100

// ReadData is dataset.Read with the GC percent at most readGCPercent.
func ReadData(path string, opts dataset.Options) (*dataset.Dataset, error) {
	defer capGCPercent(readGCPercent)()
	return dataset.Read(path, opts)
}

// retrainGCPercent is the GC percent while trainings run, unless the user
// set GOGC. main's 400 suits short commands; a drop-retrain runs for
// minutes to hours and each training leaves about 15 MB of garbage
// (82 -> 500x3 -> 2), so at 400 the heap climbs for several trainings to
// five times its live size: peak RSS 210 MB after 20 trainings against
// 153 MB after 5, where 100 holds both near 115 MB (bench/README.md). A
// collection costs milliseconds against seconds per training.
const retrainGCPercent = 100

// capGCPercent lowers the GC percent to at most limit for a phase that
// leaves much garbage (main sets 400 for short commands), and returns what
// restores it. A lower setting, GOGC=off (-1) included, is left as it is.
func capGCPercent(limit int) (restore func()) {
	prev := debug.SetGCPercent(limit)
	if prev < limit {
		debug.SetGCPercent(prev)
	}
	return func() { debug.SetGCPercent(prev) }
}
