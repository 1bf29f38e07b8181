package experiments

import (
	"math"
	"slices"
	"strconv"
)

// Order is how experiment kinds are laid out in every table, chart and
// export: weight-based first, then behavioural, the costliest last. Where
// one method must speak for a week, the later a kind comes here the more
// telling it is taken to be (see MoreTelling).
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

// MoreTelling reports whether a record of kind a says more about what the
// model does with a feature than one of kind b: behavioural methods over
// weight-based ones, and among those the later in Order.
func MoreTelling(a, b string) bool { return OrderOf(a) > OrderOf(b) }

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
// Result.Extra, computed for how that method samples.
const SEKey = "se"

// StandardErrors is r's standard error per feature: the one the method
// stored under SEKey, or for an older record one derived from its spread
// and sample count (StandardError). It is NaN where the uncertainty is
// unknown: a weight-based method (its value has no sampling error), a
// method run on one sample (one seed, one repeat), or a feature the
// record did not measure. A value with a NaN standard error supports no
// verdict.
func StandardErrors(r Result) []float64 {
	out := make([]float64, len(r.Value))
	if se := r.Extra[SEKey]; len(se) == len(r.Value) {
		copy(out, se)
		return out
	}
	n := samples(r.Kind, r.Params)
	for i := range out {
		out[i] = math.NaN()
		if n >= 2 && i < len(r.Spread) && (r.Rank == nil || r.Rank[i] > 0) {
			out[i] = r.Spread[i] / math.Sqrt(float64(n))
		}
	}
	return out
}

// samples is how many samples a record's spread is taken over, from its
// parameters; 0 when unknown or the kind has none.
func samples(kind string, params map[string]string) int {
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
