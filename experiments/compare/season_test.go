package compare

import (
	"math"
	"math/rand/v2"

	"github.com/tracker-ml/tracker/experiments"
)

// A synthetic season: weekly records of one method on retrains of a model
// whose true effects are given, with the two noises a real season has.
// Each week's value is the true effect, plus the retrain's randomness
// (retrain x its size, plus a floor), plus the measurement's own sampling
// over `samples` draws of spread `sampling`. Nothing is trained. A
// label-aware method's value for a feature with no link to the label is 0
// for every retrain (shuffling or dropping it leaves the joint
// distribution of the other inputs and the label as it was), so there the
// floor does not apply and only the sampling remains; a sensitivity or a
// weight sum of such a feature moves with the retrain's random weights.
type testSeason struct {
	kind     string
	samples  int       // repeats, pivots or seeds
	effect   []float64 // the true effect per feature
	retrain  float64   // the retrain's randomness, relative to the effect
	floor    float64   // and its floor, for features that matter little
	sampling float64   // the spread of one sample
	global   float64   // a shared relative shift per week (a retrain that scales every feature), 0 for none
}

// plantedEffects are 82 features: ten that matter (0.2 down to 0.02), the
// rest pure noise (0).
func plantedEffects() []float64 {
	e := make([]float64, 82)
	for i := range 10 {
		e[i] = 0.2 * math.Pow(0.775, float64(i))
	}
	return e
}

// week draws one week's record with true effects eff.
func (s testSeason) week(rng *rand.Rand, eff []float64) experiments.Result {
	n := len(eff)
	r := experiments.Result{Kind: s.kind, Params: map[string]string{sampleKey[s.kind]: itoa(s.samples)}, Value: make([]float64, n), Spread: make([]float64, n)}
	g := 1 + s.global*rng.NormFloat64()
	for f, mu := range eff {
		spread := s.retrain * math.Abs(mu)
		if mu != 0 || !labelAware(s.kind) {
			spread += s.floor
		}
		base := g*mu + spread*rng.NormFloat64()
		xs := make([]float64, s.samples)
		for i := range xs {
			xs[i] = base + s.sampling*rng.NormFloat64()
		}
		r.Value[f], r.Spread[f] = meanSD(xs)
	}
	if labelAware(s.kind) {
		r.Rank = experiments.RankSigned(r.Value)
	} else {
		for f := range r.Value {
			r.Value[f] = math.Abs(r.Value[f])
		}
		r.Rank = experiments.Rank(r.Value)
	}
	return r
}

// weeks draws a season of n weeks; change, when given, sets week w's true
// effects from the planted ones.
func (s testSeason) weeks(seed uint64, n int, change func(w int, eff []float64)) []experiments.Result {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]experiments.Result, n)
	for w := range out {
		eff := append([]float64(nil), s.effect...)
		if change != nil {
			change(w, eff)
		}
		out[w] = s.week(rng, eff)
	}
	return out
}

func meanSD(xs []float64) (float64, float64) {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	if len(xs) < 2 {
		return m, 0
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-1))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func labelAware(kind string) bool {
	return kind == experiments.KindPermutation || kind == experiments.KindDropRetrain
}
