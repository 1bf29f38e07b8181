package quality

import (
	"math"
	"slices"

	"github.com/tracker-ml/tracker/internal/fact"
)

// Churn is how two models' predictions on the same rows differ: A is the
// one before (last week's), B the one after. Shares are of all rows.
type Churn struct {
	Rows    int `json:"rows"`
	Classes int `json:"classes"`
	// Churn is the share of rows whose predicted class differs between A
	// and B (Cormier et al. 2016's prediction churn).
	Churn float64 `json:"churn"`
	// MeanAbsChangeP1 is, for two classes, the mean over rows of
	// |p_B(class 1) - p_A(class 1)|; NaN for more.
	MeanAbsChangeP1 float64 `json:"mean_abs_change_p1"`
	// MeanAbsChangePredicted is the mean over rows of |p_B(c) - p_A(c)|
	// with c the class A predicted: how far the new model moved the old
	// model's decision. For two classes it equals MeanAbsChangeP1.
	MeanAbsChangePredicted float64 `json:"mean_abs_change_predicted"`
	// NegativeFlipRate is the share of rows A predicted right and B
	// predicts wrong (Yan et al. 2021): the regressions a user meets. NaN
	// without labels.
	NegativeFlipRate float64 `json:"negative_flip_rate"`
	// SE holds each value's standard error over rows: binomial for the
	// shares (Churn, NegativeFlipRate), the standard deviation over
	// sqrt(n) for the means. Rows' is 0.
	SE ChurnErrors `json:"se"`
	// Reasons says why a value is NaN, keyed by its name in ChurnNames;
	// a key name+"_se" says why only its standard error is.
	Reasons map[string]string `json:"not_defined,omitempty"`
}

// ChurnErrors are the standard errors of a Churn's values.
type ChurnErrors struct {
	Rows                   float64 `json:"rows"`
	Churn                  float64 `json:"churn"`
	MeanAbsChangeP1        float64 `json:"mean_abs_change_p1"`
	MeanAbsChangePredicted float64 `json:"mean_abs_change_predicted"`
	NegativeFlipRate       float64 `json:"negative_flip_rate"`
}

var churnNames = []string{"rows", "churn", "mean_abs_change_p1", "mean_abs_change_predicted", "negative_flip_rate"}

// ChurnNames lists Churn's values in the order its Values gives them; the
// names are the JSON keys.
func ChurnNames() []string { return slices.Clone(churnNames) }

// Values lists c's values in the order of ChurnNames.
func (c Churn) Values() []float64 {
	return []float64{float64(c.Rows), c.Churn, c.MeanAbsChangeP1, c.MeanAbsChangePredicted, c.NegativeFlipRate}
}

// Values lists the standard errors in the order of ChurnNames.
func (s ChurnErrors) Values() []float64 {
	return []float64{s.Rows, s.Churn, s.MeanAbsChangeP1, s.MeanAbsChangePredicted, s.NegativeFlipRate}
}

// Compare measures how predictions b differ from predictions a on the
// same n rows, both row-major n x k. labels may be nil (then
// NegativeFlipRate is NaN); otherwise it has one class number per row.
// The rows are paired, so the standard errors are of the paired
// per-row differences: no independence between A and B is assumed.
func Compare(a, b []float64, k int, labels []int) (Churn, error) {
	if k < 2 {
		return Churn{}, fact.Errorf(ErrShape, "predictions have %d classes, want at least 2 (pass one sigmoid output p as the two columns 1-p, p)", k)
	}
	if len(a) != len(b) {
		return Churn{}, fact.Errorf(ErrShape, "predictions a hold %d numbers and b %d: compare two models on the same rows", len(a), len(b))
	}
	n := len(a) / k
	if labels != nil {
		if err := check("a", a, k, labels); err != nil {
			return Churn{}, err
		}
		if err := check("b", b, k, labels); err != nil {
			return Churn{}, err
		}
	} else {
		switch {
		case len(a) == 0:
			return Churn{}, fact.Errorf(ErrNoRows, "no rows to compare predictions on")
		case len(a)%k != 0:
			return Churn{}, fact.Errorf(ErrShape, "predictions hold %d numbers, not a whole number of rows of %d classes", len(a), k)
		}
		if err := checkProbs("predictions a", a, k); err != nil {
			return Churn{}, err
		}
		if err := checkProbs("predictions b", b, k); err != nil {
			return Churn{}, err
		}
	}

	c := Churn{Rows: n, Classes: k, Reasons: map[string]string{}}
	dp1 := make([]float64, n)
	dpred := make([]float64, n)
	differ, flips := 0, 0
	for i := range n {
		ra, rb := a[i*k:(i+1)*k], b[i*k:(i+1)*k]
		ca, cb := argmax(ra), argmax(rb)
		if ca != cb {
			differ++
		}
		if labels != nil && ca == labels[i] && cb != labels[i] {
			flips++
		}
		dp1[i] = math.Abs(rb[1] - ra[1])
		dpred[i] = math.Abs(rb[ca] - ra[ca])
	}
	nf := float64(n)
	c.Churn = float64(differ) / nf
	c.SE.Churn = binomialSE(c.Churn, n)
	c.MeanAbsChangePredicted, c.SE.MeanAbsChangePredicted = meanSE(dpred)
	if k == 2 {
		c.MeanAbsChangeP1, c.SE.MeanAbsChangeP1 = meanSE(dp1)
	} else {
		c.MeanAbsChangeP1, c.SE.MeanAbsChangeP1 = math.NaN(), math.NaN()
		c.Reasons["mean_abs_change_p1"] = "defined for two classes only: class 1 is no positive class among several"
	}
	if labels != nil {
		c.NegativeFlipRate = float64(flips) / nf
		c.SE.NegativeFlipRate = binomialSE(c.NegativeFlipRate, n)
	} else {
		c.NegativeFlipRate, c.SE.NegativeFlipRate = math.NaN(), math.NaN()
		c.Reasons["negative_flip_rate"] = "no labels: a flip from right to wrong needs each row's label"
	}
	if n < 2 {
		c.SE = ChurnErrors{0, math.NaN(), math.NaN(), math.NaN(), math.NaN()}
		for _, name := range churnNames[1:] { // rows: a count, exact
			if _, ok := c.Reasons[name]; !ok {
				c.Reasons[name+"_se"] = "one row: a standard error needs at least 2"
			}
		}
	}
	if len(c.Reasons) == 0 {
		c.Reasons = nil
	}
	return c, nil
}
