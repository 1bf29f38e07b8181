package runs

import (
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/internal/weekpath"
	"github.com/tracker-ml/tracker/tracker"
)

// Data is the rows a run reads and how they were read. The reading
// settings and the data's role are part of the record's identity: a run
// that reads other columns of the same file measures something else. A
// run puts Rows' feature columns in the series' order (MatchColumns), in
// place.
type Data struct {
	Path    string // for messages and notes
	Rows    *dataset.Dataset
	Label   string
	Drop    []string
	Classes []string
	// Role is what the rows are to the week: DefaultRole (or empty) for
	// the week's own data, another name such as "reference" for a fixed
	// set every week is run on. Each role is a series of its own.
	Role string
	// weeks is how many weeks the run covers, set when it plans: the rows
	// are one week's data only when it covers one, or when their file is
	// named for the week (storeRunProfile).
	weeks int
}

// weekOf reports whether the rows are week's own data, so their profile
// may stand for the week: the run covers that week alone, or the file's
// name or folder carries the week's date (Data/20190114_holdout.csv). A
// run of every week on one reference file profiles none but its own.
func (d *Data) weekOf(week string) bool {
	if d.weeks == 1 {
		return true
	}
	w, ok := weekpath.OfData(d.Path)
	return ok && w == week
}

// DefaultRole is the data role of a run on the week's own data
// (tracker.DefaultRole, whose doc says how roles are recorded).
const DefaultRole = tracker.DefaultRole

// roleKey is the parameter a data role other than DefaultRole takes.
const roleKey = tracker.RoleParam

// maxRole is the longest data role: a word to tell series apart in a
// column header or a chart's legend, not a description.
const maxRole = 32

// CheckRole says why name is not a data role: one of up to maxRole
// lowercase ASCII letters, digits, '_' and '-'. The error matches ErrRole.
func CheckRole(name string) error {
	ok := name != "" && len(name) <= maxRole
	for _, r := range name {
		ok = ok && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}
	if !ok {
		return fact.Errorf(ErrRole, "data role %s is not a name of 1 to %d lowercase letters, digits, _ and -, such as %s or reference", quote.Short(name), maxRole, DefaultRole)
	}
	return nil
}

// checkRole is CheckRole for a role given to a run, where empty is the
// default.
func checkRole(role string) error {
	if role == "" {
		return nil
	}
	return CheckRole(role)
}

// dataKeys are the parameters the reading settings and the role take in
// a record.
var dataKeys = []string{"label", "drop", "classes", roleKey}

// params adds the reading settings and the role to a record's parameters
// p.
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
	roleParam(p, d.Role)
}

// roleParam adds role to a record's parameters p unless it is the
// default.
func roleParam(p map[string]string, role string) {
	if role != "" && role != DefaultRole {
		p[roleKey] = role
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

// MatchColumns puts the feature columns of rows, read from path, in the
// order of names, the feature names of owner (a series, or the file whose
// header stands in for them), so that each column is measured as the
// feature it holds. A header that names the same features in another
// order is reordered in place, row by row, to the rows a file in that
// order reads (the file's SHA-256 stays its own). A header that lacks
// some or has others is refused with both lists, matching ErrHeader; the
// label and dropped columns are not features and take no part. Without a
// header the columns are taken by position, and a line to notes says so.
// Without names (a series that has none yet) a header stays as it is.
func MatchColumns(notes io.Writer, path string, rows *dataset.Dataset, names []string, owner string) error {
	header := rows.Names
	if header == nil {
		if notes != nil {
			fmt.Fprintf(notes, "%s has no header: its columns are taken by position as the features of %s\n", path, owner)
		}
		return nil
	}
	if names == nil || slices.Equal(header, names) {
		return nil
	}
	order, mismatch := columnOrder(header, names)
	if mismatch != "" {
		return fact.Errorf(ErrHeader, "%s: the header does not match the %d feature names of %s: %s", path, len(names), owner, mismatch)
	}
	reorder(rows, order)
	rows.Names = slices.Clone(names)
	return nil
}

// columnOrder is, for each of names, the header column that holds it; or,
// when the header does not name each of them exactly once and nothing
// else, what is missing, unexpected and repeated.
func columnOrder(header, names []string) (order []int, mismatch string) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	at := make(map[string]int, len(header))
	var unexpected, repeated []string
	for i, h := range header {
		_, seen := at[h]
		switch {
		case !want[h] && !seen:
			unexpected = append(unexpected, h)
		case want[h] && seen && !slices.Contains(repeated, h):
			repeated = append(repeated, h)
		}
		if !seen {
			at[h] = i
		}
	}
	var missing []string
	order = make([]int, len(names))
	for j, n := range names {
		i, ok := at[n]
		if !ok {
			missing = append(missing, n)
		}
		order[j] = i
	}
	var parts []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"missing", missing}, {"unexpected", unexpected}, {"repeated", repeated}} {
		if len(p.names) > 0 {
			parts = append(parts, p.what+" "+quote.List(p.names))
		}
	}
	return order, strings.Join(parts, "; ")
}

// reorder puts the columns of rows in order, in place: column j becomes
// the one at order[j]. It takes one row of memory more, not a second
// table.
func reorder(rows *dataset.Dataset, order []int) {
	tmp := make([]float32, rows.Cols)
	for r := range rows.Rows {
		row := rows.Row(r)
		copy(tmp, row)
		for j, i := range order {
			row[j] = tmp[i]
		}
	}
}

// adoptNames stores the data header's names as the series' feature names
// when it has none yet, and returns the series' names after. The run
// matched the header to names the series had (MatchColumns).
func adoptNames(env *Env, store *tracker.Store, model string, d *Data) ([]string, error) {
	names, err := store.Features(model)
	if err != nil {
		return nil, err
	}
	header := d.Rows.Names
	if header == nil || names != nil {
		return names, nil
	}
	if err := store.SetFeatures(model, header); err != nil {
		env.notef("warning: the header's feature names were not stored: %v\n", err)
		return nil, nil
	}
	env.notef("stored the %d feature names from the header of %s for model %s (tracker features lists them)\n", len(header), d.Path, quote.Short(model))
	return header, nil
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

// The data roles of a cross-evaluation: a week's model on the week
// before's rows, and the week before's model on the week's rows. With
// each week's own records they split a change into what the model did
// and what the data did (docs/METHODS.md, "Model change or data change").
const (
	RolePrevious = "previous"
	RoleNext     = "next"
)
