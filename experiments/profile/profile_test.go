package profile

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments/dataset"
)

func TestBuilderEdgeCases(t *testing.T) {
	nan := float32(math.NaN())
	b, err := New(Config{Names: []string{"const", "empty", "one", "ties"}, Label: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]float32{{3, nan, 7, 1}, {3, nan, nan, 1}, {3, nan, nan, 2}, {3, nan, nan, 1}}
	for i, r := range rows {
		b.Add(r, []string{"1", "0", "", "1"}[i])
	}
	p, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	c := p.Columns
	switch {
	case c[0].Count != 4 || c[0].SD != 0 || c[0].Min != 3 || c[0].Max != 3 || !slices.Equal(c[0].Histogram.Edges, []float32{3}):
		t.Errorf("constant column: %+v", c[0])
	case c[1].Count != 0 || c[1].Missing != 4 || c[1].Quantiles != nil:
		t.Errorf("all-missing column: %+v", c[1])
	case c[2].Count != 1 || c[2].SD != 0 || c[2].Quantiles[0] != 7 || c[2].Quantiles[Points-1] != 7:
		t.Errorf("single value: %+v", c[2])
	case c[3].Mean != 1.25 || math.Abs(c[3].SD-0.5) > 1e-12 || !slices.Equal(c[3].Histogram.Counts, []int{0, 3, 1}):
		t.Errorf("ties: %+v", c[3])
	}
	l := p.Label
	if !slices.Equal(l.Classes, []string{"0", "1"}) || !slices.Equal(l.Counts, []int{1, 2}) || l.Missing != 1 || *l.BaseRate != 2.0/3 {
		t.Errorf("label %+v", l)
	}
	// The drift of a profile against itself: nothing, and no NaN or
	// infinity anywhere, so the JSON encodes.
	d, err := Compare(p, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Fatal(err)
	}
	if d.Drifted != 0 || d.Features[1].Judged || !strings.Contains(d.Features[1].Reason, "no values") {
		t.Errorf("drift against itself: %+v", d)
	}
	if f := d.Features[0]; f.KS != 0 || f.PSI != 0 || f.MeanChangeSD != nil || f.SDRatio != nil {
		t.Errorf("constant column against itself: %+v", f)
	}
}

func TestNewRefusesBadBins(t *testing.T) {
	for _, bins := range [][][]float32{{{1, 2}}, {{2, 1}, {0}}, {{float32(math.Inf(1))}, {0}}} {
		if _, err := New(Config{Cols: 2, Bins: bins}); err == nil {
			t.Errorf("bins %v accepted", bins)
		}
	}
}

func TestLabelPastMaxClassesIsRefused(t *testing.T) {
	b, _ := New(Config{Cols: 1, Label: true})
	for i := range MaxClasses + 1 {
		b.Add([]float32{1}, "id"+string(rune('a'+i%26))+strings.Repeat("x", i/26))
	}
	if _, err := b.Finish(); err == nil || !strings.Contains(err.Error(), "more than 1000 distinct") {
		t.Errorf("err %v", err)
	}
}

// TestSketchRankError holds the sketch to SketchRankError: the
// distribution function read from a sketched profile's quantiles is that
// close to the exact one at every quantile of the data, on top of the
// grid step, for smooth, skewed and tied data.
func TestSketchRankError(t *testing.T) {
	for i, c := range accuracyCases {
		if c.n <= ExactCap {
			continue
		}
		a, _ := c.samples(uint64(i + 1))
		p := streamed(t, a, nil)
		if p.Columns[0].Exact {
			t.Fatalf("%s: not sketched", c.name)
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		f := cdf(p.Columns[0].Quantiles)
		worst := 0.0
		for k := 0; k <= 1000; k++ {
			x := float64(sorted[k*(len(sorted)-1)/1000])
			n := float64(len(sorted))
			lo := float64(sort.Search(len(sorted), func(j int) bool { return float64(sorted[j]) >= x })) / n
			hi := float64(sort.Search(len(sorted), func(j int) bool { return float64(sorted[j]) > x })) / n
			worst = max(worst, math.Abs(f.right(x)-hi), math.Abs(f.left(x)-lo))
		}
		t.Logf("%s: worst rank error %.4f", c.name, worst)
		if worst > 1.0/(Points-1)+SketchRankError {
			t.Errorf("%s: rank error %.4f, more than a grid step and SketchRankError", c.name, worst)
		}
	}
}

// TestFromFileMatchesFromDataset: the streaming path and the in-memory
// one give the same profile of a file under ExactCap, hash included, and
// the same file twice gives the same bytes.
func TestFromFileMatchesFromDataset(t *testing.T) {
	path := writeCSV(t, 3000, 5, 7)
	opts := dataset.Options{Label: "y", Drop: []string{"id"}}
	d, err := dataset.Read(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := FromDataset(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromFile(path, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := FromFile(path, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := json.Marshal(want)
	g, _ := json.Marshal(got)
	a, _ := json.Marshal(again)
	if !bytes.Equal(g, a) {
		t.Error("two profiles of one file differ")
	}
	if !bytes.Equal(g, w) {
		t.Errorf("FromFile and FromDataset differ:\n%.400s\n%.400s", g, w)
	}
	if got.SHA256 != d.SHA256 || got.Rows != 3000 {
		t.Errorf("sha %s rows %d", got.SHA256, got.Rows)
	}
	if n := len(g) / len(got.Columns); n > 5000 {
		t.Errorf("%d bytes of JSON a column", n)
	}
}

func writeCSV(t testing.TB, rows, cols int, seed uint64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("id")
	for j := range cols {
		b.WriteString(",f" + string(rune('a'+j)))
	}
	b.WriteString(",y\n")
	for i := range rows {
		b.WriteString(string(rune('0' + i%10)))
		for range cols {
			b.WriteString(",")
			b.WriteString(strconv.FormatFloat(r.NormFloat64(), 'g', 7, 64))
		}
		b.WriteString("," + string(rune('0'+r.IntN(2))) + "\n")
	}
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMemoryIsFlat: a Builder holds as much after a million rows as after
// a quarter million: the columns are sketched, the rows gone.
func TestMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short")
	}
	const cols = 20
	held := func(rows int) uint64 {
		b, _ := New(Config{Cols: cols})
		r := rand.New(rand.NewPCG(1, 2))
		row := make([]float32, cols)
		for range rows {
			for j := range row {
				row[j] = float32(r.NormFloat64())
			}
			b.Add(row, "")
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		runtime.KeepAlive(b)
		return m.HeapAlloc
	}
	small, large := held(250_000), held(1_000_000)
	t.Logf("heap %.1f MB after 250k rows, %.1f MB after 1M", float64(small)/1e6, float64(large)/1e6)
	if float64(large) > 1.2*float64(small) {
		t.Errorf("heap grew from %d to %d bytes with the rows", small, large)
	}
}
