package experiments

import (
	"math"

	"github.com/tracker-ml/tracker/snapshot"
)

// Kinds of the data-free, weight-based methods recorded at ingest.
const (
	KindWeightSum = "weight-sum"
	KindGarson    = "garson"
	KindOlden     = "olden"
)

// WeightSum is the measure the users started from: for each input feature,
// the sum of the absolute weights leaving it in the first Dense layer. It is
// cheap and data-free, and it can mislead, since later layers may cancel or
// amplify what the first layer does.
func WeightSum(s *snapshot.Snapshot) Result {
	n := s.Inputs()
	v := make([]float64, n)
	for _, l := range s.Layers() {
		if l.Class != snapshot.ClassDense {
			continue
		}
		k := l.Weights[0] // (inputs, units), row-major
		units := k.Shape[1]
		for i := range n {
			var sum float64
			for _, w := range k.Data[i*units : (i+1)*units] {
				sum += math.Abs(float64(w))
			}
			v[i] = sum
		}
		break
	}
	return Result{Kind: KindWeightSum, Value: v, Spread: make([]float64, n), Rank: Rank(v)}
}

// DataFree returns every weight-based result for a snapshot: weight-sum,
// garson and one olden result per output unit. Ingest records them all; the
// weights are converted to float64 once for both garson and olden.
func DataFree(s *snapshot.Snapshot) []Result {
	steps := linearSteps(s)
	return append([]Result{WeightSum(s), garson(steps, s.Inputs(), s.Outputs())}, olden(steps, s.Outputs())...)
}
