package tracker

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracker-ml/tracker/internal/weekpath"
)

// seedExperiments are experiments like the ones the store records, with
// the field values most likely to trip an encoding.
func seedExperiments() []Experiment {
	return []Experiment{
		{Kind: "weight-sum", ToolVersion: "v0.1.0", CreatedAt: time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC),
			Value: []float64{1.5, 0.25, 3}, Spread: []float64{0, 0, 0}, Rank: []int{2, 3, 1}},
		{Kind: "perturb", Params: map[string]string{"pivots": "5", "delta": "0.1", "": "é\u2028"},
			DataSHA256: strings.Repeat("ab", 32), DataRows: 1000, Seed: -7, ToolVersion: "dev", Took: 1234567890,
			CreatedAt: time.Date(2019, 3, 1, 8, 30, 0, 123456789, time.FixedZone("", -(9*3600+30*60))),
			Value:     []float64{math.Copysign(0, -1), math.NaN(), -math.MaxFloat64, math.SmallestNonzeroFloat64},
			Spread:    []float64{math.MaxFloat64, -1, 1e-308, 0.1},
			Rank:      []int{1, 0, 2, 1<<32 - 1},
			Extra:     map[string][]float64{"flip_rate": {0, math.Copysign(0, -1), 1e-320, math.MaxFloat64}, "": {-1, 1, 2, 3}}},
		{Kind: "drop-retrain", Params: map[string]string{"seeds": "2"}, Value: []float64{0.1, math.NaN()}, Spread: []float64{0, math.NaN()}, Rank: []int{1, 0},
			Detail: json.RawMessage(`{"metric":"accuracy","baseline":[0.9,0.8],"retrains":[{"feature":-1,"seed":0,"loss":[0.5]}]}`)},
		{Kind: "empty", Params: map[string]string{}},
		{},
	}
}

func FuzzDecodeExperiment(f *testing.F) {
	for _, e := range seedExperiments() {
		enc, err := encodeExperiment(&e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
		f.Add(enc[:len(enc)-1])
		f.Add(enc[:len(enc)/2])
		f.Add(append(slices.Clone(enc), 0))
	}
	f.Add([]byte{})
	f.Add([]byte{recordFormat})
	f.Add([]byte{recordFormat, 2, '{', '}', 0, 0, 0, 0})
	f.Add([]byte{recordFormat, 2, '{', '}', 1, 0, 0, 0})
	f.Add([]byte{recordFormat, 2, '{', '}', 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{recordFormat, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{2, 2, '{', '}', 0, 0, 0, 0})
	f.Add([]byte{recordFormatDetail, 2, '{', '}', 0, 0, 0, 0, 2, '{', '}'})
	f.Add([]byte{recordFormatDetail, 2, '{', '}', 0, 0, 0, 0, 3, '{', '}'})
	f.Add([]byte{recordFormatDetail, 2, '{', '}', 0, 0, 0, 0, 2, '{', '['})
	// An extra series must have one value per feature.
	for _, head := range []string{`{"extra":{"a":[1]}}`, `{"extra":{"a":null}}`, `{"extra":{"a":[]}}`} {
		f.Add(append(append([]byte{recordFormat, byte(len(head))}, head...), 0, 0, 0, 0))
	}
	// Go parses a +24:00 offset but will not write one.
	for _, off := range []string{"+23:59", "+24:00", "-23:60"} {
		head := `{"created_at":"2019-01-14T00:00:00` + off + `"}`
		f.Add(append(append([]byte{recordFormat, byte(len(head))}, head...), 0, 0, 0, 0))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		e, err := decodeExperiment(data)
		if err != nil {
			if e != nil {
				t.Errorf("decode returned an experiment with error %v", err)
			}
			return
		}
		if checkNumbers(e) != nil {
			// A record with numbers no output can write, as older
			// trackers stored: it stays readable (verify reports it),
			// but is never written again.
			return
		}
		enc, err := encodeExperiment(e)
		if err != nil {
			t.Fatalf("decoded %+v but cannot encode it again: %v", e, err)
		}
		// What decode returns must not share memory with its input, which
		// may be bbolt's: scribbling over the input changes nothing.
		clear(data)
		if again, err := encodeExperiment(e); err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("the decoded experiment changed when its input was overwritten")
		}
		e2, err := decodeExperiment(enc)
		if err != nil {
			t.Fatalf("re-encoding %x does not decode: %v", enc, err)
		}
		if msg := experimentDiff(e, e2); msg != "" {
			t.Fatalf("decode(encode(e)) differs from e: %s", msg)
		}
		if enc2, err := encodeExperiment(e2); err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%x\n%x (%v)", enc, enc2, err)
		}
	})
}

// experimentDiff names the first field where a and b differ, comparing
// floats by their bits and times by instant and offset; "" if none.
func experimentDiff(a, b *Experiment) string {
	bits := func(xs []float64) []uint64 {
		out := make([]uint64, len(xs))
		for i, x := range xs {
			out[i] = math.Float64bits(x)
		}
		return out
	}
	_, aOff := a.CreatedAt.Zone()
	_, bOff := b.CreatedAt.Zone()
	switch {
	case a.Kind != b.Kind:
		return "kind"
	case !bytes.Equal(a.Detail, b.Detail):
		return "detail"
	case !maps.Equal(a.Params, b.Params):
		return "params"
	case a.DataSHA256 != b.DataSHA256, a.DataRows != b.DataRows, a.Seed != b.Seed:
		return "data or seed"
	case a.ToolVersion != b.ToolVersion, a.Took != b.Took:
		return "tool version or duration"
	case !a.CreatedAt.Equal(b.CreatedAt), aOff != bOff:
		return "created at " + a.CreatedAt.String() + " vs " + b.CreatedAt.String()
	case !slices.Equal(bits(a.Value), bits(b.Value)):
		return "values"
	case !slices.Equal(bits(a.Spread), bits(b.Spread)):
		return "spreads"
	case !slices.Equal(a.Rank, b.Rank):
		return "ranks"
	case !maps.EqualFunc(a.Extra, b.Extra, func(x, y []float64) bool { return slices.Equal(bits(x), bits(y)) }):
		return "extra series"
	}
	return ""
}

func TestEncodeExperimentRoundTrips(t *testing.T) {
	t.Parallel()
	for _, e := range seedExperiments() {
		enc, err := encodeExperiment(&e)
		if err != nil {
			t.Fatalf("encode %s: %v", e.Kind, err)
		}
		got, err := decodeExperiment(enc)
		if err != nil {
			t.Fatalf("decode %s: %v", e.Kind, err)
		}
		if msg := experimentDiff(got, &e); msg != "" {
			t.Errorf("%q: round trip changed the %s", e.Kind, msg)
		}
		// Every strict prefix is refused, never misread.
		for n := range len(enc) {
			if _, err := decodeExperiment(enc[:n]); err == nil {
				t.Errorf("%q: a %d-byte prefix of the %d-byte record decoded", e.Kind, n, len(enc))
			}
		}
	}
}

var isoDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

func FuzzParseWeek(f *testing.F) {
	for _, s := range []string{
		"2019-01-14", "20190114", "2020-02-29", "2019-02-29", "0000-01-01", "9999-12-31",
		"", "2019-1-14", "2019/01/14", "+019-01-14", "-0190114", "19-01-14", "2019-01-14T00:00:00Z",
		"２０１９-01-14", "2019-01-14\n", "Model/20190114/0_10.1", "../2019-01-14/./x", "20191314",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		w, err := ParseWeek(s)
		if err == nil {
			if !isoDate.MatchString(w) {
				t.Fatalf("ParseWeek(%q) = %q, not YYYY-MM-DD", s, w)
			}
			if again, err := ParseWeek(w); err != nil || again != w {
				t.Fatalf("ParseWeek(%q) = %q, but ParseWeek(%q) = %q, %v", s, w, w, again, err)
			}
			if strings.ReplaceAll(s, "-", "") != strings.ReplaceAll(w, "-", "") {
				t.Fatalf("ParseWeek(%q) = %q, another date", s, w)
			}
			if got, ok := weekpath.Of("models/Model/" + s + "/0_10.1_weights.h5"); !ok || got != w {
				t.Fatalf("WeekFromPath of a path holding week %q: %q, %v", s, got, ok)
			}
		} else if w != "" {
			t.Fatalf("ParseWeek(%q) returned %q with error %v", s, w, err)
		}
		if p, ok := weekpath.Of(s); ok {
			if again, err := ParseWeek(p); err != nil || again != p {
				t.Fatalf("weekpath.Of(%q) = %q, which ParseWeek turns into %q, %v", s, p, again, err)
			}
		} else if p != "" {
			t.Fatalf("weekpath.Of(%q) = %q without a week", s, p)
		}
	})
}

// FuzzSeriesHead checks the header shortcut FeatureHistory takes against
// a full decode, for kinds and parameters with any characters.
func FuzzSeriesHead(f *testing.F) {
	f.Add("perturb", "pivots", "100", "noise", "std:1")
	f.Add("a\"b\\", "k}", "v{\"", "", "")
	f.Add("", "", "", "x", "}")
	f.Fuzz(func(t *testing.T, kind, k1, v1, k2, v2 string) {
		e := Experiment{Kind: kind, Value: []float64{1}, Spread: []float64{0}, Rank: []int{1}}
		if k1 != "" || k2 != "" {
			e.Params = map[string]string{k1: v1, k2: v2}
		}
		enc, err := encodeExperiment(&e)
		if err != nil {
			t.Skip()
		}
		r, err := splitRecord(enc)
		if err != nil {
			t.Fatal(err)
		}
		cache := headCache{}
		for range 2 { // the second read comes from the cache
			h, err := cache.head(r.header)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := decodeExperiment(enc)
			if h.kind != want.Kind || !maps.Equal(h.params, want.Params) || h.series != SeriesKey(want.Kind, want.Params) {
				t.Fatalf("head %q %v, decoded %q %v", h.kind, h.params, want.Kind, want.Params)
			}
		}
	})
}
