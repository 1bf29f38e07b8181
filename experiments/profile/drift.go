package profile

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// The drift rule's constants; docs/METHODS.md ("Data profiles and drift")
// says why each is what it is.
const (
	// PSIFloor is the share an empty bin counts as in PSI, so a bin empty
	// in one week gives a finite term: a bin that goes from empty to 1% of
	// the rows adds 0.046, a bin must hold about 4% of the rows from
	// nothing for PSI alone to pass PSIDrift.
	PSIFloor = 1e-4
	// PSIDrift is the PSI above which a shift is material: the usual
	// "significant shift" line (Siddiqi 2006); 0.1 to 0.2 is "moderate".
	PSIDrift = 0.2
	// MinKS is the smallest KS statistic that is material: a tenth of the
	// rows moved across some value, about a quarter of a standard
	// deviation's shift of a normal feature.
	MinKS = 0.1
	// FDR is the Benjamini–Hochberg rate at which the features' KS tests
	// are judged together, as the importance verdicts are.
	FDR = 0.05
	// SketchRankError bounds how far a sketched column's distribution
	// function, read back from its quantiles, is from the exact one, on top
	// of the grid step: TestSketchRankError holds the sketch to it.
	SketchRankError = 0.003
	// LabelAlpha and LabelMinChange: the base rate drifted when the
	// two-proportion z-test's p-value is under LabelAlpha and the rate
	// moved by at least LabelMinChange (two points).
	LabelAlpha     = 0.05
	LabelMinChange = 0.02
)

// ErrColumns: two profiles' columns cannot be matched.
var ErrColumns = errors.New("columns do not match")

// Drift compares a current profile with a reference one.
type Drift struct {
	Features []FeatureDrift `json:"features"`
	Drifted  int            `json:"drifted"` // features that drifted
	Label    *LabelDrift    `json:"label,omitempty"`
}

// FeatureDrift is one feature's change from the reference to the current
// profile. Fields that need a reference spread are absent when the
// reference column is constant.
type FeatureDrift struct {
	Name      string `json:"name,omitempty"`
	Reference int    `json:"reference_index"` // column in the reference, -1 if absent
	Current   int    `json:"current_index"`   // column in the current, -1 if absent
	// Judged is false when a profile lacks the column or it has no values
	// in one; Reason then says which.
	Judged bool   `json:"judged"`
	Reason string `json:"reason,omitempty"`

	PSI float64 `json:"psi"` // on the reference's bins
	// PSIFromQuantiles: the current profile was binned on other edges, so
	// its counts in the reference's bins are read from its quantiles.
	PSIFromQuantiles bool `json:"psi_from_quantiles,omitempty"`

	KS float64 `json:"ks"` // sup |F_ref − F_cur| from the two quantile functions
	// KSResolution is how far KS may be from the exact statistic on the
	// rows: a grid step per profile, plus SketchRankError per sketched
	// one. The p-value tests KS − KSResolution, so that error never makes
	// a discovery.
	KSResolution float64 `json:"ks_resolution"`
	KSEffectiveN float64 `json:"ks_effective_n"` // n·m/(n+m)
	// KSP is the asymptotic Kolmogorov p-value of
	// √KSEffectiveN · max(0, KS − KSResolution); KSDiscovery says it
	// survives Benjamini–Hochberg at FDR across the judged features.
	KSP         float64 `json:"ks_p"`
	KSDiscovery bool    `json:"ks_discovery"`

	Wasserstein   float64  `json:"wasserstein"`              // W₁ in the feature's units
	WassersteinSD *float64 `json:"wasserstein_sd,omitempty"` // W₁ / reference sd

	MeanChange   float64  `json:"mean_change"`              // current − reference
	MeanChangeSD *float64 `json:"mean_change_sd,omitempty"` // in reference sds
	SDRatio      *float64 `json:"sd_ratio,omitempty"`       // current sd / reference sd

	MissingRateChange float64 `json:"missing_rate_change"` // current − reference share of rows

	// Drifted: KSDiscovery, and material: KS ≥ MinKS or PSI > PSIDrift.
	Drifted bool `json:"drifted"`
}

// LabelDrift is the change of the base rate, for a label of the same two
// classes in both profiles; otherwise Judged is false and Reason says why.
type LabelDrift struct {
	Judged    bool    `json:"judged"`
	Reason    string  `json:"reason,omitempty"`
	Reference float64 `json:"reference_base_rate"`
	Current   float64 `json:"current_base_rate"`
	Change    float64 `json:"change"`
	Z         float64 `json:"z"` // two-proportion z, pooled
	P         float64 `json:"p"` // two-sided
	Drifted   bool    `json:"drifted"`
}

// Compare measures each feature's drift from ref to cur. Columns are
// matched by name when both profiles have names (a column in only one is
// listed, not judged), by position otherwise, which needs as many.
func Compare(ref, cur *Profile) (*Drift, error) {
	for _, p := range []*Profile{ref, cur} {
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	pairs, err := match(ref, cur)
	if err != nil {
		return nil, err
	}
	d := &Drift{Features: make([]FeatureDrift, len(pairs))}
	var ps []float64
	var judged []int
	for i, pr := range pairs {
		f := &d.Features[i]
		f.Reference, f.Current = pr[0], pr[1]
		switch {
		case pr[0] < 0:
			f.Name, f.Reason = cur.Columns[pr[1]].Name, "not in the reference profile"
			continue
		case pr[1] < 0:
			f.Name, f.Reason = ref.Columns[pr[0]].Name, "not in the current profile"
			continue
		}
		a, b := &ref.Columns[pr[0]], &cur.Columns[pr[1]]
		f.Name = a.Name
		f.MissingRateChange = share(b.Missing, cur.Rows) - share(a.Missing, ref.Rows)
		if a.Count == 0 || b.Count == 0 {
			f.Reason = fmt.Sprintf("no values: %d in the reference, %d now", a.Count, b.Count)
			continue
		}
		f.Judged = true
		compareColumn(f, a, b)
		ps = append(ps, f.KSP)
		judged = append(judged, i)
	}
	for k, ok := range benjaminiHochberg(ps, FDR) {
		f := &d.Features[judged[k]]
		f.KSDiscovery = ok
		f.Drifted = ok && (f.KS-f.KSResolution >= MinKS || f.PSI > PSIDrift) // material beyond the profiles' resolution too
		if f.Drifted {
			d.Drifted++
		}
	}
	if ref.Label != nil && cur.Label != nil {
		d.Label = compareLabel(ref.Label, cur.Label)
	}
	return d, nil
}

func share(k, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

func ptr(x float64) *float64 { return &x }

func compareColumn(f *FeatureDrift, a, b *Column) {
	f.PSI, f.PSIFromQuantiles = psi(a, b)
	f.KS = ksStatistic(cdf(a.Quantiles), cdf(b.Quantiles))
	f.KSResolution = resolution(a) + resolution(b)
	n, m := float64(a.Count), float64(b.Count)
	f.KSEffectiveN = n * m / (n + m)
	f.KSP = kolmogorovP(math.Sqrt(f.KSEffectiveN) * max(0, f.KS-f.KSResolution))
	f.Wasserstein = wasserstein(a.CellMeans, b.CellMeans)
	f.MeanChange = b.Mean - a.Mean
	if a.SD > 0 {
		f.WassersteinSD = ptr(f.Wasserstein / a.SD)
		f.MeanChangeSD = ptr(f.MeanChange / a.SD)
		f.SDRatio = ptr(b.SD / a.SD)
	}
}

// resolution is how far a column's distribution function read from its
// quantiles may be from the exact one: a grid step where the data has
// ties, plus the sketch's rank error past ExactCap.
func resolution(c *Column) float64 {
	r := 1.0 / (Points - 1)
	if !c.Exact {
		r += SketchRankError
	}
	return r
}

// psi is Σ (c − r)·ln(c/r) over the reference's bins, the shares floored
// at PSIFloor. The current counts are its own when it was binned on the
// reference's edges, else read from its quantiles.
func psi(a, b *Column) (float64, bool) {
	ra := a.Histogram.Counts
	rb := b.Histogram.Counts
	fromQ := !slices.Equal(a.Histogram.Edges, b.Histogram.Edges)
	if fromQ {
		rb = make([]int, len(ra))
		q := cdf(b.Quantiles)
		prev := 0.0
		for i, e := range a.Histogram.Edges {
			f := q.left(float64(e))
			rb[i] = int(math.Round((f - prev) * float64(b.Count)))
			prev = f
		}
		rb[len(ra)-1] = int(math.Round((1 - prev) * float64(b.Count)))
	}
	na, nb := 0, 0
	for i := range ra {
		na += ra[i]
		nb += rb[i]
	}
	s := 0.0
	for i := range ra {
		pa := max(share(ra[i], na), PSIFloor)
		pb := max(share(rb[i], nb), PSIFloor)
		s += (pb - pa) * math.Log(pb/pa)
	}
	return s, fromQ
}

func compareLabel(a, b *Label) *LabelDrift {
	d := &LabelDrift{}
	switch {
	case len(a.Classes) != 2 || !slices.Equal(a.Classes, b.Classes):
		d.Reason = fmt.Sprintf("a base rate needs the same two classes in both: %q then %q", a.Classes, b.Classes)
		return d
	case a.BaseRate == nil || b.BaseRate == nil:
		d.Reason = "no labelled rows in one of the profiles"
		return d
	}
	d.Judged = true
	n1, n2 := float64(a.Counts[0]+a.Counts[1]), float64(b.Counts[0]+b.Counts[1])
	d.Reference, d.Current = *a.BaseRate, *b.BaseRate
	d.Change = d.Current - d.Reference
	pooled := (float64(a.Counts[1]) + float64(b.Counts[1])) / (n1 + n2)
	d.P = 1
	if se := math.Sqrt(pooled * (1 - pooled) * (1/n1 + 1/n2)); se > 0 {
		d.Z = d.Change / se
		d.P = normalP(d.Z)
	}
	d.Drifted = d.P < LabelAlpha && math.Abs(d.Change) >= LabelMinChange
	return d
}

// match pairs the columns of two profiles: [reference, current] indexes,
// -1 where one lacks the column.
func match(ref, cur *Profile) ([][2]int, error) {
	named := len(ref.Columns) > 0 && len(cur.Columns) > 0
	for _, p := range []*Profile{ref, cur} {
		for _, c := range p.Columns {
			named = named && c.Name != ""
		}
	}
	if !named {
		if len(ref.Columns) != len(cur.Columns) {
			return nil, fmt.Errorf("%w: the reference has %d columns and the current profile %d, and without names in both they are matched by position: profile both files with a header", ErrColumns, len(ref.Columns), len(cur.Columns))
		}
		out := make([][2]int, len(ref.Columns))
		for i := range out {
			out[i] = [2]int{i, i}
		}
		return out, nil
	}
	at := map[string]int{}
	for j, c := range cur.Columns {
		if _, dup := at[c.Name]; dup {
			return nil, fmt.Errorf("%w: the current profile names two columns %q", ErrColumns, c.Name)
		}
		at[c.Name] = j
	}
	var out [][2]int
	seen := map[string]bool{}
	for i, c := range ref.Columns {
		if seen[c.Name] {
			return nil, fmt.Errorf("%w: the reference profile names two columns %q", ErrColumns, c.Name)
		}
		seen[c.Name] = true
		j, ok := at[c.Name]
		if !ok {
			j = -1
		}
		out = append(out, [2]int{i, j})
	}
	for j, c := range cur.Columns {
		if !seen[c.Name] {
			out = append(out, [2]int{-1, j})
		}
	}
	return out, nil
}
