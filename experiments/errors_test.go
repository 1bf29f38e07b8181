package experiments_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// TestLabelRefusalsStateTheFacts checks that data without labels, or with
// a class the model has no output for, is refused with an error of its
// kind whose message names the data, row and classes and leaves the next
// step to the caller.
func TestLabelRefusalsStateTheFacts(t *testing.T) {
	s, err := snapshottest.RandomMLP(9, []int{5, 8, 2}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	net, err := nn.New(s)
	if err != nil {
		t.Fatal(err)
	}
	unlabeled := func() *dataset.Dataset {
		d := plantedLikeData(net, 10, 5)
		d.Labels = nil
		return d
	}
	// Row 3 is class 2 ("maybe"), which a two-output model does not have.
	threeClasses := func() *dataset.Dataset {
		d := plantedLikeData(net, 10, 5)
		d.Classes = []string{"no", "yes", "maybe"}
		d.Labels[2] = 2
		return d
	}
	permutation := func(d *dataset.Dataset) error {
		_, err := experiments.Permutation(context.Background(), &experiments.Run{Net: net, Data: d}, experiments.PermutationOptions{Repeats: 1, Metric: "accuracy"})
		return err
	}
	dropRetrain := func(train, val *dataset.Dataset) error {
		_, err := experiments.NewDropRetrainData(train, val, 0.2, 2)
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		kind error
		msg  string
	}{
		{"permutation without labels", permutation(unlabeled()), experiments.ErrNoLabels,
			"permutation needs labels"},
		{"permutation with a class beyond the outputs", permutation(threeClasses()), experiments.ErrLabelClass,
			`row 3 has label class 2 ("maybe"), but the model has classes 0 to 1`},
		{"drop-retrain without training labels", dropRetrain(unlabeled(), nil), experiments.ErrNoLabels,
			"the training data has no labels"},
		{"drop-retrain without validation labels", dropRetrain(plantedLikeData(net, 10, 5), unlabeled()), experiments.ErrNoLabels,
			"the validation data has no labels"},
		{"drop-retrain with a class beyond the outputs", dropRetrain(threeClasses(), nil), experiments.ErrLabelClass,
			`the training data: data row 3 has label class 2 ("maybe"), but the model has classes 0 to 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.kind) {
				t.Fatalf("err = %v, want %v", tc.err, tc.kind)
			}
			if got := tc.err.Error(); got != tc.msg {
				t.Errorf("message %q, want %q", got, tc.msg)
			}
			if strings.Contains(tc.err.Error(), "--") {
				t.Errorf("message %q names a flag: the caller adds that", tc.err)
			}
		})
	}
}
