package runs

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/profile"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/tracker"
)

// RoleTrain is the data role of the rows a week's model was trained on:
// what ingest-data profiles unless told otherwise.
const RoleTrain = "train"

// seriesBins are a series' histogram bins as the store keeps them: each
// column's edges, by name when the first profile had names.
type seriesBins struct {
	Names []string    `json:"names,omitempty"`
	Edges [][]float32 `json:"edges"`
}

// binsFor are the series' edges in the order of columns names (nil
// without a header), nil when the series has no bins yet or a column is
// new to it (it then bins on its own deciles).
func binsFor(stored json.RawMessage, names []string, cols int) ([][]float32, error) {
	if len(stored) == 0 {
		return nil, nil
	}
	var sb seriesBins
	if err := json.Unmarshal(stored, &sb); err != nil {
		return nil, fmt.Errorf("the series' histogram bins are damaged: %v", err)
	}
	if sb.Names == nil || names == nil {
		if len(sb.Edges) != cols {
			return nil, nil
		}
		return sb.Edges, nil
	}
	out := make([][]float32, len(names))
	for i, n := range names {
		j := slices.Index(sb.Names, n)
		if j < 0 {
			return nil, nil
		}
		out[i] = sb.Edges[j]
	}
	return out, nil
}

// encodeBins is a first profile's bins as the store keeps them.
func encodeBins(p *profile.Profile) json.RawMessage {
	sb := seriesBins{Edges: profile.Edges(p)}
	for _, c := range p.Columns {
		if c.Name != "" {
			sb.Names = append(sb.Names, c.Name)
		}
	}
	if len(sb.Names) != len(p.Columns) {
		sb.Names = nil
	}
	enc, _ := json.Marshal(sb)
	return enc
}

// ProfileSpec is an ingest-data: one data file profiled for a week.
type ProfileSpec struct {
	Model, Week, Path string
	Options           dataset.Options
	Role              string
	Replace           bool
}

// ProfileOutcome is what an ingest-data stored or found.
type ProfileOutcome struct {
	Record  *tracker.DataProfile
	Profile *profile.Profile
	Stored  bool // found with this identity already: nothing stored
}

// IngestProfile profiles spec's file in one streaming pass and stores it
// for its week and role in one short write. The file's columns must be
// the series' features, by name when both have names (the order may
// differ), by count otherwise, checked from the header before any row is
// read. A profile of other data for the week and role is refused unless
// spec.Replace (ErrReplace), with the store open for writing.
func IngestProfile(env Env, spec ProfileSpec) (*ProfileOutcome, error) {
	if err := CheckRole(spec.Role); err != nil {
		return nil, err
	}
	store, err := env.Open(true)
	if err != nil {
		return nil, err
	}
	names, err := store.Features(spec.Model)
	var bins json.RawMessage
	if err == nil {
		bins, err = store.ProfileBins(spec.Model)
	}
	store.Close()
	if err != nil {
		return nil, err // an unknown series is refused before the file is read: a typo, most often
	}
	header, cols, err := peekColumns(spec.Path, spec.Options)
	if err != nil {
		return nil, err
	}
	if err := checkProfileColumns(env.Notes, spec, header, cols, names); err != nil {
		return nil, err
	}
	edges, err := binsFor(bins, header, cols)
	if err != nil {
		return nil, err
	}
	restore := capGCPercent(readGCPercent) // parsing leaves a string per record, as for ReadData
	p, err := profile.FromFile(spec.Path, spec.Options, edges)
	restore()
	if err != nil {
		return nil, err
	}
	alignProfile(p, names)
	rec, err := profileRecord(p, spec.Week, spec.Role, spec.Path, env)
	if err != nil {
		return nil, err
	}
	stored, err := putProfile(env, spec.Model, rec, p, spec.Replace)
	if err != nil {
		return nil, err
	}
	return &ProfileOutcome{Record: rec, Profile: p, Stored: stored}, nil
}

// alignProfile puts p's columns in the order of the series' feature
// names and gives them those names, so that every profile of a series
// lists the same feature at the same place under the same name, whatever
// the file's column order or header (checkProfileColumns checked that the
// header names them all, or that a file without one has as many columns).
// drift then matches by name, never by a file's position.
func alignProfile(p *profile.Profile, names []string) {
	if names == nil || len(p.Columns) != len(names) {
		return
	}
	byName := make(map[string]profile.Column, len(p.Columns))
	for _, c := range p.Columns {
		byName[c.Name] = c
	}
	cols := make([]profile.Column, len(names))
	for i, n := range names {
		c, ok := byName[n]
		if !ok { // no header: by position
			c = p.Columns[i]
		}
		c.Name = n
		cols[i] = c
	}
	p.Columns = cols
}

// peekColumns reads a data file's header: its feature names (nil without
// one) and feature count.
func peekColumns(path string, opts dataset.Options) ([]string, int, error) {
	s, err := dataset.Scan(path, opts)
	if err != nil {
		return nil, 0, err
	}
	defer s.Close()
	return s.Names(), s.Cols(), nil
}

// checkProfileColumns checks a file's features against the series':
// the same names in any order, or without a header as many columns as the
// series has features, said once.
func checkProfileColumns(notes io.Writer, spec ProfileSpec, header []string, cols int, names []string) error {
	owner := "model " + quote.Short(spec.Model)
	switch {
	case names == nil:
		return nil
	case header == nil:
		if cols != len(names) {
			return fact.Errorf(ErrColumns, "%s: %d feature columns without a header, but %s has %d features", spec.Path, cols, owner, len(names))
		}
		if notes != nil {
			fmt.Fprintf(notes, "%s has no header: its columns are taken by position as the features of %s\n", spec.Path, owner)
		}
		return nil
	}
	if _, mismatch := columnOrder(header, names); mismatch != "" {
		return fact.Errorf(ErrHeader, "%s: the header does not match the %d feature names of %s: %s", spec.Path, len(names), owner, mismatch)
	}
	return nil
}

// profileRecord wraps p as the store keeps it.
func profileRecord(p *profile.Profile, week, role, path string, env Env) (*tracker.DataProfile, error) {
	enc, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return &tracker.DataProfile{Week: week, Role: role, DataSHA256: p.SHA256, DataRows: p.Rows, Source: filepath.Base(path),
		Profile: enc, ToolVersion: env.ToolVersion, CreatedAt: env.Now().UTC()}, nil
}

// putProfile stores rec, with the series' bins when it has none, unless
// the week and role hold it already (stored true) or hold another
// profile and replace is false.
func putProfile(env Env, model string, rec *tracker.DataProfile, p *profile.Profile, replace bool) (stored bool, err error) {
	store, err := env.Open(false)
	if err != nil {
		return false, err
	}
	defer store.Close()
	return putProfileIn(&env, store, model, rec, p, replace)
}

func putProfileIn(env *Env, store *tracker.Store, model string, rec *tracker.DataProfile, p *profile.Profile, replace bool) (stored bool, err error) {
	week, err := store.WeekProfiles(model, rec.Week)
	if err != nil {
		return false, err
	}
	rival := tracker.SpeakingProfile(week, rec.Week, rec.Role)
	switch {
	case rival != nil && rival.DataSHA256 == rec.DataSHA256:
		return true, nil
	case rival != nil && !replace:
		return false, fact.Errorf(ErrReplace, "week %s already has a data profile of role %s, of %s (data %.12s, %d rows, recorded %s), and this file's data is %.12s (%d rows)",
			rec.Week, rec.Role, quote.Short(rival.Source), rival.DataSHA256, rival.DataRows, rival.CreatedAt.Format(time.DateOnly), rec.DataSHA256, rec.DataRows)
	case rival != nil && !rec.CreatedAt.After(rival.CreatedAt):
		rec.CreatedAt = rival.CreatedAt.Add(time.Nanosecond)
	}
	var bins json.RawMessage
	if have, err := store.ProfileBins(model); err != nil {
		return false, err
	} else if have == nil {
		bins = encodeBins(p)
	}
	added, err := store.PutProfile(model, rec, bins, replace)
	if err != nil {
		return false, err
	}
	if rival != nil && added {
		env.notef("week %s: this profile now speaks for data role %s; the one of %s (data %.12s) is kept\n", rec.Week, rec.Role, quote.Short(rival.Source), rival.DataSHA256)
	}
	return false, nil
}

// storeRunProfile stores the profile of a run's rows for week under the
// run's data role, once per week and role, when the rows are the week's
// own (Data.weekOf): a user who never calls ingest-data still gets drift. The store is open for writing. A profile
// of other rows in the week and role is kept as it is: a run does not
// decide which data of a week is the week's; ingest-data --replace does.
// A failure is a warning, never the run's: the run's record has landed.
func storeRunProfile(env *Env, store *tracker.Store, model, week string, d *Data) {
	if !d.weekOf(week) {
		return
	}
	role := d.Role
	if role == "" {
		role = DefaultRole
	}
	warn := func(err error) {
		env.notef("warning: the data profile of %s for week %s was not stored: %v\n", d.Path, week, err)
	}
	have, err := store.WeekProfiles(model, week)
	if err != nil {
		warn(err)
		return
	}
	if rival := tracker.SpeakingProfile(have, week, role); rival != nil {
		return // this data's profile, or another one the run does not replace
	}
	stored, err := store.ProfileBins(model)
	if err != nil {
		warn(err)
		return
	}
	edges, err := binsFor(stored, d.Rows.Names, d.Rows.Cols)
	if err != nil {
		warn(err)
		return
	}
	p, err := profile.FromDataset(d.Rows, edges)
	if err != nil {
		warn(err)
		return
	}
	rec, err := profileRecord(p, week, role, d.Path, *env)
	if err != nil {
		warn(err)
		return
	}
	if _, err := putProfileIn(env, store, model, rec, p, false); err != nil {
		warn(err)
	}
}
