package retrain

import (
	"fmt"
	"math"
	"slices"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/compare"
	"github.com/tracker-ml/tracker/tracker"
)

// The causes a check gives a broken bound.
const (
	CauseData    = "data"    // the rows moved: drifted features, or a change last week's model shows on this week's rows
	CauseModel   = "model"   // the weights, representations or behaviour moved on the same rows
	CauseQuality = "quality" // the model's metrics fell
)

// Measure is one quantity a check bounds.
type Measure struct {
	Name    string
	Value   float64
	Side    Side
	Default Bound // used until the bound is learned
	Cause   string
	// SE is the sampling standard error of Value where known (a metric's
	// change): a value is abnormal only when it is also beyond SEGate SEs,
	// so a week evaluated on few rows is not failed for its sampling.
	SE float64
	// Data says the measure needs rows (--data): its history is only the
	// checks that read the same rows.
	Data bool
	// Log bands it on its logarithm: a ratio, a size or a correlation,
	// never a signed change.
	Log bool
	// Weights says it comes from the two versions' weights alone, so a
	// pair's value never changes and is cached.
	Weights bool
	// Detail says what the name abbreviates (the layer's name), for the
	// violation line.
	Detail string
}

// The default bounds, used until a quantity has MinHistory past values
// (docs/METHODS.md, "Checking a retrain"). Each is wide of what normal
// retrains from scratch showed in the check season (tracker's trainer,
// 82 -> 64 -> 64 -> 2, fresh rows each week): scale ratios 0.92 to 1.15,
// aligned changes 0.78 to 1.24, spectrum changes 0.02 to 0.15, the
// permutation ranking's Spearman 0.59 to 0.96, churn and probability
// changes of a few hundredths; a retrain at ten times the learning rate
// gave a scale ratio of 2.36, an aligned change of 2.2 and a spectrum
// change of 1.4.
var (
	defaultScaleRatio     = Within(1/1.5, 1.5) // a layer's weights grew or shrank by half
	defaultAlignedChange  = Upper(1.6)         // after matching units, well past a retrain from scratch
	defaultSpectrumChange = Upper(0.5)         // the singular values moved by half their norm
	defaultSpearman       = Lower(0.3)         // the features that matter reordered
	// Models retrained from scratch share little of their hidden layers
	// on the same rows (the demo's 64-unit layers: CKA 0.47 to 0.62, churn
	// 0.15 to 0.17, negative flip rate 0.07 to 0.08 between normal weeks),
	// so until the rows' own history is learned only a collapse fails.
	defaultCKA        = Lower(0.3)  // a hidden layer's representation changed
	defaultChurn      = Upper(0.3)  // three rows in ten predicted otherwise
	defaultProbChange = Upper(0.2)  // the decision probability moved by 0.2 on average
	defaultFlipRate   = Upper(0.15) // three rows in twenty the old model got right are now wrong
	// A metric's week-to-week change on a few thousand rows holds their
	// sampling (accuracy: 0.006 on 4,000 rows each week) and the retrain's
	// (about as much): normal changes reach 0.02, and 4 points is a model
	// that got worse.
	defaultQuality = map[string]Bound{
		"accuracy": Lower(-0.04), "auc": Lower(-0.04), "logloss": Upper(0.1), "brier": Upper(0.03), "ece": Upper(0.05),
		"base_rate": Within(-0.05, 0.05), "predicted_positive": Within(-0.1, 0.1),
	}
)

// weightBased are the kinds whose rankings a check does not bound: a
// retrain from scratch redraws the weights, and rankings read from them
// reshuffle (Spearman 0.25 to 0.46 between normal weeks of the check
// season), so a bound would say only that the weights were redrawn. diff
// still shows them.
var weightBased = []string{experiments.KindWeightSum, experiments.KindGarson, experiments.KindOlden}

// Measures are the comparison's bounded quantities, each named so the
// same quantity of another week pair has the same name.
func (c *Comparison) Measures() []Measure {
	var out []Measure
	if c.Weights != nil {
		// By position, not by the layer's name: Keras numbers its layers
		// per session, so names drift from one retrain to the next.
		for i, l := range c.Weights.Layers {
			at := fmt.Sprintf("weights/%d/", i+1)
			out = append(out,
				Measure{Name: at + "scale_ratio", Value: l.ScaleRatio, Side: Both, Default: defaultScaleRatio, Cause: CauseModel, Log: true, Weights: true, Detail: l.Name},
				Measure{Name: at + "aligned_change", Value: l.AlignedChange, Side: Above, Default: defaultAlignedChange, Cause: CauseModel, Log: true, Weights: true, Detail: l.Name},
				Measure{Name: at + "spectrum_change", Value: l.SpectrumChange, Side: Above, Default: defaultSpectrumChange, Cause: CauseModel, Log: true, Weights: true, Detail: l.Name})
		}
	}
	for _, s := range c.Importance {
		if slices.Contains(weightBased, s.Kind) {
			continue
		}
		out = append(out, Measure{Name: "importance/" + s.Label + "/spearman", Value: s.Spearman, Side: Below, Default: defaultSpearman, Cause: CauseModel, Log: true,
			Detail: fmt.Sprintf("over %d features", s.Compared)})
	}
	if c.QualityA != nil && c.QualityB != nil {
		for _, name := range qualityNames {
			a, okA := c.QualityA.Metrics[name]
			b, okB := c.QualityB.Metrics[name]
			if !okA || !okB {
				continue
			}
			side := Above
			switch name {
			case "accuracy", "auc":
				side = Below
			case "base_rate", "predicted_positive":
				side = Either
			}
			cause := CauseQuality
			if name == "base_rate" {
				cause = CauseData
			}
			out = append(out, Measure{Name: "quality/" + name, Value: b - a, Side: side, Default: defaultQuality[name], Cause: cause,
				SE: math.Hypot(c.QualityA.SE[name], c.QualityB.SE[name])})
		}
	}
	for i, v := range c.CKA {
		out = append(out, Measure{Name: fmt.Sprintf("representation/%d/cka", i+1), Value: v, Side: Below, Default: defaultCKA, Cause: CauseModel, Data: true, Log: true,
			Detail: fmt.Sprintf("hidden layer %d", i+1)})
	}
	if b := c.Behaviour; b != nil {
		out = append(out,
			Measure{Name: "behaviour/churn", Value: b.Churn, Side: Above, Default: defaultChurn, Cause: CauseModel, Data: true, Log: true},
			Measure{Name: "behaviour/mean_abs_change", Value: b.MeanAbsChangePredicted, Side: Above, Default: defaultProbChange, Cause: CauseModel, Data: true, Log: true})
		if !math.IsNaN(b.NegativeFlipRate) {
			out = append(out, Measure{Name: "behaviour/negative_flip_rate", Value: b.NegativeFlipRate, Side: Above, Default: defaultFlipRate, Cause: CauseModel, Data: true, Log: true})
		}
	}
	return out
}

// qualityNames are the metrics a check bounds the change of.
var qualityNames = []string{"accuracy", "logloss", "auc", "brier", "ece", "base_rate", "predicted_positive"}

// Rules are the violations that need no learned bound, as their
// statistics control their own false discoveries: every feature whose
// data drifted (and the label's base rate), and every feature that went
// from clearly there to negligible in a method that can judge it.
func (c *Comparison) Rules() []tracker.Violation {
	var out []tracker.Violation
	drifted := c.Drifted()
	if c.Drift != nil {
		for _, f := range c.Drift.Features {
			if !f.Drifted {
				continue
			}
			i := c.index(f)
			out = append(out, tracker.Violation{What: "data drift of " + c.name(i), Feature: &i, Value: f.KS,
				Bound: "KS test surviving Benjamini-Hochberg at 5% with KS >= 0.1 or PSI > 0.2", Cause: CauseData,
				Detail: fmt.Sprintf("PSI %.3g, KS %.3g, mean moved %s reference sds, data role %s", f.PSI, f.KS, sdString(f.MeanChangeSD), c.DriftRole)})
		}
		if l := c.Drift.Label; l != nil && l.Drifted {
			out = append(out, tracker.Violation{What: "label base rate drift", Value: l.Change, Bound: "p < 0.05 and a move of at least 0.02", Cause: CauseData,
				Detail: fmt.Sprintf("%.4g -> %.4g", l.Reference, l.Current)})
		}
	}
	if c.ArchChange != "" {
		out = append(out, tracker.Violation{What: "architecture changed", Value: math.NaN(), Bound: "the same layers as " + c.A.Week, Cause: CauseModel, Detail: c.ArchChange})
	}
	seen := map[int]bool{}
	for _, s := range c.Importance {
		for _, f := range s.BecameNegligible {
			if seen[f] {
				continue
			}
			seen[f] = true
			cause, why := CauseModel, "the weeks' data did not drift for it"
			switch {
			case slices.Contains(drifted, f):
				cause, why = CauseData, "its data drifted"
			case c.negligibleOnNewRows(s.Key, f):
				cause, why = CauseData, "last week's model shows it negligible on this week's rows too"
			}
			out = append(out, tracker.Violation{What: "importance of " + c.name(f) + " went to zero (" + s.Label + ")", Feature: &f,
				Value: math.NaN(), Bound: "clearly there in " + c.A.Week, Cause: cause, Detail: "negligible in " + c.B.Week + "; " + why})
		}
	}
	return out
}

// negligibleOnNewRows reports whether A's model on B's rows (a data role
// next record of series key) calls feature f negligible.
func (c *Comparison) negligibleOnNewRows(key string, f int) bool {
	for _, e := range c.next {
		if e.DataSHA256 != c.rowsOfB[key] {
			continue // on other rows than B's own record of the series
		}
		p := make(map[string]string, len(e.Params))
		for k, v := range e.Params {
			if k != tracker.RoleParam {
				p[k] = v
			}
		}
		if tracker.SeriesKey(e.Kind, p) != key {
			continue
		}
		eff := compare.JudgeEffects(resultOfRecord(e))
		return effectAt(eff, f) == experiments.EffectNone
	}
	return false
}

// name is feature f as a message names it.
func (c *Comparison) name(f int) string {
	return experiments.FeatureLabel(c.Names, f)
}

func sdString(p *float64) string {
	if p == nil {
		return "?"
	}
	return fmt.Sprintf("%+.3g", *p)
}
