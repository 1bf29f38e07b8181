package weightdiff

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/snapshot"
)

// CKA is linear centred kernel alignment (Kornblith et al. 2019, "Similarity
// of neural network representations revisited") between two
// representations of the same rows: x is rows×ua values, y rows×ub, both
// row-major. With Xc, Yc the column-centred matrices,
//
//	CKA = ||Ycᵀ Xc||²_F / (||Xcᵀ Xc||_F ||Ycᵀ Yc||_F),
//
// from 0 to 1 (to rounding). It is 1 for a representation against itself,
// and unchanged by reordering either side's units, by an orthogonal
// transform or an isotropic scaling of either, and by shifting a unit by a
// constant: what it sees is the geometry of the rows, which is what a
// retrain that learned the same thing keeps. The widths may differ.
//
// It runs in whichever form costs fewer products: the units×units cross
// products (rows·(ua² + ub²)/2 + rows·ua·ub multiply-adds) when there are
// more rows than units, as for 4,000 rows of 500 units, or the rows×rows
// Gram matrices (rows²·(ua + ub)/2), equal by ||Ycᵀ Xc||²_F = ⟨Xc Xcᵀ,
// Yc Ycᵀ⟩, when there are fewer. The products run in float32 through
// blas32 on float64-centred values and the norms are summed in float64,
// which keeps about five digits.
//
// CKA is NaN when either side is constant over the rows (all its units
// dead, or fewer than two rows): it has no geometry to compare. Lengths
// that do not match rows, ua and ub are a programmer error and panic.
func CKA(x, y []float32, rows, ua, ub int) float64 {
	if len(x) != rows*ua || len(y) != rows*ub || ua <= 0 || ub <= 0 {
		panic(fmt.Sprintf("weightdiff: CKA of %d and %d values as %d rows of %d and %d units", len(x), len(y), rows, ua, ub))
	}
	xc, yc := centre(x, rows, ua), centre(y, rows, ub)
	r := float64(rows)
	if r*(float64(ua*ua+ub*ub)/2+float64(ua*ub)) <= r*r*float64(ua+ub)/2 {
		return ckaFeatures(xc, yc, rows, ua, ub)
	}
	return ckaGram(xc, yc, rows, ua, ub)
}

// ckaFeatures is CKA from the units×units cross products.
func ckaFeatures(xc, yc []float32, rows, ua, ub int) float64 {
	xy := make([]float32, ua*ub)
	blas32.Gemm(blas.Trans, blas.NoTrans, 1,
		blas32.General{Rows: rows, Cols: ua, Stride: ua, Data: xc},
		blas32.General{Rows: rows, Cols: ub, Stride: ub, Data: yc},
		0, blas32.General{Rows: ua, Cols: ub, Stride: ub, Data: xy})
	num := sumSquares(xy)
	den := math.Sqrt(gramSquares(xc, rows, ua, blas.Trans)) * math.Sqrt(gramSquares(yc, rows, ub, blas.Trans))
	return ratio(num, den)
}

// ckaGram is CKA from the rows×rows Gram matrices.
func ckaGram(xc, yc []float32, rows, ua, ub int) float64 {
	kx, ky := gram(xc, rows, ua, blas.NoTrans), gram(yc, rows, ub, blas.NoTrans)
	var num, nx, ny float64
	for i := range rows {
		for j := i; j < rows; j++ {
			a, b := float64(kx[i*rows+j]), float64(ky[i*rows+j])
			w := 2.0
			if i == j {
				w = 1
			}
			num += w * a * b
			nx += w * a * a
			ny += w * b * b
		}
	}
	return ratio(num, math.Sqrt(nx)*math.Sqrt(ny))
}

// centre returns m (rows×cols) minus each column's mean, the mean taken in
// float64 so that large activations keep their small differences.
func centre(m []float32, rows, cols int) []float32 {
	mean := make([]float64, cols)
	for r := range rows {
		for j, v := range m[r*cols : (r+1)*cols] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(max(rows, 1))
	}
	c := make([]float32, len(m))
	for r := range rows {
		src, dst := m[r*cols:(r+1)*cols], c[r*cols:(r+1)*cols]
		for j, v := range src {
			dst[j] = float32(float64(v) - mean[j])
		}
	}
	return c
}

// gram is the upper triangle of mᵀm (t = Trans, cols×cols) or of mmᵀ
// (t = NoTrans, rows×rows), m being rows×cols. Syrk does half the work of
// a general product.
func gram(m []float32, rows, cols int, t blas.Transpose) []float32 {
	n := rows
	if t == blas.Trans {
		n = cols
	}
	g := make([]float32, n*n)
	blas32.Syrk(t, 1,
		blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: m},
		0, blas32.Symmetric{N: n, Stride: n, Data: g, Uplo: blas.Upper})
	return g
}

// gramSquares is ||mᵀm||²_F (t = Trans) or ||mmᵀ||²_F (t = NoTrans).
func gramSquares(m []float32, rows, cols int, t blas.Transpose) float64 {
	n := rows
	if t == blas.Trans {
		n = cols
	}
	g := gram(m, rows, cols, t)
	s := 0.0
	for i := range n {
		for j := i; j < n; j++ {
			v := float64(g[i*n+j])
			if i == j {
				s += v * v
			} else {
				s += 2 * v * v
			}
		}
	}
	return s
}

func sumSquares(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s
}

// LayerCKA is CKA between A's and B's representations of the rows of x
// (rows × inputs, row-major), one value per hidden Dense layer in order. A
// hidden layer's representation is what the next Dense layer reads: its
// activation, after any BatchNormalization, Activation or Dropout
// (inference mode) that follows it. The hidden widths may differ; the
// versions must take the same inputs and have as many hidden layers
// (ErrArchitecture otherwise) and finite weights (snapshot.ErrNonFinite).
//
// It takes snapshots rather than compiled networks because a compiled
// network's intermediates are private to experiments/nn: each version is
// compiled piece by piece, one piece per hidden layer, and the rows pass
// through each piece once. For the reference 82 -> 500x3 -> 2 network it
// allocates about 50 KB a row (activations, their centred copies and the
// engine's scratch): 200 MB for 4,000 rows.
func LayerCKA(a, b *snapshot.Snapshot, x []float32, rows int) ([]float64, error) {
	for _, v := range []struct {
		name string
		s    *snapshot.Snapshot
	}{{"A", a}, {"B", b}} {
		if err := v.s.CheckFinite(); err != nil {
			return nil, fmt.Errorf("version %s (%s): %w", v.name, v.s.ShortHash(), err)
		}
	}
	if a.Inputs() != b.Inputs() {
		return nil, fact.Errorf(ErrArchitecture, "version A (%s) has %d inputs, version B (%s) %d: representations compare only on the same rows",
			a.ShortHash(), a.Inputs(), b.ShortHash(), b.Inputs())
	}
	if len(x) != rows*a.Inputs() {
		return nil, fmt.Errorf("%d values are not %d rows of %d inputs", len(x), rows, a.Inputs())
	}
	pa, err := pieces(a)
	if err != nil {
		return nil, err
	}
	pb, err := pieces(b)
	if err != nil {
		return nil, err
	}
	if len(pa) != len(pb) {
		return nil, fact.Errorf(ErrArchitecture, "version A (%s) has %d hidden Dense layers, version B (%s) %d: representations compare layer by layer",
			a.ShortHash(), len(pa), b.ShortHash(), len(pb))
	}
	out := make([]float64, len(pa))
	xa, xb := x, x
	for l := range pa {
		xa, xb = pa[l].Forward(xa, rows), pb[l].Forward(xb, rows)
		out[l] = CKA(xa, xb, rows, pa[l].Outputs(), pb[l].Outputs())
	}
	return out, nil
}

// pieces compiles s as one network per hidden Dense layer: from the layer
// after the previous piece up to the next Dense layer, so piece l's output
// is hidden layer l's representation. Layers before the first Dense go
// with the first piece; the output layer is not needed.
func pieces(s *snapshot.Snapshot) ([]*nn.Net, error) {
	layers := s.Layers()
	var cuts []int // index of every Dense layer after the first
	first := true
	for i, l := range layers {
		if l.Class == snapshot.ClassDense {
			if !first {
				cuts = append(cuts, i)
			}
			first = false
		}
	}
	var nets []*nn.Net
	start, width := 0, s.Inputs()
	for _, end := range cuts {
		piece, err := snapshot.New(width, layers[start:end], s.Meta())
		if err != nil {
			return nil, fmt.Errorf("version %s, layers %d to %d: %w", s.ShortHash(), start+1, end, err)
		}
		n, err := nn.New(piece)
		if err != nil {
			return nil, fmt.Errorf("version %s: %w", s.ShortHash(), err)
		}
		nets = append(nets, n)
		start, width = end, n.Outputs()
	}
	return nets, nil
}
