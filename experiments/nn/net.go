package nn

import (
	"context"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/tracker-ml/tracker/snapshot"
)

type opKind int

const (
	opDense  opKind = iota // y = x·W + b
	opAct                  // y = f(x)
	opAffine               // y = x*scale + shift (inference BatchNormalization)
)

// op is one step of the compiled network.
type op struct {
	kind    opKind
	in, out int
	w       []float32 // in*out, row-major as Keras stores kernels
	b       []float32 // out, or nil
	act     activation
	scale   []float32
	shift   []float32
	layer   int // index of the snapshot layer this op came from
}

// Net is a compiled, read-only network; it is safe for concurrent use.
type Net struct {
	inputs, outputs int
	ops             []op
	maxWidth        int
	// scratch holds activation buffers between Forward calls: a perturb run
	// makes thousands of calls on batches of tens of megabytes, and
	// allocating (and zeroing) them each time cost more than the products.
	scratch sync.Pool
}

// New compiles a snapshot. The weights are shared with the snapshot, not copied.
func New(s *snapshot.Snapshot) (*Net, error) {
	n := &Net{inputs: s.Inputs(), maxWidth: s.Inputs()}
	width := s.Inputs()
	kv := s.Meta().KerasVersion
	for i, l := range s.Layers() {
		switch l.Class {
		case snapshot.ClassDense:
			d := op{kind: opDense, in: width, out: l.Units, w: l.Weights[0].Data, layer: i}
			if l.UseBias {
				d.b = l.Weights[1].Data
			}
			n.ops = append(n.ops, d)
			width = l.Units
			if l.Activation != "linear" {
				a, err := newActivation(l.Activation, kv)
				if err != nil {
					return nil, fmt.Errorf("layer %q: %w", l.Name, err)
				}
				n.ops = append(n.ops, op{kind: opAct, in: width, out: width, act: a, layer: i})
			}
		case snapshot.ClassActivation:
			a, err := newActivation(l.Activation, kv)
			if err != nil {
				return nil, fmt.Errorf("layer %q: %w", l.Name, err)
			}
			n.ops = append(n.ops, op{kind: opAct, in: width, out: width, act: a, layer: i})
		case snapshot.ClassBatchNormalization:
			n.ops = append(n.ops, batchNorm(l, width, i))
		case snapshot.ClassDropout, snapshot.ClassFlatten:
			// Identity at inference on a flat input.
		default:
			return nil, fmt.Errorf("layer %q: class %s is not implemented", l.Name, l.Class)
		}
		n.maxWidth = max(n.maxWidth, width)
	}
	n.outputs = width
	return n, nil
}

// batchNorm folds inference-time normalisation into one scale and shift.
func batchNorm(l snapshot.Layer, width, index int) op {
	get := func(name string) []float32 {
		for _, t := range l.Weights {
			if t.Name == name {
				return t.Data
			}
		}
		return nil
	}
	o := op{kind: opAffine, in: width, out: width, scale: make([]float32, width), shift: make([]float32, width), layer: index}
	foldBatchNorm(o.scale, o.shift, get("gamma"), get("beta"), get("moving_mean"), get("moving_variance"), l.Epsilon)
	return o
}

// foldBatchNorm sets scale and shift so that x*scale + shift is
// gamma*(x-mean)/sqrt(variance+eps) + beta; a nil gamma or beta is absent
// (a layer without scale or center). Training refolds its own layers with
// it after each epoch, so validation sees exactly what New would compile.
func foldBatchNorm(scale, shift, gamma, beta, mean, variance []float32, eps float64) {
	for j := range scale {
		s := 1 / math.Sqrt(float64(variance[j])+eps)
		if gamma != nil {
			s *= float64(gamma[j])
		}
		sh := -float64(mean[j]) * s
		if beta != nil {
			sh += float64(beta[j])
		}
		scale[j], shift[j] = float32(s), float32(sh)
	}
}

// Inputs is the width of a row fed to the network.
func (n *Net) Inputs() int { return n.inputs }

// Outputs is the width of a row the network returns.
func (n *Net) Outputs() int { return n.outputs }

// Forward runs rows of x (rows*Inputs values) and returns rows*Outputs values.
func (n *Net) Forward(x []float32, rows int) []float32 {
	n.checkInput(x, rows)
	buf := n.buffer(2 * rows * n.maxWidth)
	defer n.scratch.Put(buf)
	y := forwardOps(n.ops, x, rows, *buf)
	out := make([]float32, rows*n.outputs)
	copy(out, y)
	return out
}

// forwardOps runs rows of x through ops using buf (at least 2*rows times
// the widest op) for the intermediates, and returns the last op's output,
// which lives in buf (or is x when there are no ops).
func forwardOps(ops []op, x []float32, rows int, buf []float32) []float32 {
	half := len(buf) / 2
	a, b := buf[:half], buf[half:]
	cur := x
	for i := range ops {
		o := &ops[i]
		var dst []float32
		if o.kind == opAct {
			// In place, unless cur is the caller's input.
			if len(cur) > 0 && &cur[0] == &x[0] {
				dst = a[:rows*o.out]
				copy(dst, cur)
			} else {
				dst = cur
			}
			o.act.apply(dst, o.out)
		} else {
			dst = a[:rows*o.out]
			if len(cur) > 0 && len(a) > 0 && &cur[0] == &a[0] {
				dst = b[:rows*o.out]
			}
			o.forward(cur, dst, rows)
		}
		cur = dst
	}
	return cur
}

// batchRows bounds the rows of one forward pass in ForwardAll: large enough
// that BLAS runs at full speed, small enough that a 500-wide net's
// activations stay a few tens of megabytes and Ctrl-C is noticed quickly.
const batchRows = 8192

// ForwardAll is Forward over any number of rows, in batches, checking ctx
// between them.
func (n *Net) ForwardAll(ctx context.Context, x []float32, rows int) ([]float32, error) {
	n.checkInput(x, rows)
	y := make([]float32, 0, rows*n.outputs)
	for start := 0; start < rows; start += batchRows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := min(batchRows, rows-start)
		y = append(y, n.Forward(x[start*n.inputs:(start+b)*n.inputs], b)...)
	}
	return y, nil
}

// buffer returns scratch space of at least size values, not zeroed.
func (n *Net) buffer(size int) *[]float32 {
	if p, ok := n.scratch.Get().(*[]float32); ok && cap(*p) >= size {
		*p = (*p)[:size]
		return p
	}
	s := make([]float32, size)
	return &s
}

func (n *Net) checkInput(x []float32, rows int) {
	if len(x) != rows*n.inputs {
		panic(fmt.Sprintf("nn: %d values for %d rows of %d inputs", len(x), rows, n.inputs))
	}
}

// forward computes a dense or affine op from src into dst.
func (o *op) forward(src, dst []float32, rows int) {
	switch o.kind {
	case opDense:
		if o.b != nil {
			for r := range rows {
				copy(dst[r*o.out:(r+1)*o.out], o.b)
			}
		}
		beta := float32(0)
		if o.b != nil {
			beta = 1
		}
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas32.General{Rows: rows, Cols: o.in, Stride: o.in, Data: src},
			blas32.General{Rows: o.in, Cols: o.out, Stride: o.out, Data: o.w},
			beta, blas32.General{Rows: rows, Cols: o.out, Stride: o.out, Data: dst})
	case opAffine:
		for r := range rows {
			s, d := src[r*o.in:(r+1)*o.in], dst[r*o.out:(r+1)*o.out]
			for j, v := range s {
				d[j] = v*o.scale[j] + o.shift[j]
			}
		}
	}
}

// Trace holds every intermediate of one forward pass, for Backward.
type Trace struct {
	rows int
	vals [][]float32 // vals[0] is the input, vals[i+1] the output of op i
}

// ForwardTrace is Forward keeping the intermediates Backward needs.
func (n *Net) ForwardTrace(x []float32, rows int) ([]float32, *Trace) {
	n.checkInput(x, rows)
	tr := &Trace{rows: rows, vals: make([][]float32, len(n.ops)+1)}
	tr.vals[0] = x
	for i := range n.ops {
		o := &n.ops[i]
		dst := make([]float32, rows*o.out)
		if o.kind == opAct {
			copy(dst, tr.vals[i])
			o.act.apply(dst, o.out)
		} else {
			o.forward(tr.vals[i], dst, rows)
		}
		tr.vals[i+1] = dst
	}
	return tr.vals[len(n.ops)], tr
}

// Grads holds weight gradients by snapshot layer index: dense kernels and biases.
type Grads struct {
	Kernel map[int][]float32
	Bias   map[int][]float32
}

// Backward takes dOut, the gradient of a loss with respect to the network's
// outputs (rows*Outputs values, overwritten), and returns the gradient with
// respect to the inputs. When g is not nil it also fills the dense layers'
// weight gradients, summed over rows.
func (n *Net) Backward(tr *Trace, dOut []float32, g *Grads) []float32 {
	rows := tr.rows
	d := dOut
	for i := len(n.ops) - 1; i >= 0; i-- {
		o := &n.ops[i]
		switch o.kind {
		case opAct:
			o.act.grad(d, tr.vals[i], tr.vals[i+1], o.out)
		case opAffine:
			for r := range rows {
				dr := d[r*o.out : (r+1)*o.out]
				for j := range dr {
					dr[j] *= o.scale[j]
				}
			}
		case opDense:
			x := tr.vals[i]
			if g != nil {
				kw := g.Kernel[o.layer]
				if kw == nil {
					kw = make([]float32, o.in*o.out)
					g.Kernel[o.layer] = kw
				}
				// dW = xᵀ·d
				blas32.Gemm(blas.Trans, blas.NoTrans, 1,
					blas32.General{Rows: rows, Cols: o.in, Stride: o.in, Data: x},
					blas32.General{Rows: rows, Cols: o.out, Stride: o.out, Data: d},
					0, blas32.General{Rows: o.in, Cols: o.out, Stride: o.out, Data: kw})
				if o.b != nil {
					bg := make([]float32, o.out)
					for r := range rows {
						for j, v := range d[r*o.out : (r+1)*o.out] {
							bg[j] += v
						}
					}
					g.Bias[o.layer] = bg
				}
			}
			dx := make([]float32, rows*o.in)
			// dx = d·Wᵀ
			blas32.Gemm(blas.NoTrans, blas.Trans, 1,
				blas32.General{Rows: rows, Cols: o.out, Stride: o.out, Data: d},
				blas32.General{Rows: o.in, Cols: o.out, Stride: o.out, Data: o.w},
				0, blas32.General{Rows: rows, Cols: o.in, Stride: o.in, Data: dx})
			d = dx
		}
	}
	return d
}

// NewGrads makes an empty gradient set for Backward.
func NewGrads() *Grads {
	return &Grads{Kernel: map[int][]float32{}, Bias: map[int][]float32{}}
}
