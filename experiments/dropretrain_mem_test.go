package experiments_test

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

// TestDropRetrainMemoryStaysFlat runs 20 trainings through RetrainOne, as
// a drop-retrain's workers do, keeping each result as the command does,
// and checks that the heap a collection leaves after 20 trainings is
// within 1.25 times what it leaves after 5. Automatic collection is off in
// between: at tracker's GC percent of 400 a long run collects once in
// several trainings, and whatever outlives one collection (a sync.Pool's
// buffers do) is what the next heap goal multiplies by five. A scratch
// buffer pooled per epoch made a full 82-feature run reach 3.3 GB.
func TestDropRetrainMemoryStaysFlat(t *testing.T) {
	const inputs, rows = 10, 2000
	snap, err := snapshottest.RandomMLP(1, []int{inputs, 64, 64, 2}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := experiments.NewDropRetrainData(wideSignalData(rows, inputs), nil, 0.2, 2)
	if err != nil {
		t.Fatal(err)
	}
	opts := experiments.DropRetrainOptions{Epochs: 2, Batch: 64, LR: 0.01, Seeds: 1, Metric: "accuracy", Init: experiments.InitScratch}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	retained := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc)
	}
	var done []experiments.Retrain
	var after5 float64
	for i := range 20 {
		task := experiments.Task{Feature: i%(inputs+1) - 1} // the baseline, then each feature
		r, err := experiments.RetrainOne(context.Background(), snap, data, opts, 1, task, nil)
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, r)
		if i+1 == 5 {
			after5 = retained()
		}
	}
	after20 := retained()
	t.Logf("heap after a collection: %.2f MB after 5 trainings, %.2f MB after 20", after5/(1<<20), after20/(1<<20))
	if after20 > 1.25*after5 {
		t.Errorf("the heap holds %.1f MB after 20 trainings and %.1f MB after 5 (%.2fx, want at most 1.25x): something outlives each training",
			after20/(1<<20), after5/(1<<20), after20/after5)
	}
	runtime.KeepAlive(done)
}

// wideSignalData is signalData with cols columns: the label is whether
// x0 + 0.3·x1 + small noise > 0, the rest is noise.
func wideSignalData(rows, cols int) *dataset.Dataset {
	d := signalData(rows)
	x := make([]float32, rows*cols)
	for r := range rows {
		copy(x[r*cols:], d.X[r*noiseCols:(r+1)*noiseCols])
		for c := noiseCols; c < cols; c++ {
			x[r*cols+c] = float32((r*31+c*17)%13)/6.5 - 1
		}
	}
	d.X, d.Cols = x, cols
	return d
}
