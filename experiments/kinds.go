package experiments

import (
	"math"
	"slices"
	"strconv"
)

// Order is how experiment kinds are laid out in every table, chart and
// export: weight-based first, then behavioural, the costliest last. It is
// a display order only; which kind speaks for a week is Telling.
var Order = []string{
	KindWeightSum, KindGarson, KindOlden,
	KindPerturb, KindPermutation, KindGradient, KindDropRetrain,
}

// OrderOf is kind's place in Order; kinds tracker does not know (imported
// under another name) come last.
func OrderOf(kind string) int {
	if i := slices.Index(Order, kind); i >= 0 {
		return i
	}
	return len(Order)
}

// Telling ranks the kinds from the most telling about what the model does
// with a feature to the least, as README and `--help` state it: the
// label-aware methods first (drop-retrain retrains without the feature,
// permutation scores the model against the labels), then the methods that
// watch the output without labels (perturb, then gradient, a local
// linearisation), then the weight-based ones, which read no data.
var Telling = []string{
	KindDropRetrain, KindPermutation, KindPerturb, KindGradient,
	KindOlden, KindGarson, KindWeightSum,
}

// MoreTelling reports whether a record of kind a says more about what the
// model does with a feature than one of kind b, by Telling; a kind
// tracker does not know tells least.
func MoreTelling(a, b string) bool { return tellingRank(a) < tellingRank(b) }

// TellingOf is how telling kind is by Telling as a number, larger for
// the more telling and 0 for a kind tracker does not know: the form of
// order tracker.SeriesRecords takes to put the most telling series first.
func TellingOf(kind string) int { return len(Telling) - tellingRank(kind) }

// tellingRank is kind's place in Telling, len(Telling) when unknown.
func tellingRank(kind string) int {
	if i := slices.Index(Telling, kind); i >= 0 {
		return i
	}
	return len(Telling)
}

// spreadOver names the parameter counting what a method's spread is taken
// over, so the standard error of its mean is spread/sqrt(count).
var spreadOver = map[string]string{
	KindPerturb: "pivots", KindPermutation: "repeats",
	KindGradient: "rows", KindDropRetrain: "seeds",
}

// StandardError is the standard error of one feature's value in a record
// of kind with params: its spread over the method's samples divided by the
// square root of their number (the spread itself when the count is
// unknown, or all rows were used).
func StandardError(kind string, params map[string]string, spread float64) float64 {
	n, err := strconv.Atoi(params[spreadOver[kind]])
	if err != nil || n < 1 {
		n = 1
	}
	return spread / math.Sqrt(float64(n))
}

// SEKey names the per-feature standard errors a sampling method stores in
// Result.Extra, computed for how that method samples (se.go: pivotSE for
// perturb, rowSE for gradient, repeatSE for drop-retrain and for
// permutation, which for accuracy and log loss takes the rows' when larger:
// overRows),
// with their degrees of freedom under SEDFKey. Both are NaN where the
// uncertainty is unknown; weight-based methods store neither.
const SEKey = "se"

// StandardErrors is r's standard error per feature: the one the method
// stored under SEKey, or for an older record one derived from its spread
// and sample count (StandardError). It is NaN where the uncertainty is
// unknown: a weight-based method (its value has no sampling error), a
// method run on one sample (one seed, one repeat of AUC), or a feature the
// record did not measure. A value with a NaN standard error supports no
// verdict.
func StandardErrors(r Result) []float64 {
	out := make([]float64, len(r.Value))
	if se := r.Extra[SEKey]; len(se) == len(r.Value) {
		copy(out, se)
		return out
	}
	n := Samples(r.Kind, r.Params)
	for i := range out {
		out[i] = math.NaN()
		if n >= 2 && i < len(r.Spread) && (r.Rank == nil || r.Rank[i] > 0) {
			out[i] = r.Spread[i] / math.Sqrt(float64(n))
		}
	}
	return out
}

// Samples is how many samples a record's spread is taken over (pivots,
// repeats, rows, seeds), from its parameters; 0 when unknown or the kind
// has none.
func Samples(kind string, params map[string]string) int {
	key, ok := spreadOver[kind]
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(params[key])
	if err != nil {
		return 0
	}
	return n
}
