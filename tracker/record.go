package tracker

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tracker-ml/tracker/snapshot"
)

// versionRecord is the JSON stored under models/<model>/versions/<version>.
type versionRecord struct {
	Version    uint64        `json:"version"`
	Week       string        `json:"week"`
	Hash       string        `json:"hash"`
	IngestedAt time.Time     `json:"ingested_at"`
	Inputs     int           `json:"inputs"`
	Outputs    int           `json:"outputs"`
	Params     int           `json:"params"`
	Meta       snapshot.Meta `json:"meta"`
	Layers     []layerRecord `json:"layers"`
}

type layerRecord struct {
	snapshot.Spec
	// Settings outside the content hash that a Keras export needs to give
	// the layer back as it was read (optional: versions stored before
	// they were kept have neither, and export falls back to Keras's
	// defaults).
	Momentum float64     `json:"momentum,omitempty"`
	Inbound  string      `json:"inbound,omitempty"`
	Tensors  []tensorRef `json:"tensors,omitempty"`
}

// spec is the layer's full spec, the unhashed settings included.
func (lr layerRecord) spec() snapshot.Spec {
	s := lr.Spec
	s.Momentum, s.Inbound = lr.Momentum, lr.Inbound
	return s
}

// tensorRef points at a blob: the hex SHA-256 of its bytes.
type tensorRef struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	Blob  string `json:"blob"`
}

func versionKey(v uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], v)
	return k[:]
}

// weekKey orders a model's versions by week, then version.
func weekKey(week string, v uint64) []byte {
	return append([]byte(week), versionKey(v)...)
}

// Experiment is one importance measurement recorded against a version.
type Experiment struct {
	Kind        string            `json:"kind"`
	Params      map[string]string `json:"params,omitempty"`
	DataSHA256  string            `json:"data_sha256,omitempty"`
	DataRows    int               `json:"data_rows,omitempty"`
	Seed        int64             `json:"seed,omitempty"`
	ToolVersion string            `json:"tool_version"`
	Took        time.Duration     `json:"took_ns"`
	CreatedAt   time.Time         `json:"created_at"`
	// Value, Spread and Rank hold one entry per input feature. Rank 1 is the
	// most important feature.
	Value  []float64 `json:"-"`
	Spread []float64 `json:"-"`
	Rank   []int     `json:"-"`
	// Extra holds further per-feature series a method produces, such as
	// perturb's flip_rate or a standard error, keyed by name. It rides in
	// the JSON header; NaN (unknown, such as the standard error of one
	// repeat) is written as null.
	Extra Extras `json:"extra,omitempty"`
	// Detail is a method's own record of how it got its values, such as
	// each drop-retrain training's curve: JSON the store keeps as given,
	// after the values, so reading values never parses it.
	Detail json.RawMessage `json:"-"`
}

// Extras are a record's further per-feature series, by name.
type Extras map[string][]float64

// MarshalJSON writes NaN as null, which JSON has and NaN it has not, and
// every other number as encoding/json does.
func (x Extras) MarshalJSON() ([]byte, error) {
	out := make(map[string][]any, len(x))
	for name, xs := range x {
		row := make([]any, len(xs))
		for i, v := range xs {
			if !math.IsNaN(v) {
				row[i] = v
			}
		}
		out[name] = row
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads null as NaN.
func (x *Extras) UnmarshalJSON(b []byte) error {
	var in map[string][]*float64
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*x = make(Extras, len(in))
	for name, row := range in {
		xs := make([]float64, len(row))
		for i, v := range row {
			xs[i] = math.NaN()
			if v != nil {
				xs[i] = *v
			}
		}
		(*x)[name] = xs
	}
	return nil
}

// ID identifies an experiment by what it measured and how, so re-running
// with the same parameters on the same data finds the earlier record.
func (e *Experiment) ID() [8]byte {
	enc, _ := json.Marshal(identityOf(e))
	sum := sha256.Sum256(enc)
	var id [8]byte
	copy(id[:], sum[:])
	return id
}

// experimentKey is the version followed by the experiment ID, so one
// version's experiments are one prefix scan.
func experimentKey(version uint64, id [8]byte) []byte {
	return append(versionKey(version), id[:]...)
}

// Experiment encodings: header JSON, then the feature values as
// fixed-width little-endian arrays that a query can read one feature from
// without decoding the rest; format 2 adds the detail JSON at the end.
const (
	recordFormat       = 1
	recordFormatDetail = 2
)

// encodeExperiment lays out: format byte, uvarint header length, header
// JSON, uint32 feature count n, n float64 values, n float64 spreads, n
// uint32 ranks; with a detail (format 2), uvarint detail length and the
// detail JSON.
func encodeExperiment(e *Experiment) ([]byte, error) {
	if err := e.Check(); err != nil {
		return nil, err
	}
	n := len(e.Value)
	head, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if len(e.Detail) > 0 {
		if !json.Valid(e.Detail) {
			return nil, fmt.Errorf("experiment %s: detail is not valid JSON", e.Kind)
		}
		buf.WriteByte(recordFormatDetail)
	} else {
		buf.WriteByte(recordFormat)
	}
	buf.Write(binary.AppendUvarint(nil, uint64(len(head))))
	buf.Write(head)
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:4], uint32(n))
	buf.Write(b[:4])
	for _, v := range e.Value {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		buf.Write(b[:])
	}
	for _, v := range e.Spread {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		buf.Write(b[:])
	}
	for _, r := range e.Rank {
		binary.LittleEndian.PutUint32(b[:4], uint32(r))
		buf.Write(b[:4])
	}
	if len(e.Detail) > 0 {
		buf.Write(binary.AppendUvarint(nil, uint64(len(e.Detail))))
		buf.Write(e.Detail)
	}
	return buf.Bytes(), nil
}

// Check says why the store would refuse e, or nil: one value, spread and
// rank per feature, extra series of the same length, and only numbers an
// output format can write (checkNumbers). A caller with an optional
// experiment, such as ingest's weight-based ones on non-finite weights, can
// leave it out instead of failing the whole write.
func (e *Experiment) Check() error {
	n := len(e.Value)
	if len(e.Spread) != n || len(e.Rank) != n {
		return fmt.Errorf("experiment %s: %d values, %d spreads, %d ranks", e.Kind, n, len(e.Spread), len(e.Rank))
	}
	for name, xs := range e.Extra {
		if len(xs) != n {
			return fmt.Errorf("experiment %s: extra %q has %d values for %d features", e.Kind, name, len(xs), n)
		}
	}
	return checkNumbers(e)
}

// checkNumbers refuses numbers that an output format cannot write: JSON
// has no NaN or infinity, so one such value stored would make every
// `export` and `query --format json` of its week fail for good. A feature
// an experiment did not measure (a drop-retrain of some features) is the one
// exception, and every writer skips it: value NaN with rank 0, its spread
// NaN too or finite. An extra series may hold NaN, an unknown number that
// writers print as null or an empty cell, but never an infinity. Ranks
// must fit the record's uint32 encoding.
func checkNumbers(e *Experiment) error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	for i, v := range e.Value {
		s, r := e.Spread[i], e.Rank[i]
		switch {
		case r < 0 || int64(r) > math.MaxUint32:
			return fmt.Errorf("experiment %s: feature %d has rank %d", e.Kind, i, r)
		case r == 0 && math.IsNaN(v):
			if !math.IsNaN(s) && !finite(s) {
				return fmt.Errorf("experiment %s: feature %d is not measured, but its spread is %v", e.Kind, i, s)
			}
		case !finite(v):
			return fmt.Errorf("experiment %s: feature %d has value %v with rank %d: a measured feature needs a finite value (an unmeasured one is NaN with rank 0)", e.Kind, i, v, r)
		case !finite(s):
			return fmt.Errorf("experiment %s: feature %d has value %v but spread %v: a measured feature needs a finite spread", e.Kind, i, v, s)
		}
	}
	names := make([]string, 0, len(e.Extra))
	for name := range e.Extra {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for i, x := range e.Extra[name] {
			if math.IsInf(x, 0) {
				return fmt.Errorf("experiment %s: extra %q of feature %d is %v", e.Kind, name, i, x)
			}
		}
	}
	return nil
}

// record is an encoded experiment split into its sections; the slices
// alias the encoding.
type record struct {
	header []byte // JSON
	n      int    // features
	arrays []byte // n values, n spreads, n ranks
	detail []byte // JSON, or nil
}

func (r *record) value(i int) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(r.arrays[8*i:]))
}
func (r *record) spread(i int) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(r.arrays[8*(r.n+i):]))
}
func (r *record) rank(i int) int { return int(binary.LittleEndian.Uint32(r.arrays[16*r.n+4*i:])) }

// splitRecord checks an encoding's framing and finds its sections.
func splitRecord(data []byte) (record, error) {
	var r record
	if len(data) < 1 || (data[0] != recordFormat && data[0] != recordFormatDetail) {
		return r, fmt.Errorf("experiment record: unknown format")
	}
	hl, k := binary.Uvarint(data[1:])
	if k <= 0 || hl > uint64(len(data)) {
		return r, fmt.Errorf("experiment record: bad header length")
	}
	rest := data[1+k:]
	if uint64(len(rest)) < hl+4 {
		return r, fmt.Errorf("experiment record: truncated header")
	}
	r.header, rest = rest[:hl], rest[hl:]
	n := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(n)*20 > uint64(len(rest)) {
		return r, fmt.Errorf("experiment record: %d bytes for %d features, want %d", len(rest), n, uint64(n)*20)
	}
	r.n = int(n)
	r.arrays, rest = rest[:r.n*20], rest[r.n*20:]
	if data[0] == recordFormat {
		if len(rest) != 0 {
			return r, fmt.Errorf("experiment record: %d bytes after the values", len(rest))
		}
		return r, nil
	}
	dl, k := binary.Uvarint(rest)
	if k <= 0 || dl == 0 || uint64(len(rest)-k) != dl {
		return r, fmt.Errorf("experiment record: bad detail length")
	}
	r.detail = rest[k:]
	return r, nil
}

// decodeExperiment reverses encodeExperiment. It copies everything it
// returns, so data may be bbolt memory.
func decodeExperiment(data []byte) (*Experiment, error) {
	r, err := splitRecord(data)
	if err != nil {
		return nil, err
	}
	e := &Experiment{}
	if err := json.Unmarshal(r.header, e); err != nil {
		return nil, fmt.Errorf("experiment record: %w", err)
	}
	// time parses offsets up to ±24:00 but writes only up to ±23:59: refuse
	// a header encodeExperiment could not have written.
	if _, err := e.CreatedAt.MarshalJSON(); err != nil {
		return nil, fmt.Errorf("experiment record: %w", err)
	}
	for name, xs := range e.Extra {
		if len(xs) != r.n {
			return nil, fmt.Errorf("experiment record: extra %q has %d values for %d features", name, len(xs), r.n)
		}
	}
	if r.detail != nil {
		if !json.Valid(r.detail) {
			return nil, fmt.Errorf("experiment record: detail is not valid JSON")
		}
		e.Detail = append(json.RawMessage(nil), r.detail...)
	}
	e.Value = make([]float64, r.n)
	e.Spread = make([]float64, r.n)
	e.Rank = make([]int, r.n)
	for i := range r.n {
		e.Value[i], e.Spread[i], e.Rank[i] = r.value(i), r.spread(i), r.rank(i)
	}
	return e, nil
}
