package experiments

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Noise says how perturb moves one feature of a pivot row.
type Noise struct {
	Kind   string  // "uniform", "normal" or "std"
	Amount float64 // percent of the range, standard deviation, or multiple of the feature's std
}

// DefaultNoise moves a feature by a normal draw with the feature's own
// standard deviation over the data: a typical change for every feature,
// whatever its units.
var DefaultNoise = Noise{Kind: "std", Amount: 1}

// ParseNoise reads a noise spec:
//
//	uniform:P  add a uniform draw from ±P% of the feature's range (max-min) in the data
//	normal:S   add a normal draw with standard deviation S, in the feature's units
//	std:K      add a normal draw with standard deviation K times the feature's std in the data
func ParseNoise(spec string) (Noise, error) {
	kind, amount, ok := strings.Cut(spec, ":")
	v, err := strconv.ParseFloat(amount, 64)
	if !ok || err != nil || !(v > 0) || math.IsInf(v, 0) {
		return Noise{}, fmt.Errorf("noise %q: want uniform:P (percent of range), normal:S (std in the feature's units) or std:K (multiple of the feature's std), with a positive number", spec)
	}
	switch kind {
	case "uniform", "normal", "std":
		return Noise{Kind: kind, Amount: v}, nil
	}
	return Noise{}, fmt.Errorf("noise %q: unknown kind %q: want uniform, normal or std", spec, kind)
}

func (n Noise) String() string {
	return n.Kind + ":" + strconv.FormatFloat(n.Amount, 'g', -1, 64)
}

// PerturbOptions are the pivot method's settings.
type PerturbOptions struct {
	Pivots  int // rows taken as pivots; all rows when there are fewer
	Samples int // noisy copies of each pivot per feature
	Noise   Noise
}

// Params are the settings a perturb run records: what it will actually do
// on dataRows rows, so asking for more pivots than there are rows is the
// same experiment as asking for all of them.
func (o PerturbOptions) Params(dataRows, output int) map[string]string {
	return map[string]string{
		"pivots": strconv.Itoa(min(o.Pivots, dataRows)), "samples": strconv.Itoa(o.Samples),
		"noise": o.Noise.String(), "output": strconv.Itoa(output),
	}
}

// Perturb is the pivot method: take N pivot rows, and for each feature make M
// copies of each pivot with noise added to that feature alone. A feature's
// value is the mean |change in the probability of the watched output| over
// all copies; its spread is the standard deviation over pivots of each
// pivot's mean change. Extra["flip_rate"] is the share of copies whose
// predicted class differs from the pivot's; Extra[SEKey] and
// Extra[SEDFKey] the value's standard error over the choice of pivots and
// the noise drawn for them, and its degrees of freedom (pivotSE).
func Perturb(ctx context.Context, r *Run, opts PerturbOptions) (Result, error) {
	if err := r.check(); err != nil {
		return Result{}, err
	}
	if opts.Pivots <= 0 || opts.Samples <= 0 {
		return Result{}, fmt.Errorf("perturb: pivots and samples must be positive (got %d and %d)", opts.Pivots, opts.Samples)
	}
	d, net := r.Data, r.Net
	in, outs := net.Inputs(), net.Outputs()
	pivots := sample(d.Rows, opts.Pivots, r.rng(0))
	np, m := len(pivots), opts.Samples
	px := make([]float32, np*in)
	for p, row := range pivots {
		copy(px[p*in:], d.Row(row))
	}
	base, err := net.ForwardAll(ctx, px, np)
	if err != nil {
		return Result{}, err
	}
	baseClass := make([]int, np)
	for p := range np {
		baseClass[p] = PredictedClass(base[p*outs : (p+1)*outs])
	}
	_, std, span := columnStats(d)

	value, spread, flips := make([]float64, in), make([]float64, in), make([]float64, in)
	se, df := make([]float64, in), make([]float64, in)
	x := make([]float32, np*m*in)
	perPivot, within := make([]float64, np), make([]float64, np)
	changes := make([]float64, m)
	for f := range in {
		rng := r.rng(1 + uint64(f))
		for p := range np {
			for s := range m {
				row := x[(p*m+s)*in : (p*m+s+1)*in]
				copy(row, px[p*in:(p+1)*in])
				var delta float64
				switch opts.Noise.Kind {
				case "uniform":
					delta = (2*rng.Float64() - 1) * opts.Noise.Amount / 100 * span[f]
				case "normal":
					delta = rng.NormFloat64() * opts.Noise.Amount
				case "std":
					delta = rng.NormFloat64() * opts.Noise.Amount * std[f]
				default:
					return Result{}, fmt.Errorf("perturb: unknown noise kind %q", opts.Noise.Kind)
				}
				row[f] = float32(float64(row[f]) + delta)
			}
		}
		y, err := net.ForwardAll(ctx, x, np*m)
		if err != nil {
			return Result{}, err
		}
		flipped := 0
		for p := range np {
			b := float64(base[p*outs+r.Output])
			for s := range m {
				out := y[(p*m+s)*outs : (p*m+s+1)*outs]
				changes[s] = math.Abs(float64(out[r.Output]) - b)
				if PredictedClass(out) != baseClass[p] {
					flipped++
				}
			}
			var sd float64
			perPivot[p], sd = meanStd(changes)
			within[p] = sd * sd
		}
		value[f], spread[f] = meanStd(perPivot)
		se[f], df[f] = pivotSE(spread[f], within, np, d.Rows, m)
		flips[f] = float64(flipped) / float64(np*m)
		r.progress(f+1, in)
	}
	return Result{
		Kind: KindPerturb, Params: opts.Params(d.Rows, r.Output),
		Value: value, Spread: spread, Rank: Rank(value),
		Extra: map[string][]float64{"flip_rate": flips, SEKey: se, SEDFKey: df},
	}, nil
}
