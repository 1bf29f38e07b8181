package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tracker-ml/tracker/experiments/nn"
)

// The demo's world: Features columns of which a few carry the label, each
// in a way a weak importance measure gets wrong. Weeks count from 0.
const (
	Features  = 82
	Fading    = 17 // strong until FadeWeek, then no effect at all
	FadeWeek  = 7  // the eighth week
	Shifted   = 5  // its distribution moves up by shift from ShiftWeek
	ShiftWeek = 9  // the tenth week
	PairA     = 10 // with PairB: an interaction, no main effect
	PairB     = 11
	Copy      = 12 // a noisy copy of feature 0
)

// Effect sizes of the planted logistic model, and how far Shifted moves.
const (
	shift       = 1.5
	copyNoise   = 0.3
	pairEffect  = 1.8
	fadeEffect  = 1.4
	rngStream   = 0x64656d6f // "demo"
	labelColumn = "churned"
)

// linear are the main effects of features 0 to 9.
var linear = []float64{1.6, -1.3, 1.1, 0.9, -0.8, 0.7, 0.6, -0.5, 0.4, 0.3}

// Names returns the feature names, in column order: the planted features
// by what they stand for, the rest noise_NN.
func Names() []string {
	planted := map[int]string{
		0: "tenure_months", 1: "support_tickets", 2: "monthly_spend", 3: "logins_per_week",
		4: "days_since_login", Shifted: "basket_value", 6: "referrals", 7: "late_payments",
		8: "app_rating", 9: "newsletter_opens", PairA: "promo_a", PairB: "promo_b",
		Copy: "tenure_copy", Fading: "legacy_score",
	}
	names := make([]string, Features)
	for i := range names {
		if n, ok := planted[i]; ok {
			names[i] = n
		} else {
			names[i] = fmt.Sprintf("noise_%02d", i)
		}
	}
	return names
}

// newRand is the season's one source of rows; Generate and the tests
// must draw from the same stream.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, rngStream))
}

// world is the planted model rows are drawn from: the main effects of
// features 0 to 9 and the weeks its events come.
type world struct {
	linear []float64
	events Events
}

// demoWorld is the world `tracker demo` draws from.
var demoWorld = world{linear: linear, events: DemoEvents}

// drawRows draws one week's rows of the demo's world.
func drawRows(rng *rand.Rand, week, rows int) nn.Labeled {
	return demoWorld.draw(rng, week, rows)
}

// draw draws one week's rows: standard normal features, the copy and the
// shift applied, and a label drawn from the planted logistic model.
func (w world) draw(rng *rand.Rand, week, rows int) nn.Labeled {
	shifted, faded := w.events.from(w.events.Shift, week), w.events.from(w.events.Fade, week)
	d := nn.Labeled{Rows: rows, X: make([]float32, rows*Features), Labels: make([]int, rows)}
	for r := range rows {
		x := d.X[r*Features : (r+1)*Features]
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		x[Copy] = x[0] + float32(copyNoise*rng.NormFloat64())
		if shifted {
			x[Shifted] += shift
		}
		var z float64
		for i, b := range w.linear {
			v := float64(x[i])
			if i == Shifted && shifted {
				v -= shift // the effect follows the old centre: the shift is drift, not signal
			}
			z += b * v
		}
		z += pairEffect * float64(x[PairA]) * float64(x[PairB])
		if !faded {
			z += fadeEffect * float64(x[Fading])
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			d.Labels[r] = 1
		}
	}
	return d
}
