package nn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/tracker-ml/tracker/internal/bug"
	"github.com/tracker-ml/tracker/snapshot"
)

// Labeled is training or validation data: rows of inputs and a class per row.
type Labeled struct {
	X      []float32 // Rows x inputs, row-major (one column more after DropColumn)
	Labels []int     // class per row; for one sigmoid output, 0 or 1
	Rows   int
	// skip is 1 + the column of X that DropColumn leaves out, 0 for none.
	skip int
}

// DropColumn returns d without column col, as a network that lost that
// input sees it. X is shared, not copied: a drop-retrain trains once per
// feature, and a copy of 50,000 rows of 82 features without one is 16 MB
// per training, all of it live while the training runs. Train checks that
// col is inside the rows.
func (d Labeled) DropColumn(col int) Labeled {
	if d.skip != 0 {
		panic("nn: DropColumn on data that already drops a column")
	}
	d.skip = col + 1
	return d
}

// copyRow copies row i's network inputs (inputs values) into dst.
func (d *Labeled) copyRow(dst []float32, i, inputs int) {
	if d.skip == 0 {
		copy(dst, d.X[i*inputs:(i+1)*inputs])
		return
	}
	row := d.X[i*(inputs+1) : (i+1)*(inputs+1)]
	c := d.skip - 1
	copy(dst[:c], row[:c])
	copy(dst[c:inputs], row[c+1:])
}

// TrainOptions are a training run's settings. The zero values of LR,
// Batch and Momentum mean Keras's defaults.
type TrainOptions struct {
	Epochs int
	Batch  int     // rows per step (default 32, as Keras)
	LR     float64 // Adam learning rate (default 0.001, as Keras)
	// Patience stops training after this many epochs without a lower
	// validation loss and keeps the best epoch's weights, like Keras's
	// EarlyStopping(restore_best_weights=True). 0 trains every epoch.
	Patience int
	Seed     uint64
	// FromWeights starts from the architecture's own weights (fine-tuning)
	// instead of fresh Glorot-uniform ones.
	FromWeights bool
	// Score, when set, scores the validation outputs after each epoch
	// (accuracy, say); the curve records it. y is reused after the call.
	Score func(y []float32, labels []int) float64
	// Progress is called after each epoch with the number done.
	Progress func(epoch int)
}

// Epoch is one point of a training curve. Val fields are NaN without
// validation data.
type Epoch struct {
	Loss     float64 // mean training loss over the epoch's batches
	ValLoss  float64
	ValScore float64 // Score on the validation data, NaN without Score
}

// Trained is the outcome of Train.
type Trained struct {
	Snapshot *snapshot.Snapshot // the architecture with the trained weights
	Curve    []Epoch
	Best     int // 0-based epoch whose weights were kept
}

// Keras's Adam and BatchNormalization defaults.
const (
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEpsilon = 1e-7
	bnMomentum  = 0.99
	// lossClip bounds probabilities in the loss, as Keras's epsilon does.
	lossClip = 1e-7
)

// Train fits arch's layers to the data with minibatch Adam: softmax
// cross-entropy when the last layer is a softmax over several outputs,
// binary cross-entropy when it is one sigmoid output. Dropout is applied
// and BatchNormalization uses batch statistics while training, as in
// Keras. The same seed and data give the same weights. It runs on the
// calling goroutine; BLAS may use several threads.
func Train(ctx context.Context, arch *snapshot.Snapshot, train, val Labeled, opts TrainOptions) (*Trained, error) {
	if opts.Epochs <= 0 {
		return nil, fmt.Errorf("train: epochs must be positive (got %d)", opts.Epochs)
	}
	if opts.Batch <= 0 {
		opts.Batch = 32
	}
	if opts.LR <= 0 {
		opts.LR = 0.001
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x7472616e)) // "tran"
	t, err := newTrainer(arch, opts.FromWeights, rng)
	if err != nil {
		return nil, err
	}
	for _, d := range []Labeled{train, val} {
		if err := t.check(d); err != nil {
			return nil, err
		}
	}
	if train.Rows == 0 {
		return nil, fmt.Errorf("train: no training rows")
	}
	t.alloc(min(opts.Batch, train.Rows))
	t.compileInference()

	res := &Trained{}
	bestLoss := math.Inf(1)
	var best [][]float32 // parameter values at the best epoch
	order := make([]int, train.Rows)
	for i := range order {
		order[i] = i
	}
	for epoch := range opts.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var lossSum float64
		for start := 0; start < train.Rows; start += opts.Batch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rows := order[start:min(start+opts.Batch, train.Rows)]
			lossSum += t.gradients(train, rows, rng) * float64(len(rows))
			if err := t.adam(opts.LR); err != nil {
				return nil, fmt.Errorf("train: epoch %d: %w", epoch+1, err)
			}
		}
		p := Epoch{Loss: lossSum / float64(train.Rows), ValLoss: math.NaN(), ValScore: math.NaN()}
		if val.Rows > 0 {
			y, err := t.predict(ctx, val)
			if err != nil {
				return nil, err
			}
			p.ValLoss = t.loss(y, val.Labels)
			if opts.Score != nil {
				p.ValScore = opts.Score(y, val.Labels)
			}
		}
		res.Curve = append(res.Curve, p)
		if opts.Progress != nil {
			opts.Progress(epoch + 1)
		}
		if math.IsNaN(p.Loss) || math.IsInf(p.Loss, 0) {
			return nil, fmt.Errorf("train: the loss became %v in epoch %d: lower the learning rate, or scale the input columns", p.Loss, epoch+1)
		}
		if opts.Patience <= 0 || val.Rows == 0 {
			res.Best = epoch
			continue
		}
		if p.ValLoss < bestLoss {
			bestLoss, res.Best = p.ValLoss, epoch
			best = t.saveParams(best)
		} else if epoch-res.Best >= opts.Patience {
			break
		}
	}
	if best != nil {
		t.restoreParams(best)
	}
	res.Snapshot = t.snapshot(arch)
	if err := res.Snapshot.CheckFinite(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return res, nil
}

// tlayer is one step of the network being trained.
type tlayer struct {
	kind    opKind // opDense, opAct, opAffine (BatchNormalization) or opDropout
	in, out int
	layer   int // snapshot layer index
	act     activation
	rate    float64 // dropout rate
	// Dense: w (in x out), b. BatchNormalization: gamma (w), beta (b) and
	// the moving statistics.
	w, b           []float32
	gw, gb         []float32
	mean, variance []float32
	eps            float64
	hasW, hasB     bool
	// Per-batch state kept for the backward pass.
	mask           []float32 // dropout scale per value
	xhat, invStd   []float32 // BatchNormalization
	batchMean, tmp []float32
}

// opDropout extends opKind for training only: inference skips dropout.
const opDropout opKind = 100

// trainer holds the layers, Adam's moments and per-batch buffers.
type trainer struct {
	inputs, outputs int
	layers          []tlayer
	binary          bool // one sigmoid output: binary cross-entropy
	params          []param
	step1           int // Adam step count
	maxWidth        int // widest layer, inputs included
	// buffers, sized for the batch
	x    []float32
	vals [][]float32 // vals[0] the batch input, vals[i+1] the output of layer i
	grad [][]float32 // gradient of the loss by vals[i]
	// Inference on the validation rows, built once per training; see
	// compileInference.
	infer   []op
	folds   []fold
	evalBuf []float32 // forwardOps scratch for evalRows rows
	evalX   []float32 // a batch of validation rows without the dropped column
	evalY   []float32 // the validation outputs
}

// fold pairs a BatchNormalization layer with its inference op.
type fold struct{ layer, op int }

// evalRows bounds the validation rows of one inference pass: enough for
// BLAS to run at full speed, and the scratch stays 4 MB for a 500-wide
// net where ForwardAll's 8,192 rows take 32 MB.
const evalRows = 1024

// param is one trainable array with its gradient and Adam moments.
type param struct{ w, g, m, v []float32 }

func newTrainer(arch *snapshot.Snapshot, fromWeights bool, rng *rand.Rand) (*trainer, error) {
	t := &trainer{inputs: arch.Inputs(), maxWidth: arch.Inputs()}
	width := arch.Inputs()
	kv := arch.Meta().KerasVersion
	for i, l := range arch.Layers() {
		switch l.Class {
		case snapshot.ClassDense:
			d := tlayer{kind: opDense, in: width, out: l.Units, layer: i, hasW: true, hasB: l.UseBias}
			d.w, d.gw = make([]float32, width*l.Units), make([]float32, width*l.Units)
			if l.UseBias {
				d.b, d.gb = make([]float32, l.Units), make([]float32, l.Units)
			}
			if fromWeights {
				copy(d.w, l.Weights[0].Data)
				if l.UseBias {
					copy(d.b, l.Weights[1].Data)
				}
			} else {
				// Keras's default kernel initializer; biases start at zero.
				limit := math.Sqrt(6 / float64(width+l.Units))
				for j := range d.w {
					d.w[j] = float32((2*rng.Float64() - 1) * limit)
				}
			}
			t.layers = append(t.layers, d)
			width = l.Units
			if l.Activation != "linear" {
				a, err := newActivation(l.Activation, kv)
				if err != nil {
					return nil, fmt.Errorf("layer %q: %w", l.Name, err)
				}
				t.layers = append(t.layers, tlayer{kind: opAct, in: width, out: width, act: a, layer: i})
			}
		case snapshot.ClassActivation:
			a, err := newActivation(l.Activation, kv)
			if err != nil {
				return nil, fmt.Errorf("layer %q: %w", l.Name, err)
			}
			t.layers = append(t.layers, tlayer{kind: opAct, in: width, out: width, act: a, layer: i})
		case snapshot.ClassBatchNormalization:
			t.layers = append(t.layers, newTrainBatchNorm(l, width, i, fromWeights))
		case snapshot.ClassDropout:
			if l.Rate > 0 {
				t.layers = append(t.layers, tlayer{kind: opDropout, in: width, out: width, rate: l.Rate, layer: i})
			}
		case snapshot.ClassFlatten:
		default:
			return nil, fmt.Errorf("layer %q: class %s cannot be trained", l.Name, l.Class)
		}
	}
	t.outputs = width
	for _, l := range t.layers {
		t.maxWidth = max(t.maxWidth, l.out)
	}
	last := t.layers[len(t.layers)-1]
	switch {
	case last.kind == opAct && last.act.name == "softmax" && width >= 2:
	case last.kind == opAct && last.act.name == "sigmoid" && width == 1:
		t.binary = true
	default:
		return nil, fmt.Errorf("train: the last layer must be a softmax over several outputs or one sigmoid output, to train with cross-entropy; this model ends in %s with %d outputs",
			last.act.name, width)
	}
	for i := range t.layers {
		l := &t.layers[i]
		if l.hasW {
			t.params = append(t.params, newParam(l.w, l.gw))
		}
		if l.hasB {
			t.params = append(t.params, newParam(l.b, l.gb))
		}
	}
	return t, nil
}

func newParam(w, g []float32) param {
	return param{w: w, g: g, m: make([]float32, len(w)), v: make([]float32, len(w))}
}

// newTrainBatchNorm builds a trainable BatchNormalization: gamma and beta
// are trained when the layer has them (scale, center); the moving
// statistics follow the batches.
func newTrainBatchNorm(l snapshot.Layer, width, index int, fromWeights bool) tlayer {
	b := tlayer{kind: opAffine, in: width, out: width, layer: index, eps: l.Epsilon, hasW: l.Scale, hasB: l.Center,
		mean: make([]float32, width), variance: make([]float32, width)}
	b.w, b.b = make([]float32, width), make([]float32, width)
	for j := range width {
		b.w[j], b.variance[j] = 1, 1
	}
	b.gw, b.gb = make([]float32, width), make([]float32, width)
	if fromWeights {
		for _, t := range l.Weights {
			switch t.Name {
			case "gamma":
				copy(b.w, t.Data)
			case "beta":
				copy(b.b, t.Data)
			case "moving_mean":
				copy(b.mean, t.Data)
			case "moving_variance":
				copy(b.variance, t.Data)
			}
		}
	}
	return b
}

func (t *trainer) check(d Labeled) error {
	cols := t.inputs
	if d.skip != 0 {
		cols++
		if d.skip > cols {
			return fmt.Errorf("train: column %d to drop is outside rows of %d columns", d.skip-1, cols)
		}
	}
	if len(d.X) != d.Rows*cols || len(d.Labels) != d.Rows {
		if d.skip != 0 {
			return fmt.Errorf("train: %d values and %d labels for %d rows of %d columns, one of them dropped", len(d.X), len(d.Labels), d.Rows, cols)
		}
		return fmt.Errorf("train: %d values and %d labels for %d rows of %d inputs", len(d.X), len(d.Labels), d.Rows, t.inputs)
	}
	classes := max(t.outputs, 2)
	for i, l := range d.Labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("train: row %d has class %d, but the model has classes 0 to %d", i+1, l, classes-1)
		}
	}
	return nil
}

// alloc sizes the per-batch buffers.
func (t *trainer) alloc(batch int) {
	t.x = make([]float32, batch*t.inputs)
	t.vals = make([][]float32, len(t.layers)+1)
	t.grad = make([][]float32, len(t.layers)+1)
	for i := range t.layers {
		l := &t.layers[i]
		t.vals[i+1] = make([]float32, batch*l.out)
		t.grad[i] = make([]float32, batch*l.in)
		switch l.kind {
		case opDropout:
			l.mask = make([]float32, batch*l.out)
		case opAffine:
			l.xhat = make([]float32, batch*l.out)
			l.invStd, l.batchMean, l.tmp = make([]float32, l.out), make([]float32, l.out), make([]float32, l.out)
		}
	}
	t.grad[len(t.layers)] = make([]float32, batch*t.outputs)
}

// gradients runs the rows of data listed in idx forward and back, leaving
// the parameter gradients of their mean loss, and returns that loss.
func (t *trainer) gradients(data Labeled, idx []int, rng *rand.Rand) float64 {
	rows := len(idx)
	x := t.x[:rows*t.inputs]
	for r, i := range idx {
		data.copyRow(x[r*t.inputs:(r+1)*t.inputs], i, t.inputs)
	}
	t.vals[0] = x
	for i := range t.layers {
		t.layers[i].forwardTrain(t.vals[i][:rows*t.layers[i].in], t.vals[i+1][:rows*t.layers[i].out], rows, rng)
	}
	y := t.vals[len(t.layers)][:rows*t.outputs]

	// The last activation and the cross-entropy together have the
	// gradient (p - onehot)/rows by the pre-activation.
	n := len(t.layers)
	dz := t.grad[n][:rows*t.outputs]
	var loss float64
	for r := range rows {
		label := data.Labels[idx[r]]
		if t.binary {
			p := float64(y[r])
			target := float64(label)
			loss -= target*math.Log(max(p, lossClip)) + (1-target)*math.Log(max(1-p, lossClip))
			dz[r] = float32((p - target) / float64(rows))
			continue
		}
		row := y[r*t.outputs : (r+1)*t.outputs]
		loss -= math.Log(max(float64(row[label]), lossClip))
		for j, p := range row {
			g := float64(p)
			if j == label {
				g--
			}
			dz[r*t.outputs+j] = float32(g / float64(rows))
		}
	}
	d := dz
	for i := n - 2; i >= 0; i-- { // layer n-1 is the fused output activation
		l := &t.layers[i]
		var dx []float32
		if i > 0 { // nothing needs the gradient by the data
			dx = t.grad[i][:rows*l.in]
		}
		d = l.backwardTrain(t.vals[i][:rows*l.in], t.vals[i+1][:rows*l.out], d, dx, rows)
	}
	return loss / float64(rows)
}

// compileInference builds the ops New would compile from the trainer's
// snapshot. Dense ops share the trainer's weights, so they follow every
// Adam step; BatchNormalization gets a scale and shift that predict
// refolds from the moving statistics. Compiling a Net per epoch instead
// left its sync.Pool holding a 32 MB scratch buffer that outlived the Net
// until two collections had passed: at a GC percent of 400 a drop-retrain
// kept most of them and grew by about 50 MB per training.
func (t *trainer) compileInference() {
	t.infer, t.folds = nil, nil
	for i := range t.layers {
		l := &t.layers[i]
		switch l.kind {
		case opDense:
			t.infer = append(t.infer, op{kind: opDense, in: l.in, out: l.out, w: l.w, b: l.b, layer: l.layer})
		case opAct:
			t.infer = append(t.infer, op{kind: opAct, in: l.in, out: l.out, act: l.act, layer: l.layer})
		case opAffine:
			t.folds = append(t.folds, fold{layer: i, op: len(t.infer)})
			t.infer = append(t.infer, op{kind: opAffine, in: l.in, out: l.out, layer: l.layer,
				scale: make([]float32, l.out), shift: make([]float32, l.out)})
		}
		// Dropout is the identity at inference.
	}
}

// predict runs d through the network in inference mode, in batches of
// evalRows, checking ctx between them. The result is the trainer's buffer,
// overwritten by the next call.
func (t *trainer) predict(ctx context.Context, d Labeled) ([]float32, error) {
	for _, f := range t.folds {
		l, o := &t.layers[f.layer], &t.infer[f.op]
		gamma, beta := l.w, l.b
		if !l.hasW {
			gamma = nil
		}
		if !l.hasB {
			beta = nil
		}
		foldBatchNorm(o.scale, o.shift, gamma, beta, l.mean, l.variance, l.eps)
	}
	batch := min(evalRows, d.Rows)
	if len(t.evalY) != d.Rows*t.outputs {
		t.evalY = make([]float32, d.Rows*t.outputs)
		t.evalBuf = make([]float32, 2*batch*t.maxWidth)
		t.evalX = nil
		if d.skip != 0 {
			t.evalX = make([]float32, batch*t.inputs)
		}
	}
	for start := 0; start < d.Rows; start += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows := min(batch, d.Rows-start)
		x := d.X[start*t.inputs : (start+rows)*t.inputs]
		if d.skip != 0 {
			x = t.evalX[:rows*t.inputs]
			for r := range rows {
				d.copyRow(x[r*t.inputs:(r+1)*t.inputs], start+r, t.inputs)
			}
		}
		y := forwardOps(t.infer, x, rows, t.evalBuf[:2*rows*t.maxWidth])
		copy(t.evalY[start*t.outputs:], y)
	}
	return t.evalY, nil
}

// forwardTrain computes one layer in training mode from src into dst.
func (l *tlayer) forwardTrain(src, dst []float32, rows int, rng *rand.Rand) {
	switch l.kind {
	case opDense:
		o := op{kind: opDense, in: l.in, out: l.out, w: l.w, b: l.b}
		o.forward(src, dst, rows)
	case opAct:
		copy(dst, src)
		l.act.apply(dst, l.out)
	case opDropout:
		keep := 1 - l.rate
		scale := float32(1 / keep)
		mask := l.mask[:rows*l.out]
		for i := range mask {
			if rng.Float64() < keep {
				mask[i] = scale
			} else {
				mask[i] = 0
			}
		}
		for i, v := range src {
			dst[i] = v * mask[i]
		}
	case opAffine:
		l.batchNormTrain(src, dst, rows)
	}
}

// batchNormTrain normalises with the batch's mean and (biased) variance and
// moves the running statistics towards them; the running variance takes
// the unbiased estimate, as TensorFlow's fused kernel and PyTorch do.
func (l *tlayer) batchNormTrain(src, dst []float32, rows int) {
	w := l.out
	mean, invStd := l.batchMean, l.invStd
	clear(mean)
	for r := range rows {
		for j, v := range src[r*w : (r+1)*w] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float32(rows)
	}
	variance := l.tmp
	clear(variance)
	for r := range rows {
		for j, v := range src[r*w : (r+1)*w] {
			d := v - mean[j]
			variance[j] += d * d
		}
	}
	for j := range w {
		v := float64(variance[j]) / float64(rows)
		invStd[j] = float32(1 / math.Sqrt(v+l.eps))
		unbiased := v
		if rows > 1 {
			unbiased = v * float64(rows) / float64(rows-1)
		}
		l.mean[j] = float32(bnMomentum*float64(l.mean[j]) + (1-bnMomentum)*float64(mean[j]))
		l.variance[j] = float32(bnMomentum*float64(l.variance[j]) + (1-bnMomentum)*unbiased)
	}
	xhat := l.xhat[:rows*w]
	for r := range rows {
		s, xh, d := src[r*w:(r+1)*w], xhat[r*w:(r+1)*w], dst[r*w:(r+1)*w]
		for j, v := range s {
			h := (v - mean[j]) * invStd[j]
			xh[j] = h
			d[j] = h*l.w[j] + l.b[j]
		}
	}
}

// backwardTrain takes d, the gradient by the layer's output (overwritten),
// fills the layer's parameter gradients and, when dx is not nil, returns the
// gradient by its input, in dx or in d.
func (l *tlayer) backwardTrain(x, y, d, dx []float32, rows int) []float32 {
	switch l.kind {
	case opDense:
		// dW = xᵀ·d, db = Σ rows of d, dx = d·Wᵀ
		blas32.Gemm(blas.Trans, blas.NoTrans, 1,
			blas32.General{Rows: rows, Cols: l.in, Stride: l.in, Data: x},
			blas32.General{Rows: rows, Cols: l.out, Stride: l.out, Data: d},
			0, blas32.General{Rows: l.in, Cols: l.out, Stride: l.out, Data: l.gw})
		if l.hasB {
			clear(l.gb)
			for r := range rows {
				for j, v := range d[r*l.out : (r+1)*l.out] {
					l.gb[j] += v
				}
			}
		}
		if dx != nil {
			blas32.Gemm(blas.NoTrans, blas.Trans, 1,
				blas32.General{Rows: rows, Cols: l.out, Stride: l.out, Data: d},
				blas32.General{Rows: l.in, Cols: l.out, Stride: l.out, Data: l.w},
				0, blas32.General{Rows: rows, Cols: l.in, Stride: l.in, Data: dx})
		}
		return dx
	case opAct:
		if dx != nil {
			l.act.grad(d, x, y, l.out)
		}
		return d
	case opDropout:
		if dx != nil {
			for i, m := range l.mask[:len(d)] {
				d[i] *= m
			}
		}
		return d
	case opAffine:
		l.batchNormBackward(d, dx, rows)
		return dx
	}
	panic("nn: unknown layer kind")
}

// batchNormBackward is the gradient of training-mode normalisation:
// dx = invStd/N · (N·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)), dxhat = d·gamma.
func (l *tlayer) batchNormBackward(d, dx []float32, rows int) {
	w := l.out
	xhat := l.xhat[:rows*w]
	clear(l.gw)
	clear(l.gb)
	for r := range rows {
		dr, xr := d[r*w:(r+1)*w], xhat[r*w:(r+1)*w]
		for j, v := range dr {
			l.gw[j] += v * xr[j]
			l.gb[j] += v
		}
	}
	if dx == nil {
		return
	}
	// Σ dxhat = gamma·Σd = gamma·gb, Σ dxhat·xhat = gamma·gw.
	n := float32(rows)
	for r := range rows {
		dr, xr, out := d[r*w:(r+1)*w], xhat[r*w:(r+1)*w], dx[r*w:(r+1)*w]
		for j, v := range dr {
			g := l.w[j]
			out[j] = l.invStd[j] / n * (n*v*g - g*l.gb[j] - xr[j]*g*l.gw[j])
		}
	}
}

// adam applies one Adam step to every parameter, in Keras's form:
// w -= lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε). The error is a panic in one of
// its goroutines.
func (t *trainer) adam(lr float64) error {
	t.step1++
	s := float64(t.step1)
	lrt := float32(lr * math.Sqrt(1-math.Pow(adamBeta2, s)) / (1 - math.Pow(adamBeta1, s)))
	const b1, b2 = float32(adamBeta1), float32(adamBeta2)
	// The update is a quarter of an epoch's time for a 500-wide net, and
	// the cores are otherwise idle while it runs: split large arrays.
	var g group
	parts := runtime.GOMAXPROCS(0)
	for _, p := range t.params {
		n := len(p.w)
		if n < adamSplit || parts == 1 {
			adamUpdate(p.w, p.g, p.m, p.v, lrt, b1, b2)
			continue
		}
		for k := range parts {
			lo, hi := n*k/parts, n*(k+1)/parts
			g.Go("adam update", func() { adamUpdate(p.w[lo:hi], p.g[lo:hi], p.m[lo:hi], p.v[lo:hi], lrt, b1, b2) })
		}
	}
	return g.Wait()
}

// group runs functions on goroutines and turns a panic in one into an
// error from Wait: an unrecovered panic on a goroutine ends the process,
// and with it every other training a drop-retrain has not stored yet.
type group struct {
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

// Go runs f on a new goroutine; what names f in the error.
func (g *group) Go(what string, f func()) {
	g.wg.Go(func() {
		defer func() {
			if p := recover(); p != nil {
				g.mu.Lock()
				defer g.mu.Unlock()
				if g.err == nil {
					g.err = fmt.Errorf("internal error in %s: %v\n%s\n%s", what, p, bug.Report, bug.Stack())
				}
			}
		}()
		f()
	})
}

// Wait waits for every function and returns the first panic as an error.
func (g *group) Wait() error {
	g.wg.Wait()
	return g.err
}

// adamSplit is the array size above which adam splits the update across
// goroutines; below it the handoff costs more than it saves.
const adamSplit = 1 << 15

func adamUpdate(w, g, m, v []float32, lrt, b1, b2 float32) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i, gi := range g {
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		w[i] -= lrt * mi / (float32(math.Sqrt(float64(vi))) + adamEpsilon)
	}
}

// loss is the mean cross-entropy of outputs y against labels.
func (t *trainer) loss(y []float32, labels []int) float64 {
	var sum float64
	for r, label := range labels {
		if t.binary {
			p := float64(y[r])
			if label == 1 {
				sum -= math.Log(max(p, lossClip))
			} else {
				sum -= math.Log(max(1-p, lossClip))
			}
			continue
		}
		sum -= math.Log(max(float64(y[r*t.outputs+label]), lossClip))
	}
	return sum / float64(len(labels))
}

func (t *trainer) saveParams(dst [][]float32) [][]float32 {
	if dst == nil {
		dst = make([][]float32, 0, len(t.params)+2*len(t.layers))
	}
	dst = dst[:0]
	for _, p := range t.params {
		dst = append(dst, slices.Clone(p.w))
	}
	for _, l := range t.layers {
		if l.kind == opAffine {
			dst = append(dst, slices.Clone(l.mean), slices.Clone(l.variance))
		}
	}
	return dst
}

func (t *trainer) restoreParams(src [][]float32) {
	i := 0
	for _, p := range t.params {
		copy(p.w, src[i])
		i++
	}
	for _, l := range t.layers {
		if l.kind == opAffine {
			copy(l.mean, src[i])
			copy(l.variance, src[i+1])
			i += 2
		}
	}
}

// snapshot returns arch's layers with the trainer's current weights. The
// tensors share the trainer's arrays.
func (t *trainer) snapshot(arch *snapshot.Snapshot) *snapshot.Snapshot {
	layers := slices.Clone(arch.Layers())
	for i := range t.layers {
		l := &t.layers[i]
		switch l.kind {
		case opDense:
			ws := []snapshot.Tensor{{Name: "kernel", Shape: []int{l.in, l.out}, Data: l.w}}
			if l.hasB {
				ws = append(ws, snapshot.Tensor{Name: "bias", Shape: []int{l.out}, Data: l.b})
			}
			layers[l.layer].Weights = ws
		case opAffine:
			var ws []snapshot.Tensor
			if l.hasW {
				ws = append(ws, snapshot.Tensor{Name: "gamma", Shape: []int{l.out}, Data: l.w})
			}
			if l.hasB {
				ws = append(ws, snapshot.Tensor{Name: "beta", Shape: []int{l.out}, Data: l.b})
			}
			ws = append(ws, snapshot.Tensor{Name: "moving_mean", Shape: []int{l.out}, Data: l.mean},
				snapshot.Tensor{Name: "moving_variance", Shape: []int{l.out}, Data: l.variance})
			layers[l.layer].Weights = ws
		}
	}
	s, err := snapshot.New(t.inputs, layers, arch.Meta())
	if err != nil {
		// The layers are arch's with weights of the shapes it implies.
		panic(fmt.Sprintf("nn: trained snapshot: %v", err))
	}
	return s
}
