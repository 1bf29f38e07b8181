package demo

// Events place a season's planted changes by week, counting from 0; a
// negative week never comes. Every other week is retrained on fresh rows
// of the same world with a good learning rate: nothing changes.
type Events struct {
	Fade   int // from this week Fading has no effect on the label
	Shift  int // from this week Shifted is drawn around its new centre, its effect unchanged
	Broken int // this week's retrain takes Options.BrokenLR: a clearly worse model
}

// DemoEvents are the weeks of `tracker demo`: Fading fades from FadeWeek,
// Shifted moves from ShiftWeek, and no retrain is broken.
var DemoEvents = Events{Fade: FadeWeek, Shift: ShiftWeek, Broken: -1}

// from reports whether week is at or past event, an event that comes.
func (Events) from(event, week int) bool { return event >= 0 && week >= event }

// Quiet reports whether nothing changed between week-1 and week: both
// models were retrained well on fresh rows of one and the same world, so
// any difference between their measurements is sampling and retrain
// noise. A week of an event, and the week after a broken retrain, are not
// quiet; neither is week 0, which has no week before it.
func (e Events) Quiet(week int) bool {
	return week >= 1 && week != e.Fade && week != e.Shift && week != e.Broken && week-1 != e.Broken
}

// The proof season (see docs/PROOF.md): eight quiet weeks, then Fading
// stops mattering, then Shifted moves, then one broken retrain, then two
// good retrains.
const (
	ProofWeeks  = 13
	ProofFade   = 8
	ProofShift  = 9
	ProofBroken = 10
)

// ProofLinear are the proof season's main effects of features 0 to 9:
// the demo's order and signs, every one strong enough that a good method
// tells it from none on the proof's held-out rows. The demo's weakest
// effects (0.3, 0.4) are meant to be hard; a proof that no planted
// feature is called negligible needs effects that are clearly there.
var ProofLinear = []float64{1.6, -1.3, 1.2, 1.1, -1.0, 1.0, 0.9, -0.9, 0.8, 0.8}

// Proof is the season the scenario tests prove tracker's verdicts on,
// written to dir: ProofWeeks weeks of the demo's world with the proof's
// events and effects, a narrower network than the demo's so the whole
// proof trains and measures in seconds, and more held-out rows so that
// a week's measurement is precise enough to judge.
func Proof(dir string, seed uint64) Options {
	return Options{
		Dir: dir, Weeks: ProofWeeks, Seed: seed,
		TrainRows: 8000, HoldoutRows: 4000, Epochs: DefaultEpochs,
		Events: &Events{Fade: ProofFade, Shift: ProofShift, Broken: ProofBroken},
		Hidden: []int{64, 64},
		Linear: ProofLinear,
	}
}
