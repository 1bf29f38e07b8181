package compare

import (
	"slices"

	"github.com/tracker-ml/tracker/experiments"
)

// Labeled is one series' record in one week, named as the output names
// the series.
type Labeled struct {
	Label  string
	Result experiments.Result
}

// Candidate is a feature negligible in every week under every method that
// could judge it: a candidate for removal, to confirm by retraining
// without it.
type Candidate struct {
	Feature int
	// Support holds, per week, the labels of the series that found it
	// negligible: at least one in each week that judged it, none in a
	// week passed over.
	Support [][]string
	// Passed are the weeks (indices, oldest first) where no series could
	// judge the feature, such as a broken retrain's, where nothing is
	// clearly there: they count neither for nor against it.
	Passed []int
	// Retrained is the newest drop-retrain record of the weeks that
	// measured the feature, nil when none did.
	Retrained *Retrained
}

// Retrained is what one drop-retrain record says about a feature.
type Retrained struct {
	Week   int // an index into the weeks judged
	Label  string
	Value  float64
	SE     float64 // NaN when unknown (one seed)
	Effect experiments.Effect
}

// Unable is a series that could judge no effect in a week, and why.
type Unable struct {
	Label, Why string
	Week       int
}

// NegligibleAcross finds the features negligible in every one of weeks
// (oldest first; each the records of one week, one per series) under
// every behavioural series of kinds (all behavioural kinds when empty)
// that can judge (JudgeEffects): a feature qualifies when, in each week
// that judged it, at least one such series found it negligible and none
// found it clearly there or could not tell, and at least one week judged
// it. A series that did not measure the feature (a drop-retrain of some
// features) makes no claim about it either way; a record that cannot
// judge (one seed, a sensitivity without a null, a week with nothing
// clearly there) makes none either, except that a sensitivity of zero is
// negligible, and is listed in unable, once per series and week. A week
// where nothing judged the feature is passed over (Candidate.Passed):
// a broken retrain says nothing about any one feature, and must not hide
// every candidate for the weeks around it.
// Weight-based records never count. Candidates come in feature order.
func NegligibleAcross(weeks [][]Labeled, kinds []string) (cands []Candidate, unable []Unable) {
	width := 0
	effects := make([][]Effects, len(weeks))
	use := make([][]bool, len(weeks)) // the record counts for the verdict
	for w, recs := range weeks {
		effects[w], use[w] = make([]Effects, len(recs)), make([]bool, len(recs))
		for i, l := range recs {
			width = max(width, len(l.Result.Value))
			if !behavioural(l.Result.Kind) {
				continue
			}
			effects[w][i] = JudgeEffects(l.Result)
			if len(kinds) > 0 && !slices.Contains(kinds, l.Result.Kind) {
				continue
			}
			use[w][i] = true
			if !effects[w][i].Judged() {
				unable = append(unable, Unable{Label: l.Label, Why: effects[w][i].Why, Week: w})
			}
		}
	}
	for f := range width {
		c := Candidate{Feature: f, Support: make([][]string, len(weeks))}
		ok, judged := true, 0
		for w, recs := range weeks {
			against := false
			for i, l := range recs {
				r := l.Result
				if r.Kind == experiments.KindDropRetrain && measured(r, f) {
					se := experiments.StandardErrors(r)[f]
					c.Retrained = &Retrained{Week: w, Label: l.Label, Value: r.Value[f], SE: se, Effect: effectAt(effects[w][i], f)}
				}
				e := effects[w][i]
				if !use[w][i] || !measured(r, f) {
					continue
				}
				switch {
				case e.Effect[f] == experiments.EffectNone:
					c.Support[w] = append(c.Support[w], l.Label)
				case e.Judged():
					against = true // clearly there, or too loosely measured to tell
				}
			}
			switch {
			case against:
				ok = false
			case len(c.Support[w]) > 0:
				judged++
			default:
				c.Passed = append(c.Passed, w)
			}
		}
		if ok && judged > 0 {
			cands = append(cands, c)
		}
	}
	return cands, unable
}

// behavioural reports whether kind measures what the model does: every
// kind but the weight-based ones, including kinds tracker does not know
// (results imported under another name).
func behavioural(kind string) bool {
	switch kind {
	case experiments.KindWeightSum, experiments.KindGarson, experiments.KindOlden:
		return false
	}
	return true
}

// effectAt is e's verdict on f, EffectUnknown when e has none.
func effectAt(e Effects, f int) experiments.Effect {
	if f < len(e.Effect) {
		return e.Effect[f]
	}
	return experiments.EffectUnknown
}
