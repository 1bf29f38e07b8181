package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/snapshot"
)

// KindDropRetrain retrains the model without one feature at a time.
const KindDropRetrain = "drop-retrain"

// Ways a drop-retrain starts its weights.
const (
	InitScratch  = "scratch"  // fresh Glorot-uniform weights
	InitSnapshot = "snapshot" // the version's weights without the feature's row, fine-tuned
)

// DropRetrainOptions are a drop-retrain run's settings.
type DropRetrainOptions struct {
	Epochs   int
	Batch    int
	LR       float64
	Patience int    // early-stopping patience in epochs; 0 = off
	Seeds    int    // trainings per feature and for the baseline
	Metric   string // one of Metrics, on the validation rows
	Init     string // InitScratch or InitSnapshot
	// Features to drop, ascending; nil means every input.
	Features []int
}

// Params are the settings a drop-retrain run records. val says where the
// validation rows come from ("split:0.2", or the file's fingerprint), so
// runs with other validation data never mix.
func (o DropRetrainOptions) Params(val string) map[string]string {
	features := "all"
	if o.Features != nil {
		parts := make([]string, len(o.Features))
		for i, f := range o.Features {
			parts[i] = strconv.Itoa(f)
		}
		features = strings.Join(parts, ",")
	}
	return map[string]string{
		"epochs":   strconv.Itoa(o.Epochs),
		"batch":    strconv.Itoa(o.Batch),
		"lr":       strconv.FormatFloat(o.LR, 'g', -1, 64),
		"patience": strconv.Itoa(o.Patience),
		"seeds":    strconv.Itoa(o.Seeds),
		"metric":   o.Metric,
		"init":     o.Init,
		"features": features,
		"val":      val,
	}
}

// Check reports settings that cannot run on a model with inputs features.
func (o DropRetrainOptions) Check(inputs int) error {
	switch {
	case o.Epochs <= 0:
		return fmt.Errorf("epochs must be positive (got %d)", o.Epochs)
	case o.Batch <= 0:
		return fmt.Errorf("batch must be positive (got %d)", o.Batch)
	case !(o.LR > 0):
		return fmt.Errorf("learning rate must be positive (got %v)", o.LR)
	case o.Seeds <= 0:
		return fmt.Errorf("seeds must be positive (got %d)", o.Seeds)
	case o.Patience < 0:
		return fmt.Errorf("patience must not be negative (got %d)", o.Patience)
	case o.Init != InitScratch && o.Init != InitSnapshot:
		return fmt.Errorf("init %q: choose %s or %s", o.Init, InitScratch, InitSnapshot)
	case !slices.Contains(Metrics, o.Metric):
		return fmt.Errorf("metric %q: choose one of %s", o.Metric, strings.Join(Metrics, ", "))
	}
	for i, f := range o.Features {
		if f < 0 || f >= inputs {
			return fmt.Errorf("feature %d: the model has inputs 0 to %d", f, inputs-1)
		}
		if i > 0 && f <= o.Features[i-1] {
			return fmt.Errorf("features must be ascending and distinct")
		}
	}
	return nil
}

// Task is one training of a drop-retrain run: the baseline with every
// feature (Feature -1) or the model without one feature, for one seed.
type Task struct {
	Feature int `json:"feature"`
	Seed    int `json:"seed"`
}

// Baseline is the Feature of a baseline task.
const Baseline = -1

func (t Task) String() string {
	if t.Feature == Baseline {
		return fmt.Sprintf("baseline (seed %d)", t.Seed)
	}
	return fmt.Sprintf("feature %d (seed %d)", t.Feature, t.Seed)
}

// Key names the task in a store: "b/S" or "f/I/S".
func (t Task) Key() string {
	if t.Feature == Baseline {
		return fmt.Sprintf("b/%d", t.Seed)
	}
	return fmt.Sprintf("f/%d/%d", t.Feature, t.Seed)
}

// Shard is the shard of n that runs the task: features with index % n == I
// run on shard I, and the baseline on shard 0.
func (t Task) Shard(n int) int {
	if t.Feature == Baseline {
		return 0
	}
	return t.Feature % n
}

// Tasks lists every training a run needs on a model with inputs features:
// the baselines first, then each feature's seeds.
func (o DropRetrainOptions) Tasks(inputs int) []Task {
	var tasks []Task
	for s := range o.Seeds {
		tasks = append(tasks, Task{Baseline, s})
	}
	for _, f := range o.features(inputs) {
		for s := range o.Seeds {
			tasks = append(tasks, Task{f, s})
		}
	}
	return tasks
}

func (o DropRetrainOptions) features(inputs int) []int {
	if o.Features != nil {
		return o.Features
	}
	all := make([]int, inputs)
	for i := range all {
		all[i] = i
	}
	return all
}

// Retrain is the outcome of one task: the validation metric of the
// trained model and its training curve, so a user can see it converged.
type Retrain struct {
	Task
	Metric    float64   `json:"metric"`
	Best      int       `json:"best_epoch"` // 0-based epoch whose weights were kept
	Loss      []float64 `json:"loss"`       // training loss per epoch
	ValLoss   []float64 `json:"val_loss"`
	ValMetric []float64 `json:"val_metric"`
	TookMS    int64     `json:"took_ms"`
}

// DropRetrainData is a run's training and validation rows; both have every
// feature column, and classes that fit the model.
type DropRetrainData struct {
	Train, Val nn.Labeled
	Cols       int
}

// RetrainOne runs one task on the version snap: it removes the feature
// from the model and the data, trains, and scores the validation rows.
// progress, when set, is called after each epoch.
func RetrainOne(ctx context.Context, snap *snapshot.Snapshot, data *DropRetrainData, opts DropRetrainOptions, seed uint64, task Task, progress func(epoch int)) (Retrain, error) {
	start := time.Now()
	arch, train, val := snap, data.Train, data.Val
	if task.Feature != Baseline {
		var err error
		if arch, err = snap.DropInput(task.Feature); err != nil {
			return Retrain{}, err
		}
		// Views, not copies: see nn.Labeled.DropColumn.
		train = train.DropColumn(task.Feature)
		val = val.DropColumn(task.Feature)
	}
	outs := snap.Outputs()
	score, err := metric(opts.Metric, outs)
	if err != nil {
		return Retrain{}, err
	}
	scoreFn := func(y []float32, labels []int) float64 { return score(y, labels, outs-1) }
	res, err := nn.Train(ctx, arch, train, val, nn.TrainOptions{
		Epochs: opts.Epochs, Batch: opts.Batch, LR: opts.LR, Patience: opts.Patience,
		// The same seed for every feature: the baseline and each drop see
		// the same batch order, so their difference is the feature's.
		Seed:        taskSeed(seed, task.Seed),
		FromWeights: opts.Init == InitSnapshot,
		Score:       scoreFn,
		Progress:    progress,
	})
	if err != nil {
		return Retrain{}, fmt.Errorf("%s: %w", task, err)
	}
	r := Retrain{Task: task, Best: res.Best, Metric: res.Curve[res.Best].ValScore, TookMS: time.Since(start).Milliseconds()}
	for _, e := range res.Curve {
		r.Loss = append(r.Loss, e.Loss)
		r.ValLoss = append(r.ValLoss, e.ValLoss)
		r.ValMetric = append(r.ValMetric, e.ValScore)
	}
	if math.IsNaN(r.Metric) {
		return Retrain{}, fmt.Errorf("%s: metric %s is undefined on the validation rows: AUC needs rows of both classes", task, opts.Metric)
	}
	return r, nil
}

// taskSeed derives seed index s's training seed from the run's seed.
func taskSeed(seed uint64, s int) uint64 {
	return seed ^ (uint64(s)+1)*0x9e3779b97f4a7c15
}

// DropRetrainDetail is what a drop-retrain record keeps besides its
// per-feature values: every training's metric and curve.
type DropRetrainDetail struct {
	Metric   string    `json:"metric"`
	Baseline []float64 `json:"baseline"` // validation metric with every feature, per seed
	Retrains []Retrain `json:"retrains"` // baselines first, then by feature and seed
}

// CombineRetrains turns a complete set of trainings into the run's result.
// A feature's value is the mean over seeds of how much worse the metric
// got without it (baseline minus dropped for accuracy and AUC, dropped
// minus baseline for log loss), its spread the standard deviation of those
// paired differences; a mean within rounding of 0 is 0 (snapZero), so a
// feature whose removal changed nothing reads exactly 0. Extra[SEKey] and
// Extra[SEDFKey] are the value's standard error over the seeds, pooled
// over measured features of similar value (repeatSE), and its degrees of
// freedom: NaN with one seed. Features not in opts.Features have NaN
// values, standard errors and degrees of freedom, and rank 0. The caller
// sets the result's Params, which name the validation data.
func CombineRetrains(opts DropRetrainOptions, inputs int, retrains []Retrain) (Result, DropRetrainDetail, error) {
	byTask := make(map[Task]Retrain, len(retrains))
	for _, r := range retrains {
		if r.Feature < Baseline || r.Feature >= inputs || r.Seed < 0 || r.Seed >= opts.Seeds {
			return Result{}, DropRetrainDetail{}, fmt.Errorf("%s does not belong to this run (features 0 to %d, seeds 0 to %d)", r.Task, inputs-1, opts.Seeds-1)
		}
		if _, dup := byTask[r.Task]; dup {
			return Result{}, DropRetrainDetail{}, fmt.Errorf("%s is present twice", r.Task)
		}
		byTask[r.Task] = r
	}
	tasks := opts.Tasks(inputs)
	detail := DropRetrainDetail{Metric: opts.Metric}
	var missing []string
	for _, t := range tasks {
		r, ok := byTask[t]
		if !ok {
			missing = append(missing, t.String())
			continue
		}
		detail.Retrains = append(detail.Retrains, r)
		delete(byTask, t)
	}
	if len(missing) > 0 {
		return Result{}, DropRetrainDetail{}, fmt.Errorf("%d of %d trainings are missing: %s", len(missing), len(tasks), summarize(missing))
	}
	for t := range byTask {
		return Result{}, DropRetrainDetail{}, fmt.Errorf("%s does not belong to this run", t)
	}
	sign := 1.0
	if opts.Metric == "logloss" {
		sign = -1
	}
	detail.Baseline = make([]float64, opts.Seeds)
	for _, r := range detail.Retrains[:opts.Seeds] {
		detail.Baseline[r.Seed] = r.Metric
	}
	res := Result{Kind: KindDropRetrain, Value: make([]float64, inputs), Spread: make([]float64, inputs), Rank: make([]int, inputs)}
	for i := range inputs {
		res.Value[i], res.Spread[i] = math.NaN(), math.NaN()
	}
	diffs := make([]float64, opts.Seeds)
	rest := detail.Retrains[opts.Seeds:]
	for _, f := range opts.features(inputs) {
		var scale float64
		for s := range opts.Seeds {
			diffs[s] = sign * (detail.Baseline[s] - rest[0].Metric)
			scale = max(scale, math.Abs(detail.Baseline[s]), math.Abs(rest[0].Metric))
			rest = rest[1:]
		}
		res.Value[f], res.Spread[f] = meanStd(diffs)
		res.Value[f] = snapZero(res.Value[f], scale)
	}
	measured := opts.features(inputs)
	values, spreads := make([]float64, len(measured)), make([]float64, len(measured))
	for i, f := range measured {
		values[i], spreads[i] = res.Value[f], res.Spread[f]
	}
	for i, r := range RankSigned(values) {
		res.Rank[measured[i]] = r
	}
	se, df := make([]float64, inputs), make([]float64, inputs)
	for i := range inputs {
		se[i], df[i] = math.NaN(), math.NaN()
	}
	mse, mdf := repeatSE(values, spreads, opts.Seeds)
	for i, f := range measured {
		se[f], df[f] = mse[i], mdf[i]
	}
	res.Extra = map[string][]float64{SEKey: se, SEDFKey: df}
	return res, detail, nil
}

// summarize lists up to five items and counts the rest.
func summarize(items []string) string {
	if len(items) <= 5 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:5], ", ") + fmt.Sprintf(" and %d more", len(items)-5)
}

// NewDropRetrainData takes the validation rows from val, or when val is
// nil, the last valSplit of train's rows, as Keras's validation_split
// does: for weekly data in time order the newest rows check the model.
func NewDropRetrainData(train, val *dataset.Dataset, valSplit float64, classes int) (*DropRetrainData, error) {
	for _, d := range []*dataset.Dataset{train, val} {
		if d == nil {
			continue
		}
		which := "the training data"
		if d == val {
			which = "the validation data"
		}
		if d.Labels == nil {
			return nil, fact.Errorf(ErrNoLabels, "%s has no labels", which)
		}
		for i, l := range d.Labels {
			if l >= classes {
				return nil, fact.Errorf(ErrLabelClass, "%s: data row %d has label class %d (%q), but the model has classes 0 to %d", which, i+1, l, d.Classes[l], classes-1)
			}
		}
	}
	all := nn.Labeled{X: train.X, Labels: train.Labels, Rows: train.Rows}
	out := &DropRetrainData{Train: all, Cols: train.Cols}
	if val != nil {
		if val.Cols != train.Cols {
			return nil, fmt.Errorf("the validation data has %d feature columns, the training data %d", val.Cols, train.Cols)
		}
		out.Val = nn.Labeled{X: val.X, Labels: val.Labels, Rows: val.Rows}
	} else {
		if !(valSplit > 0 && valSplit < 1) {
			return nil, fmt.Errorf("validation split %v: give a fraction between 0 and 1, or a validation file", valSplit)
		}
		// Keras: split_at = int(n * (1 - validation_split)).
		cut := int(float64(train.Rows) * (1 - valSplit))
		n := train.Rows - cut
		out.Train = nn.Labeled{X: train.X[:cut*train.Cols], Labels: train.Labels[:cut], Rows: cut}
		out.Val = nn.Labeled{X: train.X[cut*train.Cols:], Labels: train.Labels[cut:], Rows: n}
	}
	if out.Train.Rows == 0 || out.Val.Rows == 0 {
		return nil, fmt.Errorf("%d training and %d validation rows: both need some", out.Train.Rows, out.Val.Rows)
	}
	return out, nil
}

// ParseDropRetrainParams reads back the options a run recorded with
// Params, to combine trainings that were run elsewhere.
func ParseDropRetrainParams(p map[string]string) (DropRetrainOptions, error) {
	var o DropRetrainOptions
	var errs []error
	num := func(key string) int {
		v, err := strconv.Atoi(p[key])
		if err != nil {
			errs = append(errs, fmt.Errorf("parameter %s=%q is not a whole number", key, p[key]))
		}
		return v
	}
	o.Epochs, o.Batch, o.Patience, o.Seeds = num("epochs"), num("batch"), num("patience"), num("seeds")
	lr, err := strconv.ParseFloat(p["lr"], 64)
	if err != nil {
		errs = append(errs, fmt.Errorf("parameter lr=%q is not a number", p["lr"]))
	}
	o.LR, o.Metric, o.Init = lr, p["metric"], p["init"]
	if fs := p["features"]; fs != "all" {
		for _, s := range strings.Split(fs, ",") {
			f, err := strconv.Atoi(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("parameter features=%q is not a list of feature indices", fs))
				break
			}
			o.Features = append(o.Features, f)
		}
	}
	return o, errors.Join(errs...)
}
