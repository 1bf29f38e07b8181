package snapshot_test

import (
	"slices"
	"testing"

	"github.com/tracker-ml/tracker/snapshot"
)

func TestDropInput(t *testing.T) {
	// 3 inputs -> BatchNorm -> Dense(2): kernel rows are features.
	bn := func(v ...float32) snapshot.Tensor { return snapshot.Tensor{Shape: []int{3}, Data: v} }
	gamma, beta, mean, variance := bn(1, 2, 3), bn(4, 5, 6), bn(7, 8, 9), bn(1, 1, 1)
	gamma.Name, beta.Name, mean.Name, variance.Name = "gamma", "beta", "moving_mean", "moving_variance"
	layers := []snapshot.Layer{
		{Spec: snapshot.Spec{Name: "bn", Class: snapshot.ClassBatchNormalization, Epsilon: 1e-3, Scale: true, Center: true},
			Weights: []snapshot.Tensor{gamma, beta, mean, variance}},
		{Spec: snapshot.Spec{Name: "d", Class: snapshot.ClassDense, Units: 2, Activation: "softmax", UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{3, 2}, Data: []float32{10, 11, 20, 21, 30, 31}},
				{Name: "bias", Shape: []int{2}, Data: []float32{1, 2}},
			}},
	}
	s, err := snapshot.New(3, layers, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.DropInput(1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Inputs() != 2 {
		t.Fatalf("inputs = %d, want 2", d.Inputs())
	}
	got := d.Layers()
	if k := got[1].Weights[0]; !slices.Equal(k.Data, []float32{10, 11, 30, 31}) || !slices.Equal(k.Shape, []int{2, 2}) {
		t.Errorf("kernel = %v %v, want rows 0 and 2 of the original", k.Shape, k.Data)
	}
	if g := got[0].Weights[0].Data; !slices.Equal(g, []float32{1, 3}) {
		t.Errorf("gamma = %v, want [1 3]", g)
	}
	if !slices.Equal(s.Layers()[1].Weights[0].Data, []float32{10, 11, 20, 21, 30, 31}) || s.Inputs() != 3 {
		t.Errorf("DropInput changed the original model")
	}
	for _, bad := range []int{-1, 3} {
		if _, err := s.DropInput(bad); err == nil {
			t.Errorf("DropInput(%d) gave no error", bad)
		}
	}
}
