package quality

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// two builds two-class predictions from p(class 1) per row.
func two(p1 ...float64) []float64 {
	out := make([]float64, 0, 2*len(p1))
	for _, p := range p1 {
		out = append(out, 1-p, p)
	}
	return out
}

func TestEvaluateRefusesWhatItCannotScore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		probs  []float64
		k      int
		labels []int
		kind   error
		says   string
	}{
		{"no rows", nil, 2, nil, ErrNoRows, "no labelled rows"},
		{"one class column", []float64{0.3, 0.4}, 1, []int{0, 1}, ErrShape, "have 1 classes, want at least 2"},
		{"fewer numbers than rows x classes", two(0.3, 0.4)[:3], 2, []int{0, 1}, ErrShape, "hold 3 numbers, want 2 rows x 2 classes = 4"},
		{"a negative label", two(0.3, 0.4), 2, []int{0, -1}, ErrLabel, "row 1 has label -1, want a class number 0 to 1"},
		{"a label past the last class", two(0.3, 0.4), 2, []int{2, 0}, ErrLabel, "row 0 has label 2"},
		{"a NaN probability", two(0.3, math.NaN()), 2, []int{0, 1}, ErrProbability, "row 1 class 0 is NaN"},
		{"an infinite probability", []float64{math.Inf(1), 0}, 2, []int{0}, ErrProbability, "row 0 class 0 is +Inf"},
		{"a negative probability", []float64{1.2, -0.2}, 2, []int{0}, ErrProbability, "row 0 class 0 is 1.2, want a probability in [0, 1]"},
		{"a row of logits", []float64{0.9, 0.9}, 2, []int{0}, ErrProbability, "row 0 sums to 1.8, want 1 within 0.001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(tc.probs, tc.k, tc.labels)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %v, want one matching %v that says %q", err, tc.kind, tc.says)
			}
		})
	}
}

func TestEvaluateEdgeCases(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name    string
		probs   []float64
		k       int
		labels  []int
		want    Metrics   // the values checked; SE as listed in se
		se      []float64 // -1: not checked here
		reasons []string
	}{
		{
			name:   "one class present leaves AUC undefined and scores the rest",
			probs:  two(0.8, 0.6, 0.3, 0.9),
			k:      2,
			labels: []int{1, 1, 1, 1},
			want: Metrics{Rows: 4, Classes: 2, BaseRate: 1, Accuracy: 0.75, AUC: nan,
				LogLoss: -(math.Log(0.8) + math.Log(0.6) + math.Log(0.3) + math.Log(0.9)) / 4,
				// four rows, four bins of one: gaps 0.4, 0.7, 0.2, 0.1
				Brier: (0.04 + 0.16 + 0.49 + 0.01) / 4, ECE: (0.4 + 0.7 + 0.2 + 0.1) / 4, PredictedPositive: 0.75},
			se:      []float64{0, 0, math.Sqrt(0.75 * 0.25 / 4), -1, nan, -1, nan, math.Sqrt(0.75 * 0.25 / 4)},
			reasons: []string{"auc", "ece_se"},
		},
		{
			name:   "constant predictions give AUC one half with no error, and one calibration bin",
			probs:  two(0.3, 0.3, 0.3, 0.3, 0.3),
			k:      2,
			labels: []int{1, 0, 0, 1, 0},
			want: Metrics{Rows: 5, Classes: 2, BaseRate: 0.4, Accuracy: 0.6, AUC: 0.5,
				LogLoss: -(2*math.Log(0.3) + 3*math.Log(0.7)) / 5, Brier: (2*0.49 + 3*0.09) / 5,
				ECE: math.Abs(0.6 - 0.7), PredictedPositive: 0},
			se: []float64{0, math.Sqrt(0.24 / 5), math.Sqrt(0.24 / 5), -1, 0, -1, -1, 0},
		},
		{
			name:   "probabilities of 0 and 1 are clipped, so a confident mistake costs ln 1e7",
			probs:  two(1, 0, 0),
			k:      2,
			labels: []int{1, 0, 1},
			want: Metrics{Rows: 3, Classes: 2, BaseRate: 2.0 / 3, Accuracy: 2.0 / 3, AUC: 0.75,
				LogLoss: (-2*math.Log(1-1e-7) - math.Log(1e-7)) / 3, Brier: 1.0 / 3,
				ECE: 1.0 / 3, PredictedPositive: 1.0 / 3},
			se: []float64{0, math.Sqrt(2.0 / 9 / 3), math.Sqrt(2.0 / 9 / 3), -1, -1, -1, -1, math.Sqrt(2.0 / 9 / 3)},
		},
		{
			name:   "one row has values and no standard errors",
			probs:  two(0.8),
			k:      2,
			labels: []int{1},
			want: Metrics{Rows: 1, Classes: 2, BaseRate: 1, Accuracy: 1, AUC: nan, LogLoss: -math.Log(0.8),
				Brier: 0.04, ECE: 0.2, PredictedPositive: 1},
			se:      []float64{0, nan, nan, nan, nan, nan, nan, nan},
			reasons: []string{"auc", "base_rate_se", "accuracy_se", "logloss_se", "brier_se", "ece_se", "predicted_positive_se"},
		},
		{
			name:   "three classes: largest class's share, macro AUC, Brier summed over classes, no predicted positive",
			probs:  []float64{0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.5, 0.2, 0.3},
			k:      3,
			labels: []int{0, 1, 2, 1},
			// class 1 against the rest: 0.5 beats 0.2 and 0.3, 0.2 ties
			// 0.2 and loses to 0.3: 2.5 of 4 pairs.
			want: Metrics{Rows: 4, Classes: 3, BaseRate: 0.5, Accuracy: 0.75, AUC: (1 + 0.625 + 1) / 3,
				LogLoss: -(math.Log(0.7) + math.Log(0.5) + math.Log(0.6) + math.Log(0.2)) / 4,
				Brier:   (0.14 + 0.38 + 0.26 + 0.98) / 4,
				// confidences 0.5 (right), 0.5 (wrong) share a bin; then
				// 0.6 and 0.7, both right
				ECE: 0.5*0 + 0.25*0.4 + 0.25*0.3, PredictedPositive: nan},
			reasons: []string{"predicted_positive", "ece_se"},
		},
		{
			name:   "three classes with one absent: AUC not defined",
			probs:  []float64{0.7, 0.2, 0.1, 0.2, 0.5, 0.3},
			k:      3,
			labels: []int{0, 1},
			want: Metrics{Rows: 2, Classes: 3, BaseRate: 0.5, Accuracy: 1, AUC: nan,
				LogLoss: -(math.Log(0.7) + math.Log(0.5)) / 2, Brier: (0.14 + 0.38) / 2, ECE: 0.4, PredictedPositive: nan},
			reasons: []string{"auc", "predicted_positive", "ece_se"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Evaluate(tc.probs, tc.k, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			if m.Rows != tc.want.Rows || m.Classes != tc.want.Classes {
				t.Errorf("rows %d classes %d, want %d and %d", m.Rows, m.Classes, tc.want.Rows, tc.want.Classes)
			}
			got, want := m.Values(), tc.want.Values()
			for j, name := range names {
				if !same(got[j], want[j]) {
					t.Errorf("%s = %v, want %v", name, got[j], want[j])
				}
			}
			if tc.se != nil {
				for j, name := range names {
					if g := m.SE.Values()[j]; tc.se[j] != -1 && !same(g, tc.se[j]) {
						t.Errorf("%s's standard error = %v, want %v", name, g, tc.se[j])
					}
				}
			}
			for _, key := range tc.reasons {
				if m.Reasons[key] == "" {
					t.Errorf("no reason for %s; reasons: %v", key, m.Reasons)
				}
			}
			checkNaNsExplained(t, m)
		})
	}
}

// same compares floats within 1e-12 relative, NaN equal to NaN.
func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-12*max(1, math.Abs(b))
}

// checkNaNsExplained fails for a NaN value or standard error that
// Reasons does not explain, and for a reason given for a number that is
// not NaN.
func checkNaNsExplained(t testing.TB, m Metrics) {
	t.Helper()
	v, se := m.Values(), m.SE.Values()
	for j, name := range names {
		_, valueWhy := m.Reasons[name]
		_, seWhy := m.Reasons[name+"_se"]
		if math.IsNaN(v[j]) != valueWhy {
			t.Errorf("%s = %v, reason %q", name, v[j], m.Reasons[name])
		}
		if math.IsNaN(se[j]) != (valueWhy || seWhy) {
			t.Errorf("%s's standard error = %v, reasons %q, %q", name, se[j], m.Reasons[name], m.Reasons[name+"_se"])
		}
	}
}

func TestCalibrationBinsKeepEqualConfidencesTogether(t *testing.T) {
	// 20 rows: 12 of confidence 0.6 (a run across the cuts after rows 2,
	// 4, ..., 10), then 8 of 0.9. Cuts inside a run move to its end, so
	// the bins are the 12 rows of 0.6 (7 right) and the 8 of 0.9 (4
	// right).
	var probs []float64
	var labels []int
	for i := range 12 {
		probs = append(probs, 0.4, 0.6)
		labels = append(labels, min(1, i%12/5)) // rows 0-4 wrong, 5-11 right
	}
	for i := range 8 {
		probs = append(probs, 0.1, 0.9)
		labels = append(labels, i%2) // 4 of 8 right, one per pair
	}
	m, err := Evaluate(probs, 2, labels)
	if err != nil {
		t.Fatal(err)
	}
	want := 12.0/20*math.Abs(7.0/12-0.6) + 8.0/20*math.Abs(0.5-0.9)
	if !same(m.ECE, want) {
		t.Errorf("ECE = %v, want %v", m.ECE, want)
	}
	// The rows' order must not matter.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(labels), func(i, j int) {
			labels[i], labels[j] = labels[j], labels[i]
			probs[2*i], probs[2*j] = probs[2*j], probs[2*i]
			probs[2*i+1], probs[2*j+1] = probs[2*j+1], probs[2*i+1]
		})
		s, err := Evaluate(probs, 2, labels)
		if err != nil {
			t.Fatal(err)
		}
		if !same(s.ECE, m.ECE) || !same(s.SE.ECE, m.SE.ECE) || !same(s.AUC, m.AUC) || !same(s.SE.AUC, m.SE.AUC) {
			t.Fatalf("shuffled rows give ECE %v ± %v and AUC %v ± %v, in order %v ± %v and %v ± %v", s.ECE, s.SE.ECE, s.AUC, s.SE.AUC, m.ECE, m.SE.ECE, m.AUC, m.SE.AUC)
		}
	}
}

func TestCompare(t *testing.T) {
	a := two(0.9, 0.2, 0.6, 0.4)
	b := two(0.7, 0.3, 0.4, 0.6)
	labels := []int{1, 0, 1, 0}
	c, err := Compare(a, b, 2, labels)
	if err != nil {
		t.Fatal(err)
	}
	// Rows 2 and 3 change class; A had both right, B has both wrong.
	want := Churn{Rows: 4, Classes: 2, Churn: 0.5, MeanAbsChangeP1: 0.7 / 4, MeanAbsChangePredicted: 0.7 / 4, NegativeFlipRate: 0.5}
	for j, name := range churnNames {
		if g, w := c.Values()[j], want.Values()[j]; !same(g, w) {
			t.Errorf("%s = %v, want %v", name, g, w)
		}
	}
	if !same(c.SE.Churn, 0.25) || !same(c.SE.NegativeFlipRate, 0.25) {
		t.Errorf("binomial standard errors %v and %v, want sqrt(0.25/4) = 0.25", c.SE.Churn, c.SE.NegativeFlipRate)
	}

	t.Run("without labels the flip rate is not defined", func(t *testing.T) {
		c, err := Compare(a, b, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(c.NegativeFlipRate) || c.Reasons["negative_flip_rate"] == "" || c.Churn != 0.5 {
			t.Errorf("flip rate %v (reason %q), churn %v", c.NegativeFlipRate, c.Reasons["negative_flip_rate"], c.Churn)
		}
	})
	t.Run("the same model does not churn", func(t *testing.T) {
		c, err := Compare(a, a, 2, labels)
		if err != nil {
			t.Fatal(err)
		}
		if c.Churn != 0 || c.MeanAbsChangeP1 != 0 || c.NegativeFlipRate != 0 || c.SE.Churn != 0 {
			t.Errorf("a against itself: %+v", c)
		}
	})
	t.Run("three classes: change of the class A predicted, no class 1", func(t *testing.T) {
		a3 := []float64{0.5, 0.3, 0.2, 0.1, 0.1, 0.8}
		b3 := []float64{0.3, 0.5, 0.2, 0.1, 0.2, 0.7}
		c, err := Compare(a3, b3, 3, []int{0, 2})
		if err != nil {
			t.Fatal(err)
		}
		if !same(c.MeanAbsChangePredicted, 0.15) || !math.IsNaN(c.MeanAbsChangeP1) || c.Reasons["mean_abs_change_p1"] == "" || c.Churn != 0.5 || c.NegativeFlipRate != 0.5 {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("refuses models of other rows", func(t *testing.T) {
		if _, err := Compare(a, a[:6], 2, nil); !errors.Is(err, ErrShape) {
			t.Errorf("error %v, want ErrShape", err)
		}
		if _, err := Compare(a, two(0.5, 0.5, 0.5, 7), 2, labels); !errors.Is(err, ErrProbability) || !strings.Contains(err.Error(), "predictions b: row 3") {
			t.Errorf("error %v, want ErrProbability naming b's row 3", err)
		}
		if _, err := Compare(nil, nil, 2, nil); !errors.Is(err, ErrNoRows) {
			t.Errorf("error %v, want ErrNoRows", err)
		}
	})
}

func TestJSONWritesNaNAsNullWithoutFloatNoise(t *testing.T) {
	m, err := Evaluate(two(0.1+0.2, 0.7), 2, []int{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"rows":2,"classes":2,"base_rate":1,"accuracy":0.5,`, `"auc":null`, `"brier":0.29,`, `"not_defined":{"auc":"one class present`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	var back Metrics
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for j, name := range names {
		if g, w := back.Values()[j], m.Values()[j]; !(same(g, w) || math.Abs(g-w) < 1e-11*math.Abs(w)) {
			t.Errorf("%s read back as %v, wrote %v", name, g, w)
		}
	}
	if back.Reasons["auc"] != m.Reasons["auc"] {
		t.Errorf("reasons read back as %v", back.Reasons)
	}

	c, err := Compare(two(0.3), two(0.6), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err = json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"rows":1,"classes":2,"churn":1,"mean_abs_change_p1":0.3,"mean_abs_change_predicted":0.3,"negative_flip_rate":null,"se":{"rows":0,"churn":null,`; !strings.HasPrefix(string(b), want) {
		t.Errorf("Churn JSON %s, want it to start %s", b, want)
	}
	var cb Churn
	if err := json.Unmarshal(b, &cb); err != nil || cb.Churn != 1 || !math.IsNaN(cb.NegativeFlipRate) {
		t.Errorf("read back %+v, %v", cb, err)
	}
}

func TestNamesMatchValuesAndJSON(t *testing.T) {
	m, err := Evaluate(two(0.2, 0.8), 2, []int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(Names()) != len(m.Values()) || len(Names()) != len(m.SE.Values()) {
		t.Fatalf("%d names, %d values, %d standard errors", len(Names()), len(m.Values()), len(m.SE.Values()))
	}
	b, _ := json.Marshal(m)
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	se := keys["se"].(map[string]any)
	for _, name := range Names() {
		if _, ok := keys[name]; !ok {
			t.Errorf("JSON has no %q", name)
		}
		if _, ok := se[name]; !ok {
			t.Errorf("JSON's se has no %q", name)
		}
	}
	if len(ChurnNames()) != len(Churn{}.Values()) || len(ChurnNames()) != len(ChurnErrors{}.Values()) {
		t.Errorf("churn names and values differ in length")
	}
}
