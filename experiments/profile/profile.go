package profile

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/internal/quote"
)

// Format marks a stored profile's JSON layout; a reader refuses others.
const Format = "tracker-profile/1"

// Points is how many quantiles a column keeps, at p = 0, 0.005, …, 1.
// The drift statistics read each column's distribution function back from
// them, and on data with ties (a binary or count feature) that function
// is known only to within one grid step, 1/(Points−1), in each of the two
// profiles compared. 201 points make that 0.005 each, so the KS statistic
// from two profiles is within 0.01 of the exact one plus sketch error,
// inside the 0.02 the accuracy test holds it to; 101 would spend the
// whole 0.02 on the grid. Stored as float32 (the data's own precision),
// each takes about 10 characters of JSON, so quantiles and cell means
// come to about 4 KB a column.
const Points = 201

// Deciles is the number of histogram bins a series' first profile fixes:
// its deciles, so each bin holds a tenth of the reference week's rows, the
// usual choice for PSI (Siddiqi 2006).
const Deciles = 10

// MaxClasses is the most distinct label values a profile counts: a
// classifier's label has a few; thousands mean the column is an id or a
// target of regression, and a profile should not grow with it.
const MaxClasses = 1000

// Errors of New, Finish and Validate.
var (
	// ErrBins: the bins given do not fit the columns, or are not ascending.
	ErrBins = errors.New("bad histogram bins")
	// ErrLabel: a label is not among the classes given, or there are more
	// than MaxClasses distinct labels.
	ErrLabel = errors.New("bad label")
	// ErrProfile: a stored profile is not one this package wrote.
	ErrProfile = errors.New("bad profile")
)

// Profile is a compact, JSON-serialisable summary of one week's data:
// per feature column its counts, moments, Points quantiles, Points−1 cell
// means and a histogram, and the label's class counts. Its size depends
// on the columns, never on the rows: at most about 5 KB of JSON a column
// (4 KB of quantiles and cell means, names up to what the header holds)
// and MaxClasses label counts, so 82 columns take about 350 KB.
type Profile struct {
	Format  string   `json:"format"`
	Rows    int      `json:"rows"`
	SHA256  string   `json:"sha256,omitempty"`
	Points  int      `json:"quantile_points"`
	Columns []Column `json:"columns"`
	Label   *Label   `json:"label,omitempty"` // nil when the data has no label column
}

// Column summarises one feature over the rows where it is not missing.
// With Count 0 only Missing and the histogram's bins say anything.
type Column struct {
	Name    string  `json:"name,omitempty"` // "" without a header
	Count   int     `json:"count"`          // non-missing values
	Missing int     `json:"missing"`
	Mean    float64 `json:"mean"`
	SD      float64 `json:"sd"` // sample standard deviation (n−1); 0 for one value
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	// Exact says the quantiles come from every value sorted (at most
	// ExactCap values, or FromDataset) rather than the sketch.
	Exact bool `json:"exact"`
	// Quantiles[j] is the quantile at p = j/(Points−1): the first is the
	// minimum, the last the maximum.
	Quantiles []float32 `json:"quantiles"`
	// CellMeans[j] is the mean of the values ranked between quantiles j and
	// j+1 (a (Points−1)-th of them): the Wasserstein distance integrates
	// these, which holds a heavy tail's mass where the two end quantiles
	// alone would not.
	CellMeans []float32 `json:"cell_means"`
	Histogram Histogram `json:"histogram"`
}

// Histogram counts a column's values in fixed bins: (−∞, e₀), [e₀, e₁),
// …, [eₖ, ∞) for the interior Edges e, so no value falls outside and the
// JSON holds no infinity. A series keeps the bins of its first profile
// (Edges), so PSI compares like with like.
type Histogram struct {
	Edges  []float32 `json:"edges"`
	Counts []int     `json:"counts"` // len(Edges)+1
	// Estimated: the counts come from the sketch's rank function, not from
	// counting, which happens only for a first profile's own bins on a
	// column past ExactCap; each count is then within about
	// SketchRankError × Count of the true one.
	Estimated bool `json:"estimated,omitempty"`
}

// Label counts the label column's classes.
type Label struct {
	Classes []string `json:"classes"` // in class order
	Counts  []int    `json:"counts"`  // rows per class
	Missing int      `json:"missing"` // rows without a label
	// BaseRate is the share of the second class among the labelled rows,
	// for a label of two classes (the positive class of a binary label);
	// absent otherwise.
	BaseRate *float64 `json:"base_rate,omitempty"`
}

// Config says what a Builder profiles.
type Config struct {
	Names []string // feature names; nil without a header
	Cols  int      // feature columns; may be 0 when Names is given
	// Bins are each feature's interior edges from the series' first
	// profile (Edges); nil for a first profile, which bins on its own
	// deciles.
	Bins [][]float32
	// Label says the data has a label column, so Add's label is counted.
	Label bool
	// Classes is the class order; nil takes dataset.Read's rule: whole
	// numbers name classes 0 to the largest, words sort.
	Classes []string
}

// Builder makes a Profile from rows handed to it one at a time, in memory
// bounded by the columns: per column a batch of values, then either the
// values themselves up to ExactCap or the sketch.
type Builder struct {
	cfg    Config
	cols   []column
	rows   int
	labels map[string]int
	order  []string // distinct labels in order of appearance
	counts []int
	over   string // the first label past MaxClasses
	noLab  int
	// scratch is the sort's, shared by the columns, which flush in turn.
	scratch []uint32
}

// New returns a Builder for cfg.
func New(cfg Config) (*Builder, error) {
	if cfg.Names != nil {
		if cfg.Cols != 0 && cfg.Cols != len(cfg.Names) {
			panic(fmt.Sprintf("profile: %d names for %d columns", len(cfg.Names), cfg.Cols))
		}
		cfg.Cols = len(cfg.Names)
	}
	if cfg.Bins != nil && len(cfg.Bins) != cfg.Cols {
		return nil, fmt.Errorf("%w: bins for %d columns, the data has %d: bin on the first profile of this column layout", ErrBins, len(cfg.Bins), cfg.Cols)
	}
	b := &Builder{cfg: cfg, cols: make([]column, cfg.Cols), labels: map[string]int{}, scratch: make([]uint32, 2*batchSize)}
	for k := range b.cols {
		c := &b.cols[k]
		c.exactCap = ExactCap
		c.buf = make([]float32, 0, batchSize)
		if cfg.Bins == nil {
			continue
		}
		e := cfg.Bins[k]
		c.edges = make([]float64, len(e))
		for i, v := range e {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || i > 0 && v <= e[i-1] {
				return nil, fmt.Errorf("%w: column %s's edges %v are not finite and strictly ascending", ErrBins, b.colName(k), e)
			}
			c.edges[i] = float64(v)
		}
		c.counts = make([]int, len(e)+1)
	}
	return b, nil
}

func (b *Builder) colName(k int) string {
	if b.cfg.Names != nil {
		return fmt.Sprintf("%s (feature %d)", quote.Short(b.cfg.Names[k]), k)
	}
	return fmt.Sprintf("feature %d", k)
}

// Add counts one row: its features, NaN where missing, and its label
// text, "" where missing (ignored without a label column). The Builder
// keeps neither slice.
func (b *Builder) Add(row []float32, label string) {
	if len(row) != len(b.cols) {
		panic(fmt.Sprintf("profile: a row of %d values for %d columns", len(row), len(b.cols)))
	}
	b.rows++
	for k, v := range row {
		c := &b.cols[k]
		if v != v {
			c.missing++
			continue
		}
		c.buf = append(c.buf, v)
		if len(c.buf) == batchSize {
			c.flush(b.scratch)
		}
	}
	if !b.cfg.Label {
		return
	}
	if label == "" {
		b.noLab++
		return
	}
	k, ok := b.labels[label]
	if !ok {
		if len(b.order) == MaxClasses {
			if b.over == "" {
				b.over = label
			}
			return
		}
		k = len(b.order)
		b.labels[label] = k
		b.order = append(b.order, label)
		b.counts = append(b.counts, 0)
	}
	b.counts[k]++
}

// Finish returns the profile of the rows added. The Builder is spent.
func (b *Builder) Finish() (*Profile, error) {
	p := &Profile{Format: Format, Rows: b.rows, Points: Points, Columns: make([]Column, len(b.cols))}
	for k := range b.cols {
		name := ""
		if b.cfg.Names != nil {
			name = b.cfg.Names[k]
		}
		p.Columns[k] = b.cols[k].finish(name, b.scratch)
		b.cols[k] = column{}
	}
	if b.cfg.Label {
		l, err := b.label()
		if err != nil {
			return nil, err
		}
		p.Label = l
	}
	return p, nil
}

func (b *Builder) label() (*Label, error) {
	if b.over != "" {
		return nil, fmt.Errorf("%w: the label column has more than %d distinct values (%s is one past them): a profile counts classes, so the label must be a class", ErrLabel, MaxClasses, quote.Short(b.over))
	}
	classes := b.cfg.Classes
	if classes == nil {
		classes = defaultClasses(b.order)
	}
	l := &Label{Classes: slices.Clone(classes), Counts: make([]int, len(classes)), Missing: b.noLab}
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	for k, v := range b.order {
		i, ok := index[v]
		if !ok {
			i, ok = sameNumber(v, classes)
		}
		if !ok {
			return nil, fmt.Errorf("%w: label %s is not among the classes %s", ErrLabel, quote.Short(v), quote.List(classes))
		}
		l.Counts[i] += b.counts[k]
	}
	if len(classes) == 2 {
		if n := l.Counts[0] + l.Counts[1]; n > 0 {
			r := float64(l.Counts[1]) / float64(n)
			l.BaseRate = &r
		}
	}
	return l, nil
}

// defaultClasses is dataset.Read's class order: labels that are all whole
// numbers from 0 to MaxClasses−1 name classes "0" to the largest; other
// labels sort as text.
func defaultClasses(values []string) []string {
	top := -1
	for _, v := range values {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f != math.Trunc(f) || f >= MaxClasses {
			top = -2
			break
		}
		top = max(top, int(f))
	}
	if top == -2 {
		s := slices.Clone(values)
		sort.Strings(s)
		return s
	}
	names := make([]string, top+1)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}

// sameNumber finds the class that names the same number as v: 1 and 1.0.
func sameNumber(v string, classes []string) (int, bool) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	for i, c := range classes {
		if g, err := strconv.ParseFloat(c, 64); err == nil && g == f {
			return i, true
		}
	}
	return 0, false
}

// FromDataset profiles a table already in memory (a run's data): the
// quantiles are exact whatever the rows, as the values are held anyway.
func FromDataset(d *dataset.Dataset, bins [][]float32) (*Profile, error) {
	b, err := New(Config{Names: d.Names, Cols: d.Cols, Bins: bins, Label: d.Labels != nil, Classes: d.Classes})
	if err != nil {
		return nil, err
	}
	for k := range b.cols {
		b.cols[k].exactCap = -1
	}
	for i := range d.Rows {
		label := ""
		if d.Labels != nil {
			label = d.Classes[d.Labels[i]]
		}
		b.Add(d.Row(i), label)
	}
	p, err := b.Finish()
	if err != nil {
		return nil, err
	}
	p.SHA256 = d.SHA256
	return p, nil
}

// Edges returns each column's histogram edges derived from a profile:
// its deciles with duplicates merged, so a binary column gets the bins
// (−∞, 0), [0, 1), [1, ∞) and a constant one two bins. The first and
// last bins are open, so a later week's values beyond this week's range
// still count. A column with no values gets no edges (one bin). Pass the
// result as Config.Bins for every later profile of the series.
func Edges(p *Profile) [][]float32 {
	out := make([][]float32, len(p.Columns))
	for k, c := range p.Columns {
		out[k] = edgesFrom(c.Quantiles)
	}
	return out
}

func edgesFrom(q []float32) []float32 {
	if len(q) == 0 {
		return nil
	}
	var e []float32
	for i := 1; i < Deciles; i++ {
		v := q[i*(len(q)-1)/Deciles]
		if len(e) == 0 || v > e[len(e)-1] {
			e = append(e, v)
		}
	}
	return e
}

// Validate checks a profile read back from storage: the format, and the
// lengths and order the drift statistics rely on.
func (p *Profile) Validate() error {
	if p.Format != Format {
		return fmt.Errorf("%w: format %s, want %q: a newer tracker wrote it, or it is no profile", ErrProfile, quote.Short(p.Format), Format)
	}
	if p.Points != Points {
		return fmt.Errorf("%w: %d quantile points, want %d", ErrProfile, p.Points, Points)
	}
	for k, c := range p.Columns {
		bad := func(what string) error {
			return fmt.Errorf("%w: column %d (%s): %s", ErrProfile, k, quote.Short(c.Name), what)
		}
		switch {
		case c.Count < 0 || c.Missing < 0 || c.Count+c.Missing != p.Rows:
			return bad(fmt.Sprintf("count %d and missing %d do not add up to the %d rows", c.Count, c.Missing, p.Rows))
		case c.Count > 0 && (len(c.Quantiles) != Points || len(c.CellMeans) != Points-1):
			return bad(fmt.Sprintf("%d quantiles and %d cell means, want %d and %d", len(c.Quantiles), len(c.CellMeans), Points, Points-1))
		case c.Count == 0 && (len(c.Quantiles) != 0 || len(c.CellMeans) != 0):
			return bad("quantiles without values")
		case len(c.Histogram.Counts) != len(c.Histogram.Edges)+1:
			return bad(fmt.Sprintf("%d histogram counts for %d edges", len(c.Histogram.Counts), len(c.Histogram.Edges)))
		case !slices.IsSorted(c.Quantiles):
			return bad("quantiles not ascending")
		}
		total := 0
		for i, n := range c.Histogram.Counts {
			if n < 0 {
				return bad("a negative count")
			}
			total += n
			if i > 0 && i < len(c.Histogram.Edges) && c.Histogram.Edges[i] <= c.Histogram.Edges[i-1] {
				return bad("histogram edges not strictly ascending")
			}
		}
		if total != c.Count {
			return bad(fmt.Sprintf("histogram counts add up to %d, not the count %d", total, c.Count))
		}
	}
	if l := p.Label; l != nil && len(l.Counts) != len(l.Classes) {
		return fmt.Errorf("%w: %d label counts for %d classes", ErrProfile, len(l.Counts), len(l.Classes))
	}
	return nil
}
