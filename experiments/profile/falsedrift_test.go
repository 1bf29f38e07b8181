package profile

import (
	"math"
	"math/rand/v2"
	"testing"
)

// weekly draws a week of 82 features: normal, lognormal, binary and
// count columns, the shapes real extracts hold. shift moves feature 0
// from N(0, 1) to N(1.5, 2).
func weekly(r *rand.Rand, rows int, shift bool, bins [][]float32) *Profile {
	const cols = 82
	b, _ := New(Config{Cols: cols, Label: true, Bins: bins})
	row := make([]float32, cols)
	for range rows {
		for j := range row {
			var v float64
			switch j % 4 {
			case 0:
				v = r.NormFloat64()
			case 1:
				v = math.Exp(r.NormFloat64())
			case 2:
				v = 0
				if r.Float64() < 0.3 {
					v = 1
				}
			case 3:
				v = poisson(2)(r)
			}
			row[j] = float32(v)
		}
		if shift {
			row[0] = float32(1.5 + 2*r.NormFloat64())
		}
		label := "0"
		if r.Float64() < 0.2 {
			label = "1"
		}
		b.Add(row, label)
	}
	p, err := b.Finish()
	if err != nil {
		panic(err)
	}
	return p
}

// TestDriftRuleOnUnchangedAndShiftedData: 50 weeks of 5,000 to 50,000
// rows from one distribution, each compared with the first week's
// profile on its bins, flag at most 0.5 features a week on average, and
// the label not at all in most weeks; a week with feature 0 shifted flags
// it, with at most 2 others.
func TestDriftRuleOnUnchangedAndShiftedData(t *testing.T) {
	weeks := 50
	if testing.Short() {
		weeks = 8
	}
	r := rand.New(rand.NewPCG(2019, 1))
	ref := weekly(r, 20000, false, nil)
	bins := Edges(ref)
	falseFlags, labelFlags, discoveries := 0, 0, 0
	for range weeks {
		cur := weekly(r, 5000+r.IntN(45001), false, bins)
		d, err := Compare(ref, cur)
		if err != nil {
			t.Fatal(err)
		}
		falseFlags += d.Drifted
		for _, f := range d.Features {
			if f.KSDiscovery {
				discoveries++
			}
		}
		if d.Label.Drifted {
			labelFlags++
		}
	}
	if mean := float64(falseFlags) / float64(weeks); mean > 0.5 {
		t.Errorf("%.2f features a week drifted on unchanged data, want at most 0.5", mean)
	}
	if labelFlags > weeks/10 {
		t.Errorf("the label drifted in %d of %d unchanged weeks", labelFlags, weeks)
	}
	t.Logf("%d false flags in %d weeks (%d KS discoveries before the minimum effect); label %d", falseFlags, weeks, discoveries, labelFlags)
	d, err := Compare(ref, weekly(r, 5000, true, bins))
	if err != nil {
		t.Fatal(err)
	}
	f := d.Features[0]
	if !f.Drifted {
		t.Errorf("the shifted feature did not drift: %+v", f)
	}
	if d.Drifted > 3 {
		t.Errorf("%d features drifted with one shifted", d.Drifted)
	}
	t.Logf("shifted: KS %.3f p %.2g PSI %.2f W1/sd %.2f, %d flagged", f.KS, f.KSP, f.PSI, *f.WassersteinSD, d.Drifted)
}
