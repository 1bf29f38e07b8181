package cli

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"math"
	"slices"

	"github.com/tracker-ml/tracker/internal/runs"
	"github.com/tracker-ml/tracker/plotting"
	"github.com/tracker-ml/tracker/plotting/report"
	"github.com/tracker-ml/tracker/tracker"
)

// lowerIsBetter are the metrics a rise of which makes the model worse.
var lowerIsBetter = []string{"logloss", "brier", "ece"}

// reportQuality is the report's model-quality section for the newest n
// weeks, nil when no week of them has an evaluation.
func reportQuality(g *globals, model string, n int) (*report.Quality, error) {
	weeks, err := modelHistory(g, model, n, runs.DefaultRole)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(weeks, func(w modelWeek) bool { return w.Evaluation != nil }) {
		return nil, nil
	}
	names := judgedMetrics()
	q := &report.Quality{Role: runs.DefaultRole, Metrics: append([]string{"rows"}, names...)}
	var labels []string
	lines := map[string][]float64{}
	for _, w := range weeks {
		labels = append(labels, w.Week)
		qw := report.QualityWeek{Week: w.Week}
		for _, name := range q.Metrics {
			v := w.metric(name)
			cell := report.QualityCell{}
			if !math.IsNaN(v) {
				cell.Value = fmt.Sprintf("%.4g", roundTrip32(v))
			}
			if c := w.change(name); c != nil {
				cell.Change, cell.Significant = fmt.Sprintf("%+.2g", roundTrip32(c.Delta)), c.Significant
				cell.Down = (c.Delta > 0) == slices.Contains(lowerIsBetter, name)
				cell.Neutral = name == "base_rate" || name == "predicted_positive" // no direction is better
			}
			qw.Cells = append(qw.Cells, cell)
			lines[name] = append(lines[name], v)
		}
		q.Weeks = append(q.Weeks, qw)
		if w.modelEffect != nil || w.dataEffect != nil {
			q.Notes = append(q.Notes, effectNote(w))
		}
	}
	var series []plotting.Series
	for _, name := range []string{"accuracy", "auc"} {
		series = append(series, plotting.Series{Name: name, Values: lines[name]})
	}
	var buf bytes.Buffer
	err = plotting.Quality(&buf, plotting.SVG, "Accuracy and AUC by week", labels, series)
	switch {
	case errors.Is(err, plotting.ErrNoData):
	case err != nil:
		return nil, err
	default:
		q.Chart = &report.Chart{Title: "Accuracy and AUC of each week's model on its own held-out rows", SVG: template.HTML(buf.String())}
	}
	return q, nil
}

// effectNote says how a week's accuracy change splits into the model's
// part and the data's.
func effectNote(w modelWeek) string {
	return fmt.Sprintf("week %s: accuracy %s", w.Week, effectSplit(metricOf(w.modelEffect, "accuracy"), metricOf(w.dataEffect, "accuracy")))
}

// metricOf is x[name], NaN when x is nil (no cross-records).
func metricOf(x tracker.Numbers, name string) float64 {
	if x == nil {
		return math.NaN()
	}
	return value(x, name)
}

// effectSplit says a change's model effect and data effect (NaN: not
// measured), as query model, query feature and the report all say it.
func effectSplit(model, data float64) string {
	part := func(x float64) string {
		if math.IsNaN(x) {
			return "not measured"
		}
		return signed32(x)
	}
	return fmt.Sprintf("model effect (the new model on last week's rows) %s, data effect (last week's model on the new rows) %s", part(model), part(data))
}

// reportDrift is the report's data-drift section for the newest week with
// a profile and the one before it, nil when there are not two; the
// importance change of each drifted feature is read from method, the
// report's most telling section.
func reportDrift(g *globals, model, last string, method *report.Method) (*report.Drift, error) {
	v, err := weekDrift(g, model, "", "previous", "")
	if errors.Is(err, errNoDrift) {
		return nil, nil // fewer than two profiles of the role: nothing to compare yet
	}
	if err != nil {
		return nil, err
	}
	d := &report.Drift{Role: v.role, Week: v.week, Against: v.against, Drifted: v.drift.Drifted, Features: len(v.drift.Features)}
	if method != nil && (v.week != last || v.against != method.PrevWeek) {
		method = nil // its change is of other weeks than the drift's
	}
	if method != nil {
		d.Method = method.Label
	}
	for _, r := range v.rows() {
		if !r.Drifted || r.Label || r.Index == nil {
			continue
		}
		row := report.DriftRow{Index: *r.Index, Name: r.Name, PSI: short3(r.PSI), KS: short3(r.KS), Wasserstein: short3(r.Wasserstein), Mean: short3(r.MeanChange)}
		if method != nil {
			for _, mr := range method.Rows {
				if mr.Index == *r.Index {
					row.Importance, row.ImportanceSignificant = mr.Change, mr.Significant
				}
			}
		}
		d.Rows = append(d.Rows, row)
	}
	if l := v.drift.Label; l != nil && l.Judged {
		verdict := "no drift"
		if l.Drifted {
			verdict = "drifted"
		}
		d.Label = fmt.Sprintf("Label base rate %.4g → %.4g (p %.3g): %s.", l.Reference, l.Current, l.P, verdict)
	}
	return d, nil
}

func short3(p *float64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%.3g", *p)
}

// reportChecks marks each week covered with what tracker check says of
// it, and opens the page with the newest week's check when there is one.
func reportChecks(g *globals, model string, data *report.Data) error {
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	h, err := store.Checks(model)
	if err != nil {
		return err
	}
	for i := range data.Versions {
		v := &data.Versions[i]
		v.Standing = string(h.Standing(v.Week, v.Version))
	}
	if len(data.Versions) == 0 {
		return nil
	}
	newest := data.Versions[len(data.Versions)-1]
	cs := h.ChecksOf(newest.Week, newest.Version)
	if len(cs) == 0 {
		return nil
	}
	c := cs[len(cs)-1]
	rc := &report.Check{Week: c.Week, Against: c.Against, Pass: c.Pass, Learned: c.Learned}
	for _, a := range h.Acceptances {
		if a.Week == newest.Week && a.Version == newest.Version {
			rc.Accepted = a.Reason
		}
	}
	for _, v := range c.Violations {
		value := ""
		if !math.IsNaN(v.Value) {
			value = " " + num32(v.Value) + ","
		}
		rc.Violations = append(rc.Violations, fmt.Sprintf("%s:%s bound %s; likely cause: %s", v.What, value, v.Bound, v.Cause))
	}
	data.Check = rc
	return nil
}
