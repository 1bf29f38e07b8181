package profile

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// The accuracy cases: two samples each, drawn in Go from a fixed seed.
// Their exact two-sample KS statistic and Wasserstein distance on the raw
// rows come from scipy (testdata/exact.py, stored in testdata/exact.json),
// so this test needs no Python. Regenerate after changing a case:
//
//	go test ./experiments/profile -run TestWriteSamples -samples /tmp/s
//	python3 experiments/profile/testdata/exact.py /tmp/s > experiments/profile/testdata/exact.json
type accuracyCase struct {
	name string
	n, m int
	a, b func(r *rand.Rand) float64
}

func normal(mu, sd float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return mu + sd*r.NormFloat64() }
}

func lognormal(mu, sd float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return math.Exp(mu + sd*r.NormFloat64()) }
}

func bernoulli(p float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 {
		if r.Float64() < p {
			return 1
		}
		return 0
	}
}

func poisson(lambda float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 {
		l, k, p := math.Exp(-lambda), 0, 1.0
		for {
			p *= r.Float64()
			if p <= l {
				return float64(k)
			}
			k++
		}
	}
}

// rounded draws a normal rounded to one decimal: heavy ties on a wide grid.
func rounded(mu, sd float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return math.Round((mu+sd*r.NormFloat64())*10) / 10 }
}

var accuracyCases = []accuracyCase{
	{"normal 1k, shifted 0.3", 1000, 1000, normal(0, 1), normal(0.3, 1)},
	{"normal 5k against 20k, wider", 5000, 20000, normal(0, 1), normal(0.1, 1.3)},
	{"normal 50k, shifted 0.1", 50000, 50000, normal(0, 1), normal(0.1, 1)},
	{"normal 1M, shifted 0.05", 1000000, 1000000, normal(0, 1), normal(0.05, 1)},
	{"normal 1M offset 1000, shifted 0.2 and narrower", 1000000, 1000000, normal(1000, 1), normal(1000.2, 0.8)},
	{"lognormal 10k, shifted 0.2", 10000, 10000, lognormal(0, 1), lognormal(0.2, 1)},
	{"lognormal 200k, shifted 0.1", 200000, 200000, lognormal(0, 1), lognormal(0.1, 1)},
	{"lognormal 1M, wider", 1000000, 1000000, lognormal(0, 1), lognormal(0, 1.2)},
	{"binary 10k, 0.3 to 0.35", 10000, 10000, bernoulli(0.3), bernoulli(0.35)},
	{"binary 1M, 0.3 to 0.32", 1000000, 1000000, bernoulli(0.3), bernoulli(0.32)},
	{"poisson 100k, 3 to 3.3", 100000, 100000, poisson(3), poisson(3.3)},
	{"poisson 1M, 1 to 1.1", 1000000, 1000000, poisson(1), poisson(1.1)},
	{"normal rounded to 0.1, 500k", 500000, 500000, rounded(0, 1), rounded(0.1, 1)},
}

// samples draws a case's two samples as float32, as a CSV holds them.
func (c accuracyCase) samples(seed uint64) (a, b []float32) {
	r := rand.New(rand.NewPCG(seed, 13))
	a = make([]float32, c.n)
	for i := range a {
		a[i] = float32(c.a(r))
	}
	b = make([]float32, c.m)
	for i := range b {
		b[i] = float32(c.b(r))
	}
	return a, b
}

// streamed profiles one column through the Builder, as a file would be.
func streamed(t testing.TB, x []float32, bins [][]float32) *Profile {
	t.Helper()
	b, err := New(Config{Names: []string{"x"}, Bins: bins})
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, 1)
	for _, v := range x {
		row[0] = v
		b.Add(row, "")
	}
	p, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var samplesDir = flag.String("samples", "", "TestWriteSamples writes the accuracy cases' samples here")

func TestWriteSamples(t *testing.T) {
	if *samplesDir == "" {
		t.Skip("skipped: give -samples DIR to write the accuracy samples for testdata/exact.py")
	}
	var names []string
	for i, c := range accuracyCases {
		a, b := c.samples(uint64(i + 1))
		for k, x := range [][]float32{a, b} {
			f, err := os.Create(filepath.Join(*samplesDir, caseFile(i, k)))
			if err != nil {
				t.Fatal(err)
			}
			if err := binary.Write(f, binary.LittleEndian, x); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
		names = append(names, c.name)
	}
	j, _ := json.Marshal(names)
	if err := os.WriteFile(filepath.Join(*samplesDir, "cases.json"), j, 0o644); err != nil {
		t.Fatal(err)
	}
}

// caseFile names case i's sample k (0: a, 1: b) as exact.py reads it.
func caseFile(i, k int) string { return fmt.Sprintf("%c-%02d.f32", 'a'+k, i) }

type exact struct {
	Name        string  `json:"name"`
	KS          float64 `json:"ks"`
	Wasserstein float64 `json:"wasserstein"`
}

// TestAccuracyAgainstScipy: KS from two profiles is within 0.02 of the
// exact two-sample statistic on the rows, and the Wasserstein distance
// within 5%, on every case, including columns past ExactCap.
func TestAccuracyAgainstScipy(t *testing.T) {
	raw, err := os.ReadFile("testdata/exact.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []exact
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(accuracyCases) {
		t.Fatalf("testdata/exact.json has %d cases, the test %d: regenerate it", len(want), len(accuracyCases))
	}
	for i, c := range accuracyCases {
		t.Run(c.name, func(t *testing.T) {
			if want[i].Name != c.name {
				t.Fatalf("testdata/exact.json's case %d is %q: regenerate it", i, want[i].Name)
			}
			if testing.Short() && c.n+c.m > 500000 {
				t.Skip("skipped in -short")
			}
			a, b := c.samples(uint64(i + 1))
			ref := streamed(t, a, nil)
			cur := streamed(t, b, Edges(ref))
			d, err := Compare(ref, cur)
			if err != nil {
				t.Fatal(err)
			}
			f := d.Features[0]
			ksErr := math.Abs(f.KS - want[i].KS)
			wErr := math.Abs(f.Wasserstein-want[i].Wasserstein) / want[i].Wasserstein
			t.Logf("exact %v/%v; KS %.4f vs %.4f (%.4f), W1 %.4f vs %.4f (%.2f%%)", ref.Columns[0].Exact, cur.Columns[0].Exact, f.KS, want[i].KS, ksErr, f.Wasserstein, want[i].Wasserstein, 100*wErr)
			if ksErr > 0.02 || ksErr > f.KSResolution {
				t.Errorf("KS %.4f, exact %.4f: off by %.4f, more than 0.02 or the resolution %.4f", f.KS, want[i].KS, ksErr, f.KSResolution)
			}
			if wErr > 0.05 {
				t.Errorf("Wasserstein %.5f, exact %.5f: off by %.1f%%", f.Wasserstein, want[i].Wasserstein, 100*wErr)
			}
		})
	}
}
