package weightdiff

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/snapshot"
)

// maxSweeps bounds the passes of weight matching over the hidden layers.
// Each pass after the first can only raise the matched weights' agreement;
// two unrelated versions of the reference network settle in 4 passes and
// a shuffled copy in 2, so the bound only stops two assignments of
// exactly equal cost from taking turns.
const maxSweeps = 10

// align matches B's hidden units to A's, layer by layer from the input
// side, and returns per Dense layer the permutation (nil for the output
// layer, whose order is the classes') and the number of passes made.
//
// perm[d][i] is B's unit matched with A's unit i of hidden layer d. The
// cost of matching A's unit i with B's unit j is minus the inner product
// of their weights: the incoming kernel column (its rows in A's order of
// the layer before, through the permutation found for it) with the bias,
// and the outgoing kernel row (its columns in A's order of the layer
// after). Minimising it over permutations minimises the squared distance
// ||A − P(B)||², since the units' own norms add to the same sum for every
// permutation; so the alignment is the one that makes the reported
// aligned change small, not a proxy of it (Ainsworth et al. 2023, "Git
// Re-Basin", weight matching).
//
// The first pass knows no order for the layer after a hidden one and
// matches on incoming weights alone there (the output layer's order is
// known, so the last hidden layer uses both). Later passes use both sides
// with the neighbours' latest permutations, each assignment the best for
// its layer given the others, until a pass changes nothing.
func align(a, b []dense) ([][]int, int) {
	last := len(a) - 1
	perms := make([][]int, len(a))
	for sweep := 1; ; sweep++ {
		changed := false
		for d := range last {
			var prev []int
			if d > 0 {
				prev = perms[d-1]
			}
			useNext := d+1 == last || perms[d+1] != nil
			s := similarity(a[d], b[d], a[d+1], b[d+1], prev, perms[d+1], useNext)
			for k := range s {
				s[k] = -s[k]
			}
			p := assign(s, a[d].out)
			if !slices.Equal(p, perms[d]) {
				changed = true
			}
			perms[d] = p
		}
		if !changed || sweep == maxSweeps {
			return perms, sweep
		}
	}
}

// at is p[i], or i for a nil p (the identity).
func at(p []int, i int) int {
	if p == nil {
		return i
	}
	return p[i]
}

// similarity is the out×out matrix of inner products between A's unit i
// and B's unit j of layer (a, b): incoming weights with B's rows taken in
// the order prev gives, the bias, and, when useNext, the outgoing weights
// of the following layer (an, bn) with B's columns in the order next gives.
// The products run in float32 through blas32 (OpenBLAS in a normal
// build): a 500-unit layer is two 500×500×500 products per pass, and the
// rounding of a float32 sum moves an inner product by about a millionth,
// less than any match that matters is won by.
func similarity(a, b, an, bn dense, prev, next []int, useNext bool) []float64 {
	out := a.out
	bk := b.kernel
	if prev != nil {
		bk = make([]float32, len(b.kernel))
		for r := range b.in {
			copy(bk[r*out:(r+1)*out], b.kernel[prev[r]*out:(prev[r]+1)*out])
		}
	}
	s32 := make([]float32, out*out)
	blas32.Gemm(blas.Trans, blas.NoTrans, 1,
		blas32.General{Rows: a.in, Cols: out, Stride: out, Data: a.kernel},
		blas32.General{Rows: b.in, Cols: out, Stride: out, Data: bk},
		0, blas32.General{Rows: out, Cols: out, Stride: out, Data: s32})
	if useNext {
		w := an.out
		bo := bn.kernel
		if next != nil {
			bo = make([]float32, len(bn.kernel))
			for j := range bn.in {
				src, dst := bn.kernel[j*w:(j+1)*w], bo[j*w:(j+1)*w]
				for c := range w {
					dst[c] = src[next[c]]
				}
			}
		}
		blas32.Gemm(blas.NoTrans, blas.Trans, 1,
			blas32.General{Rows: out, Cols: w, Stride: w, Data: an.kernel},
			blas32.General{Rows: out, Cols: w, Stride: w, Data: bo},
			1, blas32.General{Rows: out, Cols: out, Stride: out, Data: s32})
	}
	s := make([]float64, out*out)
	for i := range out {
		for j := range out {
			v := float64(s32[i*out+j])
			if a.bias != nil {
				v += float64(a.bias[i]) * float64(b.bias[j])
			}
			s[i*out+j] = v
		}
	}
	return s
}

// Permute returns s with the hidden units of each Dense layer reordered:
// perms[d] is for the d-th Dense layer, and its unit i becomes s's unit
// perms[d][i]. The kernel's columns, the bias, the vectors of the
// BatchNormalization layers on the layer's units and the next Dense
// layer's kernel rows move together, so the result computes what s
// computes, to float rounding. A nil entry keeps a layer's order; the
// last Dense layer's must be nil, since its units are the outputs.
//
// Permute(b, perms) with the permutations of Compare(a, b) is B aligned
// to A. The tensors are copied: s is not changed.
func Permute(s *snapshot.Snapshot, perms [][]int) (*snapshot.Snapshot, error) {
	chain := denseChain(s)
	if len(perms) != len(chain) {
		return nil, fact.Errorf(ErrPermutation, "%d permutations for %d Dense layers", len(perms), len(chain))
	}
	if perms[len(perms)-1] != nil {
		return nil, fact.Errorf(ErrPermutation, "layer %s is the output layer: its units are the outputs and keep their order", quote.Short(chain[len(chain)-1].name))
	}
	for d, p := range perms {
		if p == nil {
			continue
		}
		if err := checkPermutation(p, chain[d].out); err != nil {
			return nil, fact.Errorf(ErrPermutation, "layer %s: %v", quote.Short(chain[d].name), err)
		}
	}
	layers := slices.Clone(s.Layers())
	for i := range layers {
		layers[i].Weights = slices.Clone(layers[i].Weights)
		for k := range layers[i].Weights {
			layers[i].Weights[k].Shape = slices.Clone(layers[i].Weights[k].Shape)
			layers[i].Weights[k].Data = slices.Clone(layers[i].Weights[k].Data)
		}
	}
	for d, c := range chain {
		var prev []int
		if d > 0 {
			prev = perms[d-1]
		}
		cur := perms[d]
		if prev == nil && cur == nil {
			continue
		}
		l := &layers[c.index]
		k := l.Weights[0].Data
		for r := range c.in {
			for i := range c.out {
				k[r*c.out+i] = c.kernel[at(prev, r)*c.out+at(cur, i)]
			}
		}
		if cur == nil {
			continue
		}
		if c.bias != nil {
			permuteVector(l.Weights[1].Data, c.bias, cur)
		}
		for _, n := range c.norms {
			for k, t := range s.Layers()[n].Weights {
				permuteVector(layers[n].Weights[k].Data, t.Data, cur)
			}
		}
	}
	return snapshot.New(s.Inputs(), layers, s.Meta())
}

// permuteVector sets dst[i] = src[p[i]].
func permuteVector(dst, src []float32, p []int) {
	for i, j := range p {
		dst[i] = src[j]
	}
}

// checkPermutation says what keeps p from being a permutation of 0..n-1.
func checkPermutation(p []int, n int) error {
	if len(p) != n {
		return fmt.Errorf("permutation of %d units for a layer of %d", len(p), n)
	}
	seen := make([]bool, n)
	for i, j := range p {
		if j < 0 || j >= n {
			return fmt.Errorf("entry %d is %d, outside 0 to %d", i, j, n-1)
		}
		if seen[j] {
			return fmt.Errorf("unit %d appears twice", j)
		}
		seen[j] = true
	}
	return nil
}
