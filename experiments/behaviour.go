package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
)

// Kinds of the behavioural methods, which run the network on data.
const (
	KindPerturb     = "perturb"
	KindPermutation = "permutation"
	KindGradient    = "gradient"
)

// Run holds what every behavioural method needs besides its own settings.
type Run struct {
	Net  *nn.Net
	Data *dataset.Dataset
	// Output is the output unit whose probability is watched.
	Output int
	// Seed makes every random draw reproducible.
	Seed uint64
	// Progress, when set, is called with work done and work in total as the
	// method goes; the units are the method's own.
	Progress func(done, total int)
}

// DefaultOutput is the output unit a method watches when none is chosen: the
// last one, which is the positive class of a sigmoid or two-class softmax.
func DefaultOutput(n *nn.Net) int { return n.Outputs() - 1 }

func (r *Run) check() error {
	if r.Data.Cols != r.Net.Inputs() {
		return fmt.Errorf("the data has %d feature columns but the model has %d inputs", r.Data.Cols, r.Net.Inputs())
	}
	if r.Output < 0 || r.Output >= r.Net.Outputs() {
		return fmt.Errorf("output %d: the model has outputs 0 to %d", r.Output, r.Net.Outputs()-1)
	}
	if r.Data.Rows == 0 {
		return fmt.Errorf("the data has no rows")
	}
	return nil
}

func (r *Run) progress(done, total int) {
	if r.Progress != nil {
		r.Progress(done, total)
	}
}

// rng returns the random stream for one part of a run (a feature, a
// repeat), so results do not depend on the order the parts are computed in.
func (r *Run) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(r.Seed, stream))
}

// PredictedClass is the class a row of outputs predicts: the largest unit,
// or for a single sigmoid unit, 1 when it is above one half.
func PredictedClass(y []float32) int {
	if len(y) == 1 {
		if y[0] > 0.5 {
			return 1
		}
		return 0
	}
	best := 0
	for j, v := range y {
		if v > y[best] {
			best = j
		}
	}
	return best
}

// sample picks n distinct row indices (all rows, in order, when n covers
// them), sorted, from rng.
func sample(rows, n int, rng *rand.Rand) []int {
	if n <= 0 || n >= rows {
		idx := make([]int, rows)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	perm := rng.Perm(rows)[:n]
	slices.Sort(perm) // file order, so a pivot is easy to find in the data
	return perm
}

// columnStats returns each feature's mean, standard deviation and range
// (max - min) over the data.
func columnStats(d *dataset.Dataset) (mean, std, span []float64) {
	mean, std, span = make([]float64, d.Cols), make([]float64, d.Cols), make([]float64, d.Cols)
	col := make([]float64, d.Rows)
	for j := range d.Cols {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := range d.Rows {
			v := float64(d.X[i*d.Cols+j])
			col[i] = v
			lo, hi = min(lo, v), max(hi, v)
		}
		mean[j], std[j] = meanStd(col)
		span[j] = hi - lo
	}
	return mean, std, span
}
