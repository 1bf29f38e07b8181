package demo

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
)

// Default sizes: enough rows for the planted effects to show clearly, few
// enough that 12 weeks train in well under the 3 minutes a newcomer waits.
const (
	DefaultTrainRows   = 8000
	DefaultHoldoutRows = 2000
	DefaultEpochs      = 12
	DefaultLR          = 0.003 // Adam's learning rate for a good retrain
	DefaultBrokenLR    = 0.3   // Adam's learning rate for the broken retrain: a hundred times too large
)

// hidden are the widths of the hidden layers: narrower than production's
// 500-wide layers so the demo runs in a minute or two.
var hidden = []int{64, 64}

// start is the first week's date, a Monday.
var start = time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC)

// Options says where a season goes and how it is drawn. Zero sizes take
// the defaults, which are what `tracker demo` uses; tests pass small ones.
type Options struct {
	Dir   string // the season goes to Dir/Model and Dir/Data
	Weeks int    // at least 1
	Seed  uint64 // seeds the rows and every week's training

	TrainRows   int // rows per week to train on, the last fifth validating (DefaultTrainRows)
	HoldoutRows int // rows per week held out for measuring (DefaultHoldoutRows)
	Epochs      int // at most this many epochs per training (DefaultEpochs)

	// The scenario's knobs; `tracker demo` leaves them zero.
	Events   *Events   // the weeks the planted changes come; nil takes DemoEvents
	Hidden   []int     // hidden layer widths; nil takes the demo's 64, 64
	Linear   []float64 // main effects of features 0 to 9; nil takes the demo's
	LR       float64   // learning rate of every good retrain (DefaultLR)
	BrokenLR float64   // learning rate of the broken retrain (DefaultBrokenLR)
}

// Season is what Generate wrote: the feature names and, week by week, the
// model and its data.
type Season struct {
	Names []string // the CSV header without the label column
	Label string   // the label column of every CSV
	Weeks []Week   // oldest first, seven days apart
	// Events are the weeks the planted changes came, and Layers the
	// network's widths from input to output.
	Events Events
	Layers []int
}

// Week is one week of a season.
type Week struct {
	Date    time.Time // midnight UTC
	Model   string    // DIR/Model/YYYYMMDD/0_10.N, the prefix of its _structure.json and _weights.h5
	Train   string    // DIR/Data/YYYYMMDD_train.csv, the rows the model was trained on
	Holdout string    // DIR/Data/YYYYMMDD_holdout.csv, fresh rows of the same week
}

// Newest is the season's last week.
func (s *Season) Newest() Week { return s.Weeks[len(s.Weeks)-1] }

// Fade is the week from which Fading no longer affects the label, or the
// newest week when the season ends before it (or it never comes).
func (s *Season) Fade() Week { return s.event(s.Events.Fade) }

// Shift is the week from which Shifted is drawn around its new centre, or
// the newest week when the season ends before it (or it never comes).
func (s *Season) Shift() Week { return s.event(s.Events.Shift) }

func (s *Season) event(week int) Week {
	if week < 0 || week >= len(s.Weeks) {
		week = len(s.Weeks) - 1
	}
	return s.Weeks[week]
}

// Layers are the demo network's widths from input to output: Features,
// the hidden layers, and the two classes.
func Layers() []int { return widths(hidden) }

func widths(hidden []int) []int {
	return append(append([]int{Features}, hidden...), 2)
}

// Generate draws and trains a season of opts.Weeks weeks, writing each
// week's data and model under opts.Dir as it goes. progress, when not
// nil, is called after each week with the weeks done and the total.
func Generate(ctx context.Context, opts Options, progress func(done, total int)) (*Season, error) {
	if opts.Weeks < 1 {
		return nil, fmt.Errorf("a season of %d weeks: need at least 1", opts.Weeks)
	}
	opts = opts.withDefaults()
	if err := opts.check(); err != nil {
		return nil, err
	}
	s := &Season{Names: Names(), Label: labelColumn, Events: *opts.Events, Layers: widths(opts.Hidden)}
	arch, err := architecture(s.Layers)
	if err != nil {
		return nil, err
	}
	planted := world{linear: opts.Linear, events: s.Events}
	rng := newRand(opts.Seed)
	for week := range opts.Weeks {
		w, err := s.generateWeek(ctx, opts, planted, arch, rng, week)
		if err != nil {
			return nil, err
		}
		s.Weeks = append(s.Weeks, w)
		if progress != nil {
			progress(week+1, opts.Weeks)
		}
	}
	return s, nil
}

func (o Options) withDefaults() Options {
	if o.TrainRows <= 0 {
		o.TrainRows = DefaultTrainRows
	}
	if o.HoldoutRows <= 0 {
		o.HoldoutRows = DefaultHoldoutRows
	}
	if o.Epochs <= 0 {
		o.Epochs = DefaultEpochs
	}
	if o.Events == nil {
		e := DemoEvents
		o.Events = &e
	}
	if o.Hidden == nil {
		o.Hidden = hidden
	}
	if o.Linear == nil {
		o.Linear = linear
	}
	if o.LR <= 0 {
		o.LR = DefaultLR
	}
	if o.BrokenLR <= 0 {
		o.BrokenLR = DefaultBrokenLR
	}
	return o
}

// check refuses the scenario knobs no season can be drawn with.
func (o Options) check() error {
	if len(o.Linear) != len(linear) {
		return fmt.Errorf("%d linear effects: need one for each of features 0 to %d", len(o.Linear), len(linear)-1)
	}
	for _, w := range o.Hidden {
		if w < 1 {
			return fmt.Errorf("hidden layers %v: every width must be at least 1", o.Hidden)
		}
	}
	return nil
}

// generateWeek draws week's rows, writes them, trains the week's model on
// them and exports it.
func (s *Season) generateWeek(ctx context.Context, opts Options, planted world, arch *snapshot.Snapshot, rng *rand.Rand, week int) (Week, error) {
	day := start.AddDate(0, 0, 7*week)
	stamp := day.Format("20060102")
	dataDir := filepath.Join(opts.Dir, "Data")
	w := Week{
		Date:    day,
		Train:   filepath.Join(dataDir, stamp+"_train.csv"),
		Holdout: filepath.Join(dataDir, stamp+"_holdout.csv"),
	}
	train, holdout := planted.draw(rng, week, opts.TrainRows), planted.draw(rng, week, opts.HoldoutRows)
	if err := writeCSV(w.Train, s.Names, s.Label, train); err != nil {
		return Week{}, err
	}
	if err := writeCSV(w.Holdout, s.Names, s.Label, holdout); err != nil {
		return Week{}, err
	}
	// Keras's validation_split: the last fifth checks the training.
	cut := opts.TrainRows * 4 / 5
	fit := nn.Labeled{X: train.X[:cut*Features], Labels: train.Labels[:cut], Rows: cut}
	val := nn.Labeled{X: train.X[cut*Features:], Labels: train.Labels[cut:], Rows: opts.TrainRows - cut}
	lr := opts.LR
	if week == s.Events.Broken {
		lr = opts.BrokenLR
	}
	res, err := nn.Train(ctx, arch, fit, val, nn.TrainOptions{
		Epochs: opts.Epochs, Batch: 64, LR: lr, Patience: 3, Seed: opts.Seed*1000 + uint64(week),
	})
	if err != nil {
		return Week{}, fmt.Errorf("week %s: %w", day.Format(time.DateOnly), err)
	}
	modelDir := filepath.Join(opts.Dir, "Model", stamp)
	name := fmt.Sprintf("0_10.%d", week+1)
	if _, _, err := keras.Export(res.Snapshot, modelDir, name); err != nil {
		return Week{}, err
	}
	w.Model = filepath.Join(modelDir, name)
	return w, nil
}

// architecture is a network of these widths with zero weights; Train
// draws them.
func architecture(widths []int) (*snapshot.Snapshot, error) {
	var layers []snapshot.Layer
	for i := 1; i < len(widths); i++ {
		act := "relu"
		if i == len(widths)-1 {
			act = "softmax"
		}
		in, out := widths[i-1], widths[i]
		layers = append(layers, snapshot.Layer{
			Spec: snapshot.Spec{Name: fmt.Sprintf("dense_%d", i), Class: snapshot.ClassDense, Units: out, Activation: act, UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{in, out}, Data: make([]float32, in*out)},
				{Name: "bias", Shape: []int{out}, Data: make([]float32, out)},
			},
		})
	}
	return snapshot.New(Features, layers, snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
}

// writeCSV writes rows with a header of the feature names and the label
// column. Values are the shortest text that reads back as the same
// float32.
func writeCSV(path string, names []string, label string, d nn.Labeled) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, n := range names {
		w.WriteString(n)
		w.WriteByte(',')
	}
	w.WriteString(label)
	w.WriteByte('\n')
	buf := make([]byte, 0, 32)
	for r := range d.Rows {
		for _, v := range d.X[r*Features : (r+1)*Features] {
			w.Write(strconv.AppendFloat(buf[:0], float64(v), 'g', -1, 32))
			w.WriteByte(',')
		}
		w.WriteString(strconv.Itoa(d.Labels[r]))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
