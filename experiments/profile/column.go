package profile

import (
	"math"
	"slices"
	"sort"
)

// ExactCap is how many values of a column a streaming profile holds to
// sort for exact quantiles: 65,536, more than a weekly extract's 50,000
// rows, at 4 bytes each (21 MB for 82 columns). Past it the column's
// values go into the sketch and the sort buffer is dropped, so memory
// stays flat however long the file. FromDataset, whose rows are in memory
// already, is always exact.
const ExactCap = 1 << 16

// batchSize values are gathered per column before they are summed, sorted
// and counted together: Add itself only appends, and a sorted batch is
// what the sketch merges and the histogram counts by binary search.
const batchSize = 4096

// column accumulates one feature.
type column struct {
	buf      []float32 // values not yet flushed
	n        int
	missing  int
	mean, m2 float64 // Chan et al.'s pairwise update, batch by batch
	lo, hi   float32
	exact    []float32 // every value while the column fits ExactCap
	dig      *digest   // past ExactCap
	exactCap int       // < 0: no cap
	edges    []float64 // given bins; nil: the profile's own
	counts   []int
}

// flush sums, sorts and counts the batch; scratch is sortFloats's.
func (c *column) flush(scratch []uint32) {
	b := c.buf
	if len(b) == 0 {
		return
	}
	// The batch's own mean and sum of squares in two passes, then the
	// pairwise combination: no cancellation whatever the column's offset.
	s := 0.0
	for _, v := range b {
		s += float64(v)
	}
	bm := s / float64(len(b))
	q := 0.0
	for _, v := range b {
		d := float64(v) - bm
		q += d * d
	}
	na, nb := float64(c.n), float64(len(b))
	delta := bm - c.mean
	c.mean += delta * nb / (na + nb)
	c.m2 += q + delta*delta*na*nb/(na+nb)
	sortFloats(b, scratch)
	if c.n == 0 {
		c.lo, c.hi = b[0], b[len(b)-1]
	} else {
		c.lo, c.hi = min(c.lo, b[0]), max(c.hi, b[len(b)-1])
	}
	c.n += len(b)
	if c.edges != nil {
		countSorted(c.counts, b, c.edges)
	}
	switch {
	case c.dig == nil && (c.exactCap < 0 || len(c.exact)+len(b) <= c.exactCap):
		c.exact = append(c.exact, b...)
	default:
		if c.dig == nil {
			c.dig = &digest{}
			slices.Sort(c.exact)
			c.dig.merge(c.exact)
			c.exact = nil
		}
		c.dig.merge(b)
	}
	c.buf = c.buf[:0]
}

// countSorted adds to counts how many of the sorted values fall in each
// bin of edges: (−∞, e₀), [e₀, e₁), …, [eₖ, ∞).
func countSorted(counts []int, sorted []float32, edges []float64) {
	prev := 0
	for i, e := range edges {
		p := sort.Search(len(sorted), func(k int) bool { return float64(sorted[k]) >= e })
		counts[i] += p - prev
		prev = p
	}
	counts[len(edges)] += len(sorted) - prev
}

// finish summarises the column.
func (c *column) finish(name string, scratch []uint32) Column {
	c.flush(scratch)
	col := Column{Name: name, Count: c.n, Missing: c.missing}
	if c.n == 0 {
		col.Histogram = Histogram{Edges: toFloat32(c.edges), Counts: make([]int, len(c.edges)+1)}
		return col
	}
	col.Mean = c.mean
	if c.n > 1 {
		col.SD = math.Sqrt(c.m2 / float64(c.n-1))
	}
	col.Min, col.Max = float64(c.lo), float64(c.hi)
	var rankBelow func(e float64) float64
	if c.dig == nil {
		slices.Sort(c.exact)
		col.Exact = true
		col.Quantiles, col.CellMeans = exactSummary(c.exact)
		x := c.exact
		rankBelow = func(e float64) float64 {
			return float64(sort.Search(len(x), func(k int) bool { return float64(x[k]) >= e }))
		}
	} else {
		ranks, values := c.dig.knots(float64(c.lo), float64(c.hi))
		col.Quantiles, col.CellMeans = sketchSummary(ranks, values)
		rankBelow = func(e float64) float64 { return rankOf(ranks, values, e) }
	}
	if c.edges != nil {
		col.Histogram = Histogram{Edges: toFloat32(c.edges), Counts: c.counts}
		return col
	}
	// A first profile: bins on its own deciles, counted exactly from the
	// sorted values, or estimated from the sketch's rank function.
	edges := edgesFrom(col.Quantiles)
	counts := make([]int, len(edges)+1)
	prev := 0
	for i, e := range edges {
		r := int(math.Round(min(max(rankBelow(float64(e)), float64(prev)), float64(c.n))))
		counts[i] = r - prev
		prev = r
	}
	counts[len(edges)] = c.n - prev
	col.Histogram = Histogram{Edges: edges, Counts: counts, Estimated: c.dig != nil}
	return col
}

// exactSummary gives the quantiles and cell means of sorted values. The
// quantile at p is the inverse of the empirical distribution function,
// the value at rank ⌈p·n⌉ (p = 0: the minimum), so every quantile is a
// value of the data; cell j's mean is the mean of the values ranked in
// (p_j·n, p_{j+1}·n], counting a value split by a cell edge in part.
func exactSummary(x []float32) (q, cellMeans []float32) {
	n := len(x)
	q = make([]float32, Points)
	for j := range Points {
		k := (j*n+Points-2)/(Points-1) - 1
		q[j] = x[max(k, 0)]
	}
	cellMeans = make([]float32, Points-1)
	for j := range Points - 1 {
		a := float64(j) * float64(n) / (Points - 1)
		b := float64(j+1) * float64(n) / (Points - 1)
		s := 0.0
		for i := int(a); i < n && float64(i) < b; i++ {
			s += float64(x[i]) * (min(b, float64(i+1)) - max(a, float64(i)))
		}
		cellMeans[j] = float32(s / (b - a))
	}
	return q, cellMeans
}

// sketchSummary gives the quantiles and cell means of the piecewise-linear
// quantile function through the knots (rank, value).
func sketchSummary(ranks, values []float64) (q, cellMeans []float32) {
	n := ranks[len(ranks)-1]
	// area[k] is the integral of the quantile function from rank 0 to ranks[k].
	area := make([]float64, len(ranks))
	for k := 1; k < len(ranks); k++ {
		area[k] = area[k-1] + (ranks[k]-ranks[k-1])*(values[k]+values[k-1])/2
	}
	at := func(r float64) (value, areaTo float64) {
		k := sort.SearchFloat64s(ranks, r) // ranks[k-1] < r <= ranks[k]
		if k == 0 {
			return values[0], 0
		}
		if k == len(ranks) {
			return values[k-1], area[k-1]
		}
		f := (r - ranks[k-1]) / (ranks[k] - ranks[k-1])
		v := values[k-1] + f*(values[k]-values[k-1])
		return v, area[k-1] + (r-ranks[k-1])*(values[k-1]+v)/2
	}
	q = make([]float32, Points)
	cellMeans = make([]float32, Points-1)
	prevArea := 0.0
	for j := range Points {
		r := float64(j) * n / (Points - 1)
		v, a := at(r)
		q[j] = float32(v)
		if j > 0 {
			cellMeans[j-1] = float32((a - prevArea) / (n / (Points - 1)))
		}
		prevArea = a
	}
	return q, cellMeans
}

// rankOf is how many values the knots put below e.
func rankOf(ranks, values []float64, e float64) float64 {
	k := sort.SearchFloat64s(values, e) // values[k-1] < e <= values[k]
	switch {
	case k == 0:
		return 0
	case k == len(values):
		return ranks[k-1]
	}
	return ranks[k-1] + (ranks[k]-ranks[k-1])*(e-values[k-1])/(values[k]-values[k-1])
}

func toFloat32(x []float64) []float32 {
	if x == nil {
		return nil
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}
