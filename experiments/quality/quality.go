package quality

import (
	"fmt"
	"math"
	"slices"

	"github.com/tracker-ml/tracker/internal/fact"
)

// LogLossClip is how far from 0 and 1 a probability is clipped before its
// log is taken: Keras's epsilon, which the model's own training loss and
// tracker's permutation log loss use, so a week's log loss reads on the
// scale the training history shows. A confident mistake (p = 0 for the
// true class) then costs -ln(1e-7) ≈ 16.1 and not infinity. scikit-learn's
// log_loss gives the same with eps=1e-7.
const LogLossClip = 1e-7

// RowSumTolerance is how far a row of probabilities may sum from 1: wide
// enough for float32 softmax outputs of hundreds of classes (each rounds
// by about 6e-8), narrow enough that logits or unnormalised scores, which
// almost never sum to 1, are refused rather than scored as probabilities.
const RowSumTolerance = 1e-3

// Bins is the number of equal-mass bins of the expected calibration
// error: the usual choice (Guo et al. 2017 use 15 equal-width; Nixon et
// al. 2019 argue for equal mass), few enough that each bin of a weekly
// sample of thousands of rows holds hundreds.
const Bins = 10

// Metrics is the quality of one model's predictions on labelled rows.
// Every value but Rows and Classes is a float64 that is NaN only where
// Reasons says it is not defined.
type Metrics struct {
	Rows    int `json:"rows"`
	Classes int `json:"classes"`
	// BaseRate is, for two classes, the share of rows of class 1; for
	// more, the share of the most common class (the accuracy of always
	// guessing it).
	BaseRate float64 `json:"base_rate"`
	// Accuracy is the share of rows whose predicted class is their label.
	Accuracy float64 `json:"accuracy"`
	// LogLoss is the mean over rows of -ln p(label), each row's
	// probabilities clipped to [LogLossClip, 1-LogLossClip] and divided by
	// their sum.
	LogLoss float64 `json:"logloss"`
	// AUC is, for two classes, the area under the ROC curve of p(class 1):
	// the chance a random row of class 1 scores above a random row of
	// class 0, ties counting a half. For more classes it is the mean over
	// classes of each class's one-vs-rest AUC (scikit-learn's
	// multi_class="ovr", average="macro"). NaN when a class has no rows.
	AUC float64 `json:"auc"`
	// Brier is, for two classes, the mean of (p(class 1) - y)^2
	// (scikit-learn's brier_score_loss, 0 to 1); for more, Brier's own
	// (1950) sum over classes, the mean of sum_c (p_c - [label = c])^2 (0
	// to 2).
	Brier float64 `json:"brier"`
	// ECE is the expected calibration error over Bins equal-mass bins of
	// the predicted class's probability (the confidence): the sum over
	// bins of the bin's share of rows times |accuracy - mean confidence|
	// in the bin. Equal confidences always share a bin.
	ECE float64 `json:"ece"`
	// PredictedPositive is, for two classes, the share of rows predicted
	// class 1; NaN for more.
	PredictedPositive float64 `json:"predicted_positive"`
	// SE holds each metric's standard error over rows.
	SE StandardErrors `json:"se"`
	// Reasons says why a value is NaN, keyed by its name in Names; a key
	// name+"_se" says why only its standard error is.
	Reasons map[string]string `json:"not_defined,omitempty"`
}

// StandardErrors are the standard errors of a Metrics' values: how far
// each would move if another sample of as many rows were drawn from the
// same distribution and the same model scored them.
//
//   - Rows: 0, a count and no estimate.
//   - BaseRate, Accuracy, PredictedPositive: binomial, sqrt(p(1-p)/n).
//   - LogLoss, Brier: the standard deviation of the per-row losses over
//     sqrt(n), as for any mean.
//   - AUC: DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988) by
//     Sun & Xu's (2014) midrank algorithm; for more classes the same
//     placement values linearise the macro mean.
//   - ECE: each bin's gap |accuracy - confidence| as a folded normal
//     around its observed gap, bins independent (see ece).
//
// All need at least two rows.
type StandardErrors struct {
	Rows              float64 `json:"rows"`
	BaseRate          float64 `json:"base_rate"`
	Accuracy          float64 `json:"accuracy"`
	LogLoss           float64 `json:"logloss"`
	AUC               float64 `json:"auc"`
	Brier             float64 `json:"brier"`
	ECE               float64 `json:"ece"`
	PredictedPositive float64 `json:"predicted_positive"`
}

// names is the fixed order of Names, Values and StandardErrors.Values.
var names = []string{"rows", "base_rate", "accuracy", "logloss", "auc", "brier", "ece", "predicted_positive"}

// Names lists the metrics in the order Values gives them, which is the
// order a record stores them and a query shows them; the names are the
// JSON keys.
func Names() []string { return slices.Clone(names) }

// Values lists m's values in the order of Names, Rows as a float64.
func (m Metrics) Values() []float64 {
	return []float64{float64(m.Rows), m.BaseRate, m.Accuracy, m.LogLoss, m.AUC, m.Brier, m.ECE, m.PredictedPositive}
}

// Values lists the standard errors in the order of Names.
func (s StandardErrors) Values() []float64 {
	return []float64{s.Rows, s.BaseRate, s.Accuracy, s.LogLoss, s.AUC, s.Brier, s.ECE, s.PredictedPositive}
}

// Evaluate measures predictions probs (row-major, len(labels) rows of k
// class probabilities) against labels (class numbers 0..k-1). It returns
// an error matching ErrNoRows, ErrShape, ErrLabel or ErrProbability for
// input it cannot score; a metric that is not defined on valid input (AUC
// with one class present) is NaN with its reason in Metrics.Reasons.
func Evaluate(probs []float64, k int, labels []int) (Metrics, error) {
	if err := check("", probs, k, labels); err != nil {
		return Metrics{}, err
	}
	n := len(labels)
	m := Metrics{Rows: n, Classes: k, Reasons: map[string]string{}}
	nf := float64(n)

	counts := make([]int, k)
	loss := make([]float64, n)
	brier := make([]float64, n)
	conf := make([]float64, n)
	hit := make([]bool, n)
	right, predPos := 0, 0
	for i, y := range labels {
		row := probs[i*k : (i+1)*k]
		counts[y]++
		c := argmax(row)
		conf[i] = row[c]
		if c == y {
			hit[i] = true
			right++
		}
		if c == 1 {
			predPos++
		}
		loss[i] = rowLogLoss(row, y)
		brier[i] = rowBrier(row, y)
	}

	if k == 2 {
		m.BaseRate = float64(counts[1]) / nf
	} else {
		m.BaseRate = float64(slices.Max(counts)) / nf
	}
	m.SE.BaseRate = binomialSE(m.BaseRate, n)
	m.Accuracy = float64(right) / nf
	m.SE.Accuracy = binomialSE(m.Accuracy, n)
	m.LogLoss, m.SE.LogLoss = meanSE(loss)
	m.Brier, m.SE.Brier = meanSE(brier)
	m.ECE, m.SE.ECE = ece(conf, hit)
	if k == 2 {
		m.PredictedPositive = float64(predPos) / nf
		m.SE.PredictedPositive = binomialSE(m.PredictedPositive, n)
	} else {
		m.PredictedPositive, m.SE.PredictedPositive = math.NaN(), math.NaN()
		m.Reasons["predicted_positive"] = "defined for two classes only: there is no one positive class among several"
	}

	m.AUC, m.SE.AUC = math.NaN(), math.NaN()
	if absent := slices.Index(counts, 0); absent >= 0 {
		present := k - countZero(counts)
		if k == 2 {
			m.Reasons["auc"] = fmt.Sprintf("one class present: every row is class %d, and AUC compares rows of class 1 with rows of class 0", 1-absent)
		} else {
			m.Reasons["auc"] = fmt.Sprintf("class %d has no rows (%d of %d classes present), so its one-vs-rest AUC, and their mean, is not defined", absent, present, k)
		}
	} else if k == 2 {
		m.AUC, m.SE.AUC = binaryAUC(probs, labels)
		if math.IsNaN(m.SE.AUC) && n >= 2 {
			m.Reasons["auc_se"] = "DeLong's variance needs at least 2 rows of each class"
		}
	} else {
		m.AUC, m.SE.AUC = macroAUC(probs, k, labels, counts)
	}

	if n < 2 {
		m.SE = StandardErrors{0, math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}
		for _, name := range names[1:] { // rows: a count, exact
			if _, ok := m.Reasons[name]; !ok {
				m.Reasons[name+"_se"] = "one row: a standard error needs at least 2"
			}
		}
	} else if math.IsNaN(m.SE.ECE) {
		m.Reasons["ece_se"] = fmt.Sprintf("a calibration bin holds fewer than 2 rows (%d rows in %d bins)", n, Bins)
	}
	if len(m.Reasons) == 0 {
		m.Reasons = nil
	}
	return m, nil
}

// check returns the error for input Evaluate or Compare cannot score;
// which names the predictions ("" for Evaluate, "a" or "b" for Compare).
func check(which string, probs []float64, k int, labels []int) error {
	of := "predictions"
	if which != "" {
		of = "predictions " + which
	}
	n := len(labels)
	switch {
	case k < 2:
		return fact.Errorf(ErrShape, "%s have %d classes, want at least 2 (pass one sigmoid output p as the two columns 1-p, p)", of, k)
	case n == 0:
		return fact.Errorf(ErrNoRows, "no labelled rows to measure %s on", of)
	case len(probs) != n*k:
		return fact.Errorf(ErrShape, "%s hold %d numbers, want %d rows x %d classes = %d (one row per label)", of, len(probs), n, k, n*k)
	}
	for i, y := range labels {
		if y < 0 || y >= k {
			return fact.Errorf(ErrLabel, "row %d has label %d, want a class number 0 to %d for a model of %d classes", i, y, k-1, k)
		}
	}
	return checkProbs(of, probs, k)
}

// checkProbs refuses values that are not probabilities, naming the first.
func checkProbs(of string, probs []float64, k int) error {
	for i := 0; i*k < len(probs); i++ {
		row := probs[i*k : (i+1)*k]
		sum := 0.0
		for c, p := range row {
			if !(p >= 0 && p <= 1) { // NaN fails both
				return fact.Errorf(ErrProbability, "%s: row %d class %d is %v, want a probability in [0, 1] (softmax outputs, not logits)", of, i, c, p)
			}
			sum += p
		}
		if math.Abs(sum-1) > RowSumTolerance {
			return fact.Errorf(ErrProbability, "%s: row %d sums to %.6g, want 1 within %g (softmax outputs of one model, every class)", of, i, sum, RowSumTolerance)
		}
	}
	return nil
}

// argmax is the first class of largest probability.
func argmax(row []float64) int {
	best := 0
	for c, p := range row {
		if p > row[best] {
			best = c
		}
	}
	return best
}

// rowLogLoss is one row's log loss: its probabilities clipped to
// [LogLossClip, 1-LogLossClip] and divided by their sum (so a clipped row
// is a distribution again), then -ln of the label's. This is
// scikit-learn's log_loss with eps=1e-7; Keras divides before clipping,
// which differs only for rows within 1e-7 of certainty, by under k x 1e-7.
func rowLogLoss(row []float64, y int) float64 {
	sum := 0.0
	for _, p := range row {
		sum += clip(p)
	}
	return -math.Log(clip(row[y]) / sum)
}

func clip(p float64) float64 { return min(max(p, LogLossClip), 1-LogLossClip) }

// rowBrier is one row's Brier score: (p1 - y)^2 for two classes, the sum
// over classes of (p_c - [y = c])^2 for more.
func rowBrier(row []float64, y int) float64 {
	if len(row) == 2 {
		d := row[1] - float64(y)
		return d * d
	}
	s := 0.0
	for c, p := range row {
		if c == y {
			p -= 1
		}
		s += p * p
	}
	return s
}

// binomialSE is the standard error of a share p of n rows: sqrt(p(1-p)/n),
// the plug-in (Wald) form, which is 0 when p is 0 or 1. NaN for one row.
func binomialSE(p float64, n int) float64 {
	if n < 2 {
		return math.NaN()
	}
	return math.Sqrt(p * (1 - p) / float64(n))
}

// meanSE is the mean of x and its standard error, the sample standard
// deviation over sqrt(n) (NaN for one value), from two passes so that a
// small spread around a large mean keeps its digits.
func meanSE(x []float64) (mean, se float64) {
	for _, v := range x {
		mean += v
	}
	n := float64(len(x))
	mean /= n
	if len(x) < 2 {
		return mean, math.NaN()
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}

func countZero(xs []int) int {
	z := 0
	for _, x := range xs {
		if x == 0 {
			z++
		}
	}
	return z
}
