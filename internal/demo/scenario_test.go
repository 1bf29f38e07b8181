package demo

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tracker-ml/tracker/snapshot/keras"
)

func TestQuietWeeksAreThoseBetweenTwoGoodRetrainsOfOneWorld(t *testing.T) {
	for _, c := range []struct {
		name   string
		events Events
		quiet  []int // of weeks 0 to 12
	}{
		{"the proof season: eight quiet weeks, the fade, the shift, the broken retrain and the one after, then quiet",
			Events{Fade: ProofFade, Shift: ProofShift, Broken: ProofBroken}, []int{1, 2, 3, 4, 5, 6, 7, 12}},
		{"the demo: no broken retrain", DemoEvents, []int{1, 2, 3, 4, 5, 6, 8, 10, 11, 12}},
		{"no events at all", Events{Fade: -1, Shift: -1, Broken: -1}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []int
			for w := range 13 {
				if c.events.Quiet(w) {
					got = append(got, w)
				}
			}
			if !slices.Equal(got, c.quiet) {
				t.Errorf("quiet weeks %v, want %v", got, c.quiet)
			}
		})
	}
}

// TestEventsComeInTheirWeeks draws weeks around events placed by option
// and checks each with the bounds of TestRowsFollowThePlan.
func TestEventsComeInTheirWeeks(t *testing.T) {
	const rows = 20000
	w := world{linear: ProofLinear, events: Events{Fade: 2, Shift: 3, Broken: 1}}
	rng := newRand(1)
	weeks := make([][]float64, 5) // per week: Fading's correlation with the label, Shifted's mean, the label rate
	for week := range weeks {
		d := w.draw(rng, week, rows)
		weeks[week] = []float64{corr(column(d, Fading), labels(d)), mean(column(d, Shifted)), mean(labels(d))}
	}
	for week, v := range weeks {
		fading, shifted := week < 2, week >= 3
		if got := v[0] > 0.15; got != fading {
			t.Errorf("week %d: the fading feature's correlation with the label is %.3f; want it to matter %v", week, v[0], fading)
		}
		if !fading && math.Abs(v[0]) > 0.03 {
			t.Errorf("week %d: the faded feature's correlation with the label is %.3f, want about 0", week, v[0])
		}
		want := 0.0
		if shifted {
			want = shift
		}
		if math.Abs(v[1]-want) > 0.05 {
			t.Errorf("week %d: the shifted feature's mean is %.3f, want %.1f", week, v[1], want)
		}
	}
	// The shift is drift, not signal: the label rate stays where it was
	// once the fade has happened.
	if d := weeks[4][2] - weeks[2][2]; math.Abs(d) > 0.03 {
		t.Errorf("the label rate moves by %.3f from the shift week", d)
	}
	// Never is never: a negative week changes nothing.
	never := world{linear: linear, events: Events{Fade: -1, Shift: -1, Broken: -1}}
	late := never.draw(newRand(1), 100, rows)
	if c, m := corr(column(late, Fading), labels(late)), mean(column(late, Shifted)); c < 0.15 || math.Abs(m) > 0.05 {
		t.Errorf("week 100 of a world without events: the fading feature's correlation %.3f, the shifted mean %.3f", c, m)
	}
}

// TestABrokenRetrainChangesOnlyItsWeek generates one season with a broken
// week and one without: the rows are the same everywhere and the models
// differ only in the broken week.
func TestABrokenRetrainChangesOnlyItsWeek(t *testing.T) {
	base := t.TempDir()
	seasons := make([]*Season, 2)
	for i, broken := range []int{1, -1} {
		opts := small(filepath.Join(base, string(rune('a'+i))), 3)
		opts.Weeks, opts.TrainRows, opts.Epochs = 3, 400, 2
		opts.Events = &Events{Fade: -1, Shift: -1, Broken: broken}
		opts.Hidden = []int{8}
		s, err := Generate(context.Background(), opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		seasons[i] = s
	}
	if s := seasons[0]; !slices.Equal(s.Layers, []int{Features, 8, 2}) || s.Events.Broken != 1 {
		t.Fatalf("season layers %v, events %+v", s.Layers, s.Events)
	}
	for week := range 3 {
		a, b := seasons[0].Weeks[week], seasons[1].Weeks[week]
		if string(read(t, a.Train, "")) != string(read(t, b.Train, "")) {
			t.Errorf("week %d: the broken retrain changed the rows", week)
		}
		same := slices.Equal(kernel(t, a.Model), kernel(t, b.Model))
		if same != (week != 1) {
			t.Errorf("week %d: the first kernels are the same: %v; want them to differ only in the broken week", week, same)
		}
	}
}

// kernel is the first layer's kernel of the model at prefix.
func kernel(t *testing.T, prefix string) []float32 {
	t.Helper()
	files, err := keras.Resolve(prefix, "")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := keras.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	if w := snap.Layers()[0].Weights[0].Shape; w[0] != Features || w[1] != 8 {
		t.Fatalf("%s: first kernel %v, want %d x 8", prefix, w, Features)
	}
	return snap.Layers()[0].Weights[0].Data
}

func TestGenerateRefusesKnobsNoSeasonHas(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Options)
		err  string
	}{
		{"three linear effects for ten features", func(o *Options) { o.Linear = []float64{1, 2, 3} }, "3 linear effects: need one for each of features 0 to 9"},
		{"a hidden layer of no units", func(o *Options) { o.Hidden = []int{8, 0} }, "hidden layers [8 0]: every width must be at least 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := small(t.TempDir(), 1)
			c.set(&opts)
			if _, err := Generate(context.Background(), opts, nil); err == nil || err.Error() != c.err {
				t.Errorf("error %v, want %q", err, c.err)
			}
		})
	}
}

func TestTheDemoKeepsItsOwnWorldAndTheProofHasItsOwn(t *testing.T) {
	d := Options{}.withDefaults()
	if *d.Events != DemoEvents || !slices.Equal(d.Hidden, []int{64, 64}) || !slices.Equal(d.Linear, linear) || d.LR != 0.003 {
		t.Errorf("the demo's defaults: events %+v, hidden %v, linear %v, lr %g", *d.Events, d.Hidden, d.Linear, d.LR)
	}
	p := Proof("dir", 7)
	if p.Dir != "dir" || p.Seed != 7 || p.Weeks != ProofWeeks || *p.Events != (Events{ProofFade, ProofShift, ProofBroken}) {
		t.Errorf("the proof's options %+v, events %+v", p, *p.Events)
	}
	if !(ProofFade < ProofShift && ProofShift < ProofBroken && ProofBroken+2 < ProofWeeks) {
		t.Error("the proof's events must come in turn and leave two good retrains at the end")
	}
	// Every planted effect of the proof is clearly there; the demo keeps
	// its weak ones.
	for i, b := range ProofLinear {
		if math.Abs(b) < 0.8 || math.Signbit(b) != math.Signbit(linear[i]) {
			t.Errorf("the proof's effect of feature %d is %g; want at least 0.8 with the demo's sign (%g)", i, b, linear[i])
		}
	}
}
