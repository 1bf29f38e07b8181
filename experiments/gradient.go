package experiments

import (
	"context"
	"fmt"
	"math"
	"strconv"
)

// GradientOptions are the integrated-gradients settings.
type GradientOptions struct {
	Baseline string // "mean" (each feature's mean over the data) or "zero"
	Steps    int    // points on the path from the baseline to the row
	Rows     int    // rows explained, sampled from the data; 0 or more than there are means all
}

// gradientBatch bounds the path points per backward pass: the trace of a
// 500-wide net keeps every layer's activations.
const gradientBatch = 2048

// Params are the settings a gradient run records: rows is what it will
// actually explain out of dataRows.
func (o GradientOptions) Params(dataRows, output int) map[string]string {
	rows := dataRows
	if o.Rows > 0 {
		rows = min(o.Rows, dataRows)
	}
	return map[string]string{
		"baseline": o.Baseline, "steps": strconv.Itoa(o.Steps),
		"rows": strconv.Itoa(rows), "output": strconv.Itoa(output),
	}
}

// Gradient is integrated gradients (Sundararajan et al. 2017): for each row
// x, the attribution of feature i is (x_i - b_i) times the mean gradient of
// the watched output along the straight path from the baseline b to x
// (midpoint rule over Steps points). A feature's value is the mean
// |attribution| over the rows, its spread the standard deviation of
// |attribution| over the rows; Extra["mean_attribution"] keeps the sign.
// Extra[SEKey] and Extra[SEDFKey] are the value's standard error over the
// choice of rows, 0 when every row is explained (rowSE), and its degrees
// of freedom.
func Gradient(ctx context.Context, r *Run, opts GradientOptions) (Result, error) {
	if err := r.check(); err != nil {
		return Result{}, err
	}
	if opts.Steps <= 0 {
		return Result{}, fmt.Errorf("gradient: steps must be positive (got %d)", opts.Steps)
	}
	d, net := r.Data, r.Net
	in, outs := net.Inputs(), net.Outputs()
	base := make([]float64, in)
	switch opts.Baseline {
	case "mean":
		base, _, _ = columnStats(d)
	case "zero":
	default:
		return Result{}, fmt.Errorf("baseline %q: want mean or zero", opts.Baseline)
	}
	rows := sample(d.Rows, opts.Rows, r.rng(0))
	perBatch := max(1, gradientBatch/opts.Steps)
	abs := make([][]float64, in) // abs[f][k] is |attribution| of feature f in the k-th row
	for f := range abs {
		abs[f] = make([]float64, len(rows))
	}
	signed := make([]float64, in)
	for start := 0; start < len(rows); start += perBatch {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		chunk := rows[start:min(start+perBatch, len(rows))]
		n := len(chunk) * opts.Steps
		x := make([]float32, n*in)
		for k, row := range chunk {
			xr := d.Row(row)
			for s := range opts.Steps {
				alpha := (float64(s) + 0.5) / float64(opts.Steps)
				pt := x[(k*opts.Steps+s)*in : (k*opts.Steps+s+1)*in]
				for f := range in {
					pt[f] = float32(base[f] + alpha*(float64(xr[f])-base[f]))
				}
			}
		}
		_, tr := net.ForwardTrace(x, n)
		dOut := make([]float32, n*outs)
		for i := range n {
			dOut[i*outs+r.Output] = 1
		}
		grad := net.Backward(tr, dOut, nil)
		for k, row := range chunk {
			xr := d.Row(row)
			for f := range in {
				var g float64
				for s := range opts.Steps {
					g += float64(grad[(k*opts.Steps+s)*in+f])
				}
				a := (float64(xr[f]) - base[f]) * g / float64(opts.Steps)
				abs[f][start+k] = math.Abs(a)
				signed[f] += a / float64(len(rows))
			}
		}
		r.progress(start+len(chunk), len(rows))
	}
	value, spread := make([]float64, in), make([]float64, in)
	se, df := make([]float64, in), make([]float64, in)
	for f := range in {
		value[f], spread[f] = meanStd(abs[f])
		se[f], df[f] = rowSE(spread[f], len(rows), d.Rows)
	}
	return Result{
		Kind: KindGradient, Params: opts.Params(d.Rows, r.Output),
		Value: value, Spread: spread, Rank: Rank(value),
		Extra: map[string][]float64{"mean_attribution": signed, SEKey: se, SEDFKey: df},
	}, nil
}
