package quality

import (
	"encoding/json"
	"math"
	"strconv"
)

// number is a float64 in JSON: NaN (not defined) as null, which
// encoding/json cannot write for a float64, and 12 significant digits,
// which keep every digit a metric of up to 10^12 rows resolves and drop
// float64 noise such as 0.30000000000000004.
type number float64

func (x number) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', 12, 64), nil
}

func (x *number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = number(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*x = number(f)
	return nil
}

// The wire forms: Metrics and Churn with their float64s as numbers, in the
// order of Names and ChurnNames.
type (
	metricsJSON struct {
		Rows              int               `json:"rows"`
		Classes           int               `json:"classes"`
		BaseRate          number            `json:"base_rate"`
		Accuracy          number            `json:"accuracy"`
		LogLoss           number            `json:"logloss"`
		AUC               number            `json:"auc"`
		Brier             number            `json:"brier"`
		ECE               number            `json:"ece"`
		PredictedPositive number            `json:"predicted_positive"`
		SE                seJSON            `json:"se"`
		Reasons           map[string]string `json:"not_defined,omitempty"`
	}
	seJSON struct {
		Rows              number `json:"rows"`
		BaseRate          number `json:"base_rate"`
		Accuracy          number `json:"accuracy"`
		LogLoss           number `json:"logloss"`
		AUC               number `json:"auc"`
		Brier             number `json:"brier"`
		ECE               number `json:"ece"`
		PredictedPositive number `json:"predicted_positive"`
	}
	churnJSON struct {
		Rows                   int               `json:"rows"`
		Classes                int               `json:"classes"`
		Churn                  number            `json:"churn"`
		MeanAbsChangeP1        number            `json:"mean_abs_change_p1"`
		MeanAbsChangePredicted number            `json:"mean_abs_change_predicted"`
		NegativeFlipRate       number            `json:"negative_flip_rate"`
		SE                     churnSEJSON       `json:"se"`
		Reasons                map[string]string `json:"not_defined,omitempty"`
	}
	churnSEJSON struct {
		Rows                   number `json:"rows"`
		Churn                  number `json:"churn"`
		MeanAbsChangeP1        number `json:"mean_abs_change_p1"`
		MeanAbsChangePredicted number `json:"mean_abs_change_predicted"`
		NegativeFlipRate       number `json:"negative_flip_rate"`
	}
)

// MarshalJSON writes m with the keys of its field tags, NaN as null and
// 12 significant digits.
func (m Metrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricsJSON{m.Rows, m.Classes, number(m.BaseRate), number(m.Accuracy), number(m.LogLoss), number(m.AUC),
		number(m.Brier), number(m.ECE), number(m.PredictedPositive), m.SE.numbers(), m.Reasons})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var w metricsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Metrics{w.Rows, w.Classes, float64(w.BaseRate), float64(w.Accuracy), float64(w.LogLoss), float64(w.AUC),
		float64(w.Brier), float64(w.ECE), float64(w.PredictedPositive), StandardErrors{
			float64(w.SE.Rows), float64(w.SE.BaseRate), float64(w.SE.Accuracy), float64(w.SE.LogLoss),
			float64(w.SE.AUC), float64(w.SE.Brier), float64(w.SE.ECE), float64(w.SE.PredictedPositive)}, w.Reasons}
	return nil
}

func (s StandardErrors) numbers() seJSON {
	return seJSON{number(s.Rows), number(s.BaseRate), number(s.Accuracy), number(s.LogLoss), number(s.AUC), number(s.Brier), number(s.ECE), number(s.PredictedPositive)}
}

// MarshalJSON writes c with the keys of its field tags, NaN as null and
// 12 significant digits.
func (c Churn) MarshalJSON() ([]byte, error) {
	s := c.SE
	return json.Marshal(churnJSON{c.Rows, c.Classes, number(c.Churn), number(c.MeanAbsChangeP1), number(c.MeanAbsChangePredicted), number(c.NegativeFlipRate),
		churnSEJSON{number(s.Rows), number(s.Churn), number(s.MeanAbsChangeP1), number(s.MeanAbsChangePredicted), number(s.NegativeFlipRate)}, c.Reasons})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (c *Churn) UnmarshalJSON(b []byte) error {
	var w churnJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s := w.SE
	*c = Churn{w.Rows, w.Classes, float64(w.Churn), float64(w.MeanAbsChangeP1), float64(w.MeanAbsChangePredicted), float64(w.NegativeFlipRate),
		ChurnErrors{float64(s.Rows), float64(s.Churn), float64(s.MeanAbsChangeP1), float64(s.MeanAbsChangePredicted), float64(s.NegativeFlipRate)}, w.Reasons}
	return nil
}
