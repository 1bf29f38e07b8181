package quality

import (
	"errors"
	"math"
	"testing"
)

// FuzzEvaluate builds predictions and labels from arbitrary bytes, valid
// or not, and checks that Evaluate and Compare never panic, that any
// error matches a sentinel, and that on accepted input every value is in
// its range and a NaN appears only with its reason.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{2, 0, 255, 1, 128, 128, 0, 3, 7})
	f.Add([]byte{3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{2, 0, 0, 0, 0})
	f.Add([]byte{5, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 || len(data) > 4096 {
			return
		}
		k := int(data[0]%5) + 1 // 1 (refused) to 5 classes
		data = data[1:]
		var probs []float64
		var labels []int
		for len(data) >= k+1 {
			row := data[:k]
			y := int(data[k])
			data = data[k+1:]
			sum := 0.0
			for _, b := range row {
				sum += float64(b)
			}
			for _, b := range row {
				if sum == 0 {
					probs = append(probs, 1/float64(k)) // constant predictions
				} else {
					probs = append(probs, float64(b)/sum)
				}
			}
			switch {
			case y == 255:
				probs[len(probs)-1] = math.NaN()
			case y == 254:
				probs[len(probs)-1] += 0.5
			}
			labels = append(labels, y%(k+1)) // sometimes out of range
		}
		m, err := Evaluate(probs, k, labels)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("error %v matches no sentinel", err)
			}
			return
		}
		checkNaNsExplained(t, m)
		for j, name := range names {
			v, se := m.Values()[j], m.SE.Values()[j]
			hi := 1.0
			switch name {
			case "rows":
				hi = float64(len(labels))
			case "logloss":
				// a clipped row is divided by its sum, up to 1 + (k-1) x clip
				hi = -math.Log(LogLossClip) + float64(k)*LogLossClip
			case "brier":
				hi = 2
			}
			if v < 0 || v > hi+1e-12 {
				t.Errorf("%s = %v, outside [0, %v]", name, v, hi)
			}
			if se < 0 || math.IsInf(se, 0) {
				t.Errorf("%s's standard error = %v", name, se)
			}
		}
		b := make([]float64, len(probs))
		copy(b, probs[k:])
		copy(b[len(b)-k:], probs[:k])
		c, err := Compare(probs, b, k, labels)
		if err != nil {
			t.Fatalf("Compare refused rows Evaluate accepted: %v", err)
		}
		for j, name := range churnNames {
			v := c.Values()[j]
			_, why := c.Reasons[name]
			if math.IsNaN(v) != why || (!math.IsNaN(v) && v < 0) {
				t.Errorf("%s = %v, reason %q", name, v, c.Reasons[name])
			}
		}
	})
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrNoRows, ErrShape, ErrLabel, ErrProbability} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
