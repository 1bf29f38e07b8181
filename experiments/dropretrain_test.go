package experiments_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// Columns of signalData.
const (
	signal    = 0 // decides the label
	weak      = 1 // nudges it
	noiseCols = 5
)

// signalData: the label is whether x0 + 0.3·x1 + small noise > 0; columns 2
// to 4 are pure noise.
func signalData(rows int) *dataset.Dataset {
	rng := rand.New(rand.NewPCG(11, 12))
	d := &dataset.Dataset{Rows: rows, Cols: noiseCols, X: make([]float32, rows*noiseCols), Classes: []string{"0", "1"}, SHA256: "signal"}
	for r := range rows {
		x := d.X[r*noiseCols : (r+1)*noiseCols]
		for c := range x {
			x[c] = float32(rng.NormFloat64())
		}
		l := 0
		if x[signal]+0.3*x[weak]+0.1*float32(rng.NormFloat64()) > 0 {
			l = 1
		}
		d.Labels = append(d.Labels, l)
	}
	return d
}

func runDropRetrain(t *testing.T, snap *snapshot.Snapshot, data *experiments.DropRetrainData, opts experiments.DropRetrainOptions) (experiments.Result, experiments.DropRetrainDetail) {
	t.Helper()
	var rs []experiments.Retrain
	for _, task := range opts.Tasks(snap.Inputs()) {
		r, err := experiments.RetrainOne(context.Background(), snap, data, opts, 1, task, nil)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	res, detail, err := experiments.CombineRetrains(opts, snap.Inputs(), rs)
	if err != nil {
		t.Fatal(err)
	}
	return res, detail
}

// TestDropRetrainPlantedTruth: dropping the signal column must hurt more
// than dropping any noise column, by more than both spreads over seeds.
func TestDropRetrainPlantedTruth(t *testing.T) {
	snap, err := snapshottest.RandomMLP(1, []int{noiseCols, 16, 2}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := experiments.NewDropRetrainData(signalData(1500), nil, 0.3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, metric := range []string{"accuracy", "logloss"} {
		t.Run(metric, func(t *testing.T) {
			opts := experiments.DropRetrainOptions{Epochs: 8, Batch: 32, LR: 0.01, Seeds: 3, Metric: metric, Init: experiments.InitScratch}
			res, detail := runDropRetrain(t, snap, data, opts)
			if res.Rank[signal] != 1 || res.Rank[weak] != 2 {
				t.Errorf("ranks %v: want the signal column first and the weak one second", res.Rank)
			}
			for f := 2; f < noiseCols; f++ {
				if lo, hi := res.Value[signal]-res.Spread[signal], res.Value[f]+res.Spread[f]; !(lo > hi) {
					t.Errorf("signal %.4f±%.4f does not separate from noise column %d %.4f±%.4f", res.Value[signal], res.Spread[signal], f, res.Value[f], res.Spread[f])
				}
			}
			if len(detail.Baseline) != 3 || len(detail.Retrains) != 3*(noiseCols+1) {
				t.Fatalf("detail has %d baselines and %d retrains, want 3 and %d", len(detail.Baseline), len(detail.Retrains), 3*(noiseCols+1))
			}
			if metric == "accuracy" && slices.Min(detail.Baseline) < 0.9 {
				t.Errorf("baseline accuracies %v: the trainings did not converge", detail.Baseline)
			}
			for _, r := range detail.Retrains {
				if len(r.Loss) != opts.Epochs || len(r.ValMetric) != opts.Epochs {
					t.Errorf("%s: curve of %d epochs, want %d", r.Task, len(r.Loss), opts.Epochs)
				}
			}
		})
	}
}

// TestDropRetrainFromSnapshot fine-tunes a version trained on every column:
// without the signal column it must get worse than without any other.
// It also runs a --features subset.
func TestDropRetrainFromSnapshot(t *testing.T) {
	arch, err := snapshottest.RandomMLP(1, []int{noiseCols, 16, 2}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := experiments.NewDropRetrainData(signalData(1500), nil, 0.3, 2)
	if err != nil {
		t.Fatal(err)
	}
	version, err := nn.Train(context.Background(), arch, data.Train, data.Val, nn.TrainOptions{Epochs: 8, LR: 0.01, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	opts := experiments.DropRetrainOptions{Epochs: 2, Batch: 32, LR: 0.001, Seeds: 2, Metric: "accuracy", Init: experiments.InitSnapshot}
	res, detail := runDropRetrain(t, version.Snapshot, data, opts)
	if res.Rank[signal] != 1 {
		t.Errorf("fine-tuned drop-retrain ranks %v: want the signal column first", res.Rank)
	}
	if slices.Min(detail.Baseline) < 0.9 {
		t.Errorf("fine-tuning the trained version gave accuracies %v; it started near %.3f", detail.Baseline, version.Curve[version.Best].ValScore)
	}

	opts.Features = []int{signal, 3}
	sub, _ := runDropRetrain(t, version.Snapshot, data, opts)
	if sub.Rank[signal] != 1 || sub.Rank[3] != 2 || sub.Rank[weak] != 0 || !math.IsNaN(sub.Value[weak]) {
		t.Errorf("with features 0 and 3: ranks %v values %v; want those two ranked and the rest unmeasured (NaN, rank 0)", sub.Rank, sub.Value)
	}
	if sub.Value[signal] != res.Value[signal] {
		t.Errorf("feature 0's value is %v alone and %v among all: a feature's trainings must not depend on which others run", sub.Value[signal], res.Value[signal])
	}
}

func TestCombineRetrainsRefusesIncompleteOrForeignSets(t *testing.T) {
	opts := experiments.DropRetrainOptions{Epochs: 1, Batch: 1, LR: 1, Seeds: 2, Metric: "accuracy", Init: experiments.InitScratch}
	full := func() []experiments.Retrain {
		var rs []experiments.Retrain
		for _, task := range opts.Tasks(3) {
			rs = append(rs, experiments.Retrain{Task: task, Metric: 0.5})
		}
		return rs
	}
	if _, _, err := experiments.CombineRetrains(opts, 3, full()); err != nil {
		t.Fatalf("a full set: %v", err)
	}
	for name, c := range map[string]struct {
		rs   []experiments.Retrain
		want string
	}{
		"missing":   {full()[1:], "1 of 8 trainings are missing: baseline (seed 0)"},
		"duplicate": {append(full(), experiments.Retrain{Task: experiments.Task{Feature: 2, Seed: 1}}), "feature 2 (seed 1) is present twice"},
		"foreign":   {append(full(), experiments.Retrain{Task: experiments.Task{Feature: 2, Seed: 5}}), "feature 2 (seed 5) does not belong"},
	} {
		_, _, err := experiments.CombineRetrains(opts, 3, c.rs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
}

func TestTaskShards(t *testing.T) {
	opts := experiments.DropRetrainOptions{Seeds: 2}
	tasks := opts.Tasks(5)
	counts := map[int]int{}
	for _, task := range tasks {
		counts[task.Shard(3)]++
	}
	// Shard 0: the 2 baselines and features 0 and 3; shard 1: features 1
	// and 4; shard 2: feature 2.
	if counts[0] != 6 || counts[1] != 4 || counts[2] != 2 {
		t.Errorf("tasks per shard %v, want 6, 4, 2", counts)
	}
}

// TestDisagreementsSkipUnmeasuredFeatures: a drop-retrain of some features
// leaves the others NaN with rank 0; they must not read as "strong effect"
// nor poison the peak that "no effect" is judged against.
func TestDisagreementsSkipUnmeasuredFeatures(t *testing.T) {
	nan := math.NaN()
	ws := experiments.Result{Value: []float64{8, 7, 6, 5, 4, 3, 2, 1}, Rank: []int{1, 2, 3, 4, 5, 6, 7, 8}}
	behaviour := experiments.Result{
		Value: []float64{0, nan, nan, nan, nan, nan, nan, 0.5},
		Rank:  []int{2, 0, 0, 0, 0, 0, 0, 1},
	}
	got := experiments.Disagreements(ws, behaviour)
	if len(got) != 2 || got[0].Feature != 0 || !got[0].NoEffect || got[1].Feature != 7 || !got[1].Underweighed {
		t.Errorf("disagreements %+v: want feature 0 (no effect) and feature 7 (underweighed) only", got)
	}
}

// TestCombineRanksHarmfulFeaturesLast: a feature whose removal improves
// the model has a negative value and must rank below every feature whose
// removal hurts, however large its magnitude.
func TestCombineRanksHarmfulFeaturesLast(t *testing.T) {
	opts := experiments.DropRetrainOptions{Seeds: 1, Metric: "accuracy"}
	metric := map[int]float64{experiments.Baseline: 0.80, 0: 0.77, 1: 0.85, 2: 0.80}
	var rs []experiments.Retrain
	for _, task := range opts.Tasks(3) {
		rs = append(rs, experiments.Retrain{Task: task, Metric: metric[task.Feature]})
	}
	res, _, err := experiments.CombineRetrains(opts, 3, rs)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 3, 2}; !slices.Equal(res.Rank, want) {
		t.Errorf("values %v ranked %v, want %v: dropping feature 1 helps, so it matters least", res.Value, res.Rank, want)
	}
	for _, bad := range []experiments.Task{{Feature: 3, Seed: 0}, {Feature: -2, Seed: 0}} {
		if _, _, err := experiments.CombineRetrains(opts, 3, append(rs, experiments.Retrain{Task: bad})); err == nil || !strings.Contains(err.Error(), "does not belong") {
			t.Errorf("a training of %v: err %v, want it refused", bad, err)
		}
	}
}

func TestParseDropRetrainParamsRoundTrips(t *testing.T) {
	opts := experiments.DropRetrainOptions{Epochs: 5, Batch: 32, LR: 0.003, Patience: 2, Seeds: 3, Metric: "auc", Init: "snapshot", Features: []int{1, 4}}
	got, err := experiments.ParseDropRetrainParams(opts.Params("split:0.2"))
	if err != nil || got.Epochs != 5 || got.Batch != 32 || got.LR != 0.003 || got.Patience != 2 || got.Seeds != 3 || got.Metric != "auc" || got.Init != "snapshot" || !slices.Equal(got.Features, []int{1, 4}) {
		t.Errorf("round trip gave %+v, %v", got, err)
	}
	for _, bad := range []map[string]string{
		{"epochs": "x", "batch": "1", "lr": "0.1", "patience": "0", "seeds": "1", "features": "all"},
		{"epochs": "1", "batch": "1", "lr": "0.1", "patience": "0", "seeds": "", "features": "all"},
		{"epochs": "1", "batch": "1", "lr": "fast", "patience": "0", "seeds": "1", "features": "all"},
		{"epochs": "1", "batch": "1", "lr": "0.1", "patience": "0", "seeds": "1", "features": "1,x"},
	} {
		if _, err := experiments.ParseDropRetrainParams(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// retrains is a drop-retrain's trainings on three features, each metric
// an accuracy on 200 validation rows counted in rows: baseline[s] for the
// baseline of seed s, dropped[f][s] for feature f.
func retrains(opts experiments.DropRetrainOptions, baseline []int, dropped map[int][]int) []experiments.Retrain {
	acc := func(right int) float64 { return float64(right) / 200 }
	var rs []experiments.Retrain
	for _, task := range opts.Tasks(3) {
		right := baseline[task.Seed]
		if task.Feature != experiments.Baseline {
			right = dropped[task.Feature][task.Seed]
		}
		rs = append(rs, experiments.Retrain{Task: task, Metric: acc(right)})
	}
	return rs
}
