package experiments

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/tracker-ml/tracker/internal/fact"
)

// Metrics permutation can score a model with.
var Metrics = []string{"accuracy", "logloss", "auc"}

// PermutationOptions are the permutation method's settings.
type PermutationOptions struct {
	Repeats int    // shuffles per feature
	Metric  string // one of Metrics
}

// Params are the settings a permutation run records.
func (o PermutationOptions) Params(output int) map[string]string {
	return map[string]string{"metric": o.Metric, "repeats": strconv.Itoa(o.Repeats), "output": strconv.Itoa(output)}
}

// Permutation measures how much a metric worsens when one feature's column
// is shuffled, breaking its link to the label while keeping its
// distribution. A feature's value is the mean drop over repeats (accuracy
// and AUC: baseline minus shuffled; log loss: shuffled minus baseline, so a
// larger value always means a more important feature); its spread is the
// standard deviation over repeats. A mean drop of 0 is exactly 0: accuracy
// drops are counted in rows, other metrics' means snapped (snapZero).
// Extra[SEKey] and Extra[SEDFKey] are the value's standard error and its
// degrees of freedom: for accuracy and log loss, which are means over
// rows, the larger of the shuffles' (repeatSE) and the rows' (overRows);
// for AUC the shuffles' alone, NaN with one repeat.
func Permutation(ctx context.Context, r *Run, opts PermutationOptions) (Result, error) {
	if err := r.check(); err != nil {
		return Result{}, err
	}
	d, net := r.Data, r.Net
	if d.Labels == nil {
		return Result{}, fact.Errorf(ErrNoLabels, "permutation needs labels")
	}
	if opts.Repeats <= 0 {
		return Result{}, fmt.Errorf("permutation: repeats must be positive (got %d)", opts.Repeats)
	}
	score, err := metric(opts.Metric, net.Outputs())
	if err != nil {
		return Result{}, err
	}
	classes := max(net.Outputs(), 2)
	for i, l := range d.Labels {
		if l < 0 || l >= classes {
			return Result{}, fact.Errorf(ErrLabelClass, "row %d has label class %d (%q), but the model has classes 0 to %d", i+1, l, d.Classes[l], classes-1)
		}
	}
	in := net.Inputs()
	y, err := net.ForwardAll(ctx, d.X, d.Rows)
	if err != nil {
		return Result{}, err
	}
	baseline := score(y, d.Labels, r.Output)
	if math.IsNaN(baseline) {
		return Result{}, fmt.Errorf("metric %s is undefined on this data: AUC needs rows of both classes", opts.Metric)
	}
	sign := 1.0 // drop = sign * (baseline - shuffled)
	if opts.Metric == "logloss" {
		sign = -1
	}

	// An accuracy drop is counted in rows and divided once, so gains and
	// losses that cancel give exactly 0.
	counted := opts.Metric == "accuracy"
	baseRight := correct(y, d.Labels, net.Outputs())
	rows := float64(d.Rows)

	value, spread := make([]float64, in), make([]float64, in)
	x := slices.Clone(d.X)
	col := make([]float32, d.Rows)
	drops := make([]float64, opts.Repeats) // in rows lost when counted
	// Per-row scores, for the drop's error over rows (overRows); nil for
	// AUC, which is no mean over rows.
	rowScore := rowScorer(opts.Metric, net.Outputs())
	var base, perRow []float64
	rowsSE, rowsDF := make([]float64, in), make([]float64, in)
	if rowScore != nil {
		base, perRow = make([]float64, d.Rows), make([]float64, d.Rows)
		rowScore(y, d.Labels, base)
	}
	shuffledRow := make([]float64, d.Rows)
	for f := range in {
		for i := range d.Rows {
			col[i] = d.X[i*in+f]
		}
		scale := math.Abs(baseline)
		clear(perRow)
		for rep := range opts.Repeats {
			rng := r.rng(uint64(f)<<32 | uint64(rep))
			perm := rng.Perm(d.Rows)
			for i, j := range perm {
				x[i*in+f] = col[j]
			}
			y, err := net.ForwardAll(ctx, x, d.Rows)
			if err != nil {
				return Result{}, err
			}
			if rowScore != nil {
				rowScore(y, d.Labels, shuffledRow)
				for i := range perRow {
					perRow[i] += sign * (base[i] - shuffledRow[i]) / float64(opts.Repeats)
				}
			}
			if counted {
				drops[rep] = float64(baseRight - correct(y, d.Labels, net.Outputs()))
			} else {
				shuffled := score(y, d.Labels, r.Output)
				drops[rep] = sign * (baseline - shuffled)
				scale = max(scale, math.Abs(shuffled))
			}
			r.progress(f*opts.Repeats+rep+1, in*opts.Repeats)
		}
		for i := range d.Rows {
			x[i*in+f] = col[i]
		}
		if rowScore != nil {
			_, sd := meanStd(perRow)
			rowsSE[f], rowsDF[f] = sd/math.Sqrt(rows), rows-1
		}
		if counted {
			var lost float64
			for _, l := range drops {
				lost += l
			}
			_, sd := meanStd(drops)
			value[f], spread[f] = lost/(float64(opts.Repeats)*rows), sd/rows
			continue
		}
		value[f], spread[f] = meanStd(drops)
		value[f] = snapZero(value[f], scale)
	}
	se, df := repeatSE(value, spread, opts.Repeats)
	if rowScore != nil {
		se, df = overRows(se, df, rowsSE, rowsDF)
	}
	return Result{
		Kind: KindPermutation, Params: opts.Params(r.Output),
		Value: value, Spread: spread, Rank: RankSigned(value),
		Extra: map[string][]float64{SEKey: se, SEDFKey: df},
	}, nil
}

// rowScorer returns a function writing each row's score (1 for a right
// class and 0 for a wrong one; a row's log loss) into out, for metrics
// that are means over rows, and nil for AUC.
func rowScorer(name string, outs int) func(y []float32, labels []int, out []float64) {
	switch name {
	case "accuracy":
		return func(y []float32, labels []int, out []float64) {
			for i, l := range labels {
				out[i] = 0
				if PredictedClass(y[i*outs:(i+1)*outs]) == l {
					out[i] = 1
				}
			}
		}
	case "logloss":
		return func(y []float32, labels []int, out []float64) {
			for i, l := range labels {
				out[i] = rowLogLoss(y[i*outs:(i+1)*outs], l)
			}
		}
	}
	return nil
}

// classProb is the probability the model gives class c in a row of
// outputs: a single sigmoid output is class 1's.
func classProb(row []float32, c int) float64 {
	if len(row) == 1 {
		if c == 1 {
			return float64(row[0])
		}
		return 1 - float64(row[0])
	}
	return float64(row[c])
}

// rowLogLoss is one row's log loss, its probability clipped to [1e-7,
// 1-1e-7] so a confident mistake costs about 16 and not infinity.
func rowLogLoss(row []float32, c int) float64 {
	return -math.Log(min(max(classProb(row, c), 1e-7), 1-1e-7))
}

// overRows is, per feature, the larger of two standard errors of a
// permutation drop with its degrees of freedom: the shuffles' se and df
// (how much other shuffles of these rows would move it; NaN with one
// repeat) and the rows' rowsSE and rowsDF (how much another sample of rows
// from the same distribution would: the standard deviation over rows of
// each row's mean score drop over the shuffles, over sqrt(rows), on
// rows-1 degrees of freedom). The rows' is what tells a feature the model
// leans on from one it merely reacts to: on rows of the distribution the
// model was not trained on, shuffling a column with no link to the label
// costs nothing in expectation, yet changes a few rows' predictions, and
// what that costs on these rows is within what the rows themselves make
// uncertain. A row's mean drop holds its shuffles' noise too, so the rows'
// is usually the larger; the shuffles' stays a floor. It writes into se
// and df and returns them.
func overRows(se, df, rowsSE, rowsDF []float64) ([]float64, []float64) {
	for i := range se {
		if math.IsNaN(se[i]) || rowsSE[i] > se[i] {
			se[i], df[i] = rowsSE[i], rowsDF[i]
		}
	}
	return se, df
}

// correct counts the rows of outputs y (rows x outs) whose predicted class
// is their label.
func correct(y []float32, labels []int, outs int) int {
	right := 0
	for i, l := range labels {
		if PredictedClass(y[i*outs:(i+1)*outs]) == l {
			right++
		}
	}
	return right
}

// metric returns a scorer of outputs y (rows x outs) against labels.
func metric(name string, outs int) (func(y []float32, labels []int, output int) float64, error) {
	prob := classProb
	switch name {
	case "accuracy":
		return func(y []float32, labels []int, _ int) float64 {
			return float64(correct(y, labels, outs)) / float64(len(labels))
		}, nil
	case "logloss":
		return func(y []float32, labels []int, _ int) float64 {
			var sum float64
			for i, l := range labels {
				sum += rowLogLoss(y[i*outs:(i+1)*outs], l)
			}
			return sum / float64(len(labels))
		}, nil
	case "auc":
		if outs > 2 {
			return nil, fmt.Errorf("metric auc needs a two-class model; this one has %d outputs: use accuracy or logloss", outs)
		}
		return func(y []float32, labels []int, _ int) float64 {
			scores := make([]float64, len(labels))
			for i := range labels {
				scores[i] = prob(y[i*outs:(i+1)*outs], 1)
			}
			return auc(scores, labels)
		}, nil
	}
	return nil, fmt.Errorf("metric %q: want one of %v", name, Metrics)
}

// auc is the area under the ROC curve for class 1: the probability that a
// random positive row scores above a random negative one, ties counting a
// half (the Mann-Whitney statistic).
func auc(scores []float64, labels []int) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for _, k := range idx[i:j] {
			if labels[k] == 1 {
				rankSum += mid
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
