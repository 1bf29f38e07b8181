package nn_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/tracker-ml/tracker/experiments/nn"
)

// withoutColumn copies d without column col of its cols-wide rows: what
// DropColumn stands for, the way drop-retrain built it before.
func withoutColumn(d nn.Labeled, cols, col int) nn.Labeled {
	x := make([]float32, 0, d.Rows*(cols-1))
	for r := range d.Rows {
		row := d.X[r*cols : (r+1)*cols]
		x = append(append(x, row[:col]...), row[col+1:]...)
	}
	return nn.Labeled{X: x, Labels: d.Labels, Rows: d.Rows}
}

// TestDropColumnTrainsLikeACopy: training on a view without a column
// gives bit for bit the curve and weights of training on a copy without
// it, whichever column goes.
func TestDropColumnTrainsLikeACopy(t *testing.T) {
	const cols = 5
	full := smallNet(t, "relu", "softmax", cols, 8, 2, "2.2.4")
	train, val := separable(1, 600, cols), separable(2, 200, cols)
	for _, c := range []struct {
		name string
		col  int
	}{
		{"the first column can be dropped", 0},
		{"a middle column can be dropped", 2},
		{"the last column can be dropped", cols - 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			arch, err := full.DropInput(c.col)
			if err != nil {
				t.Fatal(err)
			}
			opts := nn.TrainOptions{Epochs: 2, Batch: 32, Seed: 3, FromWeights: true}
			view, err := nn.Train(context.Background(), arch, train.DropColumn(c.col), val.DropColumn(c.col), opts)
			if err != nil {
				t.Fatal(err)
			}
			copied, err := nn.Train(context.Background(), arch, withoutColumn(train, cols, c.col), withoutColumn(val, cols, c.col), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(view.Curve, copied.Curve, sameEpoch) {
				t.Errorf("curve %+v on the view, %+v on a copy", view.Curve, copied.Curve)
			}
			if view.Snapshot.Hash() != copied.Snapshot.Hash() {
				t.Errorf("the view and the copy trained different weights")
			}
		})
	}
}

// sameEpoch is bit-for-bit equality, NaN included.
func sameEpoch(a, b nn.Epoch) bool {
	bits := math.Float64bits
	return bits(a.Loss) == bits(b.Loss) && bits(a.ValLoss) == bits(b.ValLoss) && bits(a.ValScore) == bits(b.ValScore)
}

// TestValidationLossIsTheTrainedSnapshots: the loss Train reports for the
// validation rows is what the returned snapshot, compiled by New, gives
// them, with BatchNormalization folded and more rows than one inference
// pass takes.
func TestValidationLossIsTheTrainedSnapshots(t *testing.T) {
	const cols = 5
	arch := smallNet(t, "tanh", "softmax", cols, 8, 2, "2.2.4")
	train := separable(1, 600, cols)
	for _, c := range []struct {
		name string
		rows int
		drop bool
	}{
		{"a few rows match", 50, false},
		{"rows over several inference passes match", 2500, false},
		{"rows without a column match", 2500, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			val, a, tr := separable(2, c.rows, cols), arch, train
			if c.drop {
				var err error
				if a, err = arch.DropInput(1); err != nil {
					t.Fatal(err)
				}
				tr = train.DropColumn(1)
			}
			fed := val
			if c.drop {
				fed, val = val.DropColumn(1), withoutColumn(val, cols, 1)
			}
			res, err := nn.Train(context.Background(), a, tr, fed, nn.TrainOptions{Epochs: 3, Batch: 32, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			net, err := nn.New(res.Snapshot)
			if err != nil {
				t.Fatal(err)
			}
			y, err := net.ForwardAll(context.Background(), val.X, val.Rows)
			if err != nil {
				t.Fatal(err)
			}
			var loss float64
			for r, l := range val.Labels {
				loss -= math.Log(max(float64(y[r*2+l]), 1e-7))
			}
			loss /= float64(val.Rows)
			if got := res.Curve[len(res.Curve)-1].ValLoss; math.Abs(got-loss) > 1e-6*math.Abs(loss) {
				t.Errorf("Train reports validation loss %.9g; the trained snapshot gives %.9g", got, loss)
			}
		})
	}
}
