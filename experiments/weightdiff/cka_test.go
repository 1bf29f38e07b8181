package weightdiff_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tracker-ml/tracker/experiments/weightdiff"
	"github.com/tracker-ml/tracker/snapshot"
)

func normals(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 17))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// related is rows×units of a relu of random mixes of x's units plus noise:
// a representation that shares some of x's geometry.
func related(x []float32, rows, ux, units int, seed uint64) []float32 {
	w := normals(seed, ux*units)
	noise := normals(seed+1, rows*units)
	y := make([]float32, rows*units)
	for r := range rows {
		for j := range units {
			s := float32(0)
			for i := range ux {
				s += x[r*ux+i] * w[i*units+j]
			}
			y[r*units+j] = max(s, 0) + noise[r*units+j]
		}
	}
	return y
}

// columns reorders the units of m (rows×cols): unit j becomes unit p[j].
func columns(m []float32, rows, cols int, p []int, scale, shift float32) []float32 {
	out := make([]float32, len(m))
	for r := range rows {
		for j := range cols {
			out[r*cols+j] = scale*m[r*cols+p[j]] + shift
		}
	}
	return out
}

func TestCKAOfARepresentationWithItselfIsOne(t *testing.T) {
	// Shapes that take each form: more rows than units, and fewer.
	for _, c := range []struct{ rows, units int }{{400, 30}, {20, 60}} {
		x := related(normals(1, c.rows*5), c.rows, 5, c.units, 2)
		if got := weightdiff.CKA(x, x, c.rows, c.units, c.units); math.Abs(got-1) > 1e-6 {
			t.Errorf("%d rows of %d units: CKA with itself %v, want 1", c.rows, c.units, got)
		}
	}
}

func TestCKAIgnoresOrderScaleAndShiftOfUnits(t *testing.T) {
	const ux = 6
	for _, c := range []struct{ rows, ua, ub int }{{500, 40, 25}, {30, 80, 50}} {
		x := normals(3, c.rows*ux)
		a := related(x, c.rows, ux, c.ua, 4)
		b := related(x, c.rows, ux, c.ub, 6)
		base := weightdiff.CKA(a, b, c.rows, c.ua, c.ub)
		if !(base > 0.05 && base < 0.95) {
			t.Fatalf("%d rows: related representations have CKA %v; the test needs one between 0 and 1", c.rows, base)
		}
		p := rand.New(rand.NewPCG(5, 5)).Perm(c.ub)
		for name, y := range map[string][]float32{
			"units reordered":     columns(b, c.rows, c.ub, p, 1, 0),
			"scaled by 37.5":      columns(b, c.rows, c.ub, p, 37.5, 0),
			"scaled by 0.003":     columns(b, c.rows, c.ub, p, 0.003, 0),
			"shifted by 100":      columns(b, c.rows, c.ub, p, 1, 100),
			"negated and shifted": columns(b, c.rows, c.ub, p, -2, 5),
		} {
			if got := weightdiff.CKA(a, y, c.rows, c.ua, c.ub); math.Abs(got-base) > 1e-5 {
				t.Errorf("%d rows, %s: CKA %v, want %v as before", c.rows, name, got, base)
			}
		}
		if got := weightdiff.CKA(b, columns(b, c.rows, c.ub, p, 3, 1), c.rows, c.ub, c.ub); math.Abs(got-1) > 1e-5 {
			t.Errorf("%d rows: CKA of a representation with its reordered, scaled copy %v, want 1", c.rows, got)
		}
		if ab, ba := base, weightdiff.CKA(b, a, c.rows, c.ub, c.ua); math.Abs(ab-ba) > 1e-6 {
			t.Errorf("%d rows: CKA(a, b) = %v but CKA(b, a) = %v", c.rows, ab, ba)
		}
	}
}

func TestCKAOfUnrelatedRepresentationsIsSmall(t *testing.T) {
	const rows, units = 4000, 20
	if got := weightdiff.CKA(normals(1, rows*units), normals(2, rows*units), rows, units, units); got > 0.02 {
		t.Errorf("CKA of independent noise %v, want near 0 (about units/rows)", got)
	}
}

func TestCKAOfAConstantRepresentationIsNaN(t *testing.T) {
	const rows = 50
	x := normals(1, rows*4)
	dead := make([]float32, rows*3)
	for i := range dead {
		dead[i] = 0.7
	}
	if got := weightdiff.CKA(x, dead, rows, 4, 3); !math.IsNaN(got) {
		t.Errorf("CKA against a constant representation %v, want NaN", got)
	}
	if got := weightdiff.CKA(x[:4], x[:4], 1, 4, 4); !math.IsNaN(got) {
		t.Errorf("CKA of one row %v, want NaN", got)
	}
}

// rescaled is s with hidden Dense layer h's kernel and bias times c and the
// next kernel's rows times 1/c: relu is positively homogeneous, so the
// network computes the same outputs while layer h's representation is c
// times as large.
func rescaled(tb testing.TB, s *snapshot.Snapshot, h int, c float32) *snapshot.Snapshot {
	tb.Helper()
	layers := slices.Clone(s.Layers())
	scale := func(i, k int, by float32) {
		layers[i].Weights = slices.Clone(layers[i].Weights)
		d := slices.Clone(layers[i].Weights[k].Data)
		for j := range d {
			d[j] *= by
		}
		layers[i].Weights[k].Data = d
	}
	scale(h, 0, c)
	scale(h, 1, c)
	scale(h+1, 0, 1/c)
	r, err := snapshot.New(s.Inputs(), layers, s.Meta())
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestLayerCKAOfCopiesIsOne(t *testing.T) {
	const rows = 300
	widths := []int{8, 40, 30, 20, 2}
	x := normals(7, rows*widths[0])
	plain := net(t, 1, widths, false)
	normed := net(t, 1, widths, true)
	for name, c := range map[string][2]*snapshot.Snapshot{
		"itself":                          {plain, plain},
		"a shuffled copy":                 {plain, permute(t, plain, shuffle(plain, 3))},
		"a shuffled copy, batch-normed":   {normed, permute(t, normed, shuffle(normed, 3))},
		"a copy with layer 2 scaled by 7": {plain, rescaled(t, plain, 1, 7)},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := weightdiff.LayerCKA(c[0], c[1], x, rows)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("%d values, want one per hidden layer (3)", len(got))
			}
			for l, v := range got {
				if math.Abs(v-1) > 1e-5 {
					t.Errorf("hidden layer %d: CKA %v, want 1", l+1, v)
				}
			}
		})
	}
	t.Run("other widths compare", func(t *testing.T) {
		got, err := weightdiff.LayerCKA(plain, net(t, 2, []int{8, 25, 50, 10, 2}, true), x, rows)
		if err != nil {
			t.Fatal(err)
		}
		for l, v := range got {
			if !(v > 0 && v < 1) {
				t.Errorf("hidden layer %d: CKA %v, want strictly between 0 and 1", l+1, v)
			}
		}
	})
}

func TestLayerCKARefusesVersionsThatCannotShareRows(t *testing.T) {
	a := net(t, 1, []int{5, 10, 10, 2}, false)
	x := normals(1, 20*5)
	for name, b := range map[string]*snapshot.Snapshot{
		"other inputs":        net(t, 1, []int{6, 10, 10, 2}, false),
		"fewer hidden layers": net(t, 1, []int{5, 10, 2}, false),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := weightdiff.LayerCKA(a, b, x, 20); !errors.Is(err, weightdiff.ErrArchitecture) {
				t.Errorf("error %v, want ErrArchitecture", err)
			}
		})
	}
	if _, err := weightdiff.LayerCKA(a, a, x, 19); err == nil {
		t.Errorf("no error for 100 values as 19 rows of 5")
	}
}
