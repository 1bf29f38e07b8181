package cli

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/internal/retrain"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/tracker"
)

// checkOptions are check's flags.
type checkOptions struct {
	model, week, against, format string
	data                         dataOptions
	maxChurn, minCKA, maxScale   float64
}

func newCheckCmd(g *globals) *cobra.Command {
	opts := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check [--week W] [--against WEEK] [--data F --label COL [--drop COL,...]] [--max-churn X] [--min-cka Y] [--max-scale-change Z] [--format table|json]",
		Short: "Gate a retrain: exit 3 when the week is out of its normal bounds",
		Long: `Compare week W (default the newest) with the newest earlier week that passed
its check, was accepted, or was never checked (--against overrides), and
bound every quantity by what this model's normal retrains showed: each
layer's weight scale ratio, aligned change and spectrum change, each
importance series' rank correlation, and each quality metric's change; with
--data also each hidden layer's CKA, the prediction churn and the mean
probability change on those rows. Once 4 week-to-week changes between
normal weeks are known a bound is learned (median and k x MAD, k chosen for
about one false alarm in twenty checks); before, documented defaults apply
and the output says so. Every feature whose data drifted and every feature
that went from clearly there to negligible breaks a bound too. Each broken
bound is a line: what, how much, the bound, and the likely cause (data,
model or quality). Exit 0 when the week is within bounds, 3 when not, 1 on
error. Every result is stored: tracker query checks lists them.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd, g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.StringVar(&opts.week, "week", "", "the week to check, YYYY-MM-DD (default: the newest)")
	f.StringVar(&opts.against, "against", "", "the week to compare with (default: the newest earlier week that passed, was accepted or was never checked)")
	f.StringVar(&opts.format, "format", "", "table or json (default: table)")
	f.Float64Var(&opts.maxChurn, "max-churn", -1, "with --data: the largest share of rows whose predicted class may change (default: learned)")
	f.Float64Var(&opts.minCKA, "min-cka", -1, "with --data: the smallest CKA any hidden layer may have (default: learned)")
	f.Float64Var(&opts.maxScale, "max-scale-change", -1, "the largest factor by which a layer's weights may grow or shrink, as a share, 0.5 for x1/1.5 to x1.5 (default: learned)")
	opts.data.register(cmd, "label column of --data, by name or 0-based index")
	cmd.AddCommand(newCheckAcceptCmd(g))
	return cmd
}

func runCheck(cmd *cobra.Command, g *globals, opts *checkOptions) error {
	format, err := pickFormat(opts.format, true, formatTable, formatJSON)
	if err != nil {
		return err
	}
	bound := func(flag string, v float64) (float64, error) {
		switch {
		case !cmd.Flags().Changed(flag):
			return math.NaN(), nil // learned
		case v < 0 || math.IsInf(v, 0) || math.IsNaN(v):
			return 0, usagef("--%s %v: give a number of 0 or more", flag, v)
		}
		return v, nil
	}
	var err2 error
	if opts.maxChurn, err2 = bound("max-churn", opts.maxChurn); err2 != nil {
		return err2
	}
	if opts.minCKA, err2 = bound("min-cka", opts.minCKA); err2 != nil {
		return err2
	}
	if opts.maxScale, err2 = bound("max-scale-change", opts.maxScale); err2 != nil {
		return err2
	}
	if opts.data.path == "" && (!math.IsNaN(opts.maxChurn) || !math.IsNaN(opts.minCKA)) {
		return usagef("--max-churn and --min-cka bound what the models do on rows: give them with --data F")
	}
	if opts.data.path == "" && (opts.data.label != "" || len(opts.data.drop) > 0) {
		return usagef("--label and --drop say how to read --data F: give the file too")
	}
	if opts.week, err2 = weekArg("--week", opts.week); err2 != nil {
		return err2
	}
	if opts.against, err2 = weekArg("--against", opts.against); err2 != nil {
		return err2
	}
	spec := retrain.CheckSpec{Model: opts.model, Week: opts.week, Against: opts.against,
		Bounds: retrain.Explicit{MaxChurn: opts.maxChurn, MinCKA: opts.minCKA, MaxScaleChange: opts.maxScale}}
	if opts.data.path != "" {
		if spec.Rows, err = loadForModel(g, opts.model, &opts.data); err != nil {
			return err
		}
	}
	res, err := retrain.Check(cmd.Context(), retrainEnv(g), spec)
	if err != nil {
		return err
	}
	if format == formatJSON {
		err = writeJSON(g.env.Out, checkJSON(res))
	} else {
		err = writeCheck(g.env.Out, opts.model, res)
	}
	if err != nil {
		return err
	}
	if !res.Pass {
		return checkFailed{week: res.Week, violations: len(res.Violations)}
	}
	return nil
}

// loadForModel reads --data for model's newest version: its columns
// matched to the series' feature names, and as many as its inputs.
func loadForModel(g *globals, model string, d *dataOptions) (*dataset.Dataset, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, err
	}
	names, err := store.Features(model)
	var latest tracker.VersionInfo
	if err == nil {
		latest, err = store.Latest(model)
	}
	store.Close()
	if err != nil {
		return nil, err
	}
	return d.load(g.env.ErrOut, model, names, latest.Inputs)
}

// retrainEnv is what internal/retrain needs from the command.
func retrainEnv(g *globals) retrain.Env {
	return retrain.Env{Open: g.open, Now: g.env.Now, ToolVersion: Version(), Notes: g.env.ErrOut}
}

// checkResultJSON is check's JSON: {week, against, pass, learned,
// violations}.
type checkResultJSON struct {
	Week       string              `json:"week"`
	Against    string              `json:"against"`
	Pass       bool                `json:"pass"`
	Learned    bool                `json:"learned"`
	Violations []tracker.Violation `json:"violations"` // a NaN value is null
}

func checkJSON(res *tracker.CheckResult) checkResultJSON {
	out := checkResultJSON{Week: res.Week, Against: res.Against, Pass: res.Pass, Learned: res.Learned, Violations: []tracker.Violation{}}
	for _, v := range res.Violations {
		v.Value = roundTrip32(v.Value) // no float64 noise
		out.Violations = append(out.Violations, v)
	}
	return out
}

// writeCheck prints a check as a person reads it in a job's log: the
// verdict first, then one line per broken bound.
func writeCheck(w io.Writer, model string, res *tracker.CheckResult) error {
	verdict := "PASS"
	if !res.Pass {
		verdict = "FAIL"
	}
	if res.Against == "" {
		fmt.Fprintf(w, "%s: model %s week %s is the first of the series: nothing to compare it with\n", verdict, model, res.Week)
		return nil
	}
	how := fmt.Sprintf("%d of %d bounds learned from this model's normal retrains, the rest default", res.LearnedBounds, res.Bounds)
	switch {
	case res.LearnedBounds == res.Bounds:
		how = fmt.Sprintf("all %d bounds learned from this model's normal retrains", res.Bounds)
	case res.LearnedBounds == 0:
		how = fmt.Sprintf("%d default bounds: fewer than 4 changes between normal weeks are known, nothing is learned yet", res.Bounds)
	}
	fmt.Fprintf(w, "%s: model %s week %s against %s (%s)\n", verdict, model, res.Week, res.Against, how)
	var missing []string
	for _, part := range []struct{ prefix, what string }{
		{"quality/", "quality (run evaluate on both weeks)"},
		{"importance/", "importance rankings (run permutation or perturb on both weeks)"},
	} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(res.Measures)), func(n string) bool { return strings.HasPrefix(n, part.prefix) }) {
			missing = append(missing, part.what)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "  not bounded, no records: %s\n", strings.Join(missing, "; "))
	}
	for _, v := range res.Violations {
		value := ""
		if !math.IsNaN(v.Value) {
			value = fmt.Sprintf(" %s,", num32(v.Value))
		}
		detail := ""
		if v.Detail != "" {
			detail = "; " + v.Detail
		}
		fmt.Fprintf(w, "  %s:%s bound %s; likely cause: %s%s\n", v.What, value, v.Bound, v.Cause, detail)
	}
	return nil
}

func newCheckAcceptCmd(g *globals) *cobra.Command {
	var model, week, reason string
	cmd := &cobra.Command{
		Use:   "accept [--week W] --reason TEXT",
		Short: "Record that a failing week is the new normal",
		Long: `Record that week W's retrain (default the newest) is the new normal although
its check failed (a feature removed upstream on purpose, say), so the next
week is compared with it and it joins the history bounds are learned from.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(reason) == "" {
				return usagef("check accept needs --reason TEXT: why this week is the new normal, for whoever reads the checks later")
			}
			store, err := g.open(false)
			if err != nil {
				return err
			}
			defer store.Close()
			vi, err := store.VersionAt(model, cmpOrLatest(week))
			if err != nil {
				return err
			}
			h, err := store.Checks(model)
			if err != nil {
				return err
			}
			if st := h.Standing(vi.Week, vi.Version); st != tracker.Failed {
				fmt.Fprintf(g.env.ErrOut, "note: week %s is %s, not failed: accepting it makes it a reference all the same\n", vi.Week, st)
			}
			a := &tracker.Acceptance{Week: vi.Week, Version: vi.Version, Reason: reason, CreatedAt: g.env.Now().UTC()}
			if err := store.PutAcceptance(model, a); err != nil {
				return err
			}
			fmt.Fprintf(g.env.Out, "accepted week %s (version %d): %s\n", vi.Week, vi.Version, reason)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&model, "model", tracker.DefaultModel, "model series name")
	f.StringVar(&week, "week", "", "the week to accept, YYYY-MM-DD (default: the newest)")
	f.StringVar(&reason, "reason", "", "why this week is the new normal")
	return cmd
}

func cmpOrLatest(week string) string {
	if week == "" {
		return "latest"
	}
	return week
}

// newQueryChecksCmd lists the stored checks.
func newQueryChecksCmd(g *globals) *cobra.Command {
	var model, format string
	var weeks int
	cmd := &cobra.Command{
		Use:   "checks [--weeks N] [--format table|csv|json]",
		Short: "Every stored check and acceptance, week by week",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := pickFormat(format, g.env.OutTTY, formatTable, formatCSV, formatJSON)
			if err != nil {
				return err
			}
			if weeks < 0 {
				return usagef("--weeks %d: give a positive number (0 = every week)", weeks)
			}
			return runQueryChecks(g, model, weeks, f)
		},
	}
	f := cmd.Flags()
	f.StringVar(&model, "model", tracker.DefaultModel, "model series name")
	f.IntVar(&weeks, "weeks", 12, "the newest N weeks that have a version (0 = all)")
	f.StringVar(&format, "format", "", "table, csv or json (default: table on a terminal, csv in a pipe)")
	return cmd
}

// checkRow is one week of query checks.
type checkRow struct {
	Week       string `json:"week"`
	Version    uint64 `json:"version"`
	Standing   string `json:"standing"`
	Against    string `json:"against,omitempty"`
	Violations int    `json:"violations"`
	Causes     string `json:"causes,omitempty"`
	Reason     string `json:"accepted_reason,omitempty"`
	CheckedAt  string `json:"checked_at,omitempty"`
}

func runQueryChecks(g *globals, model string, n int, format string) error {
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	weeks, err := store.Weeks(model, n)
	if err != nil {
		return err
	}
	if len(weeks) == 0 {
		return fmt.Errorf("model %s has no versions: ingest one first", model)
	}
	h, err := store.Checks(model)
	if err != nil {
		return err
	}
	var rows []checkRow
	for _, w := range weeks {
		r := checkRow{Week: w.Week, Version: w.Version, Standing: string(h.Standing(w.Week, w.Version))}
		if cs := h.ChecksOf(w.Week, w.Version); len(cs) > 0 {
			c := cs[len(cs)-1]
			r.Against, r.Violations, r.CheckedAt = c.Against, len(c.Violations), c.CreatedAt.Format("2006-01-02 15:04")
			seen := map[string]bool{}
			var causes []string
			for _, v := range c.Violations {
				if !seen[v.Cause] {
					seen[v.Cause] = true
					causes = append(causes, v.Cause)
				}
			}
			r.Causes = strings.Join(causes, " ")
		}
		for _, a := range h.Acceptances {
			if a.Week == w.Week && a.Version == w.Version {
				r.Reason = a.Reason
			}
		}
		rows = append(rows, r)
	}
	if format == formatJSON {
		return writeJSON(g.env.Out, rows)
	}
	t := table.Table{Header: []string{"week", "version", "standing", "against", "violations", "causes", "accepted reason", "checked at"}}
	for _, r := range rows {
		t.Add(r.Week, r.Version, r.Standing, r.Against, r.Violations, r.Causes, table.User(r.Reason), r.CheckedAt)
	}
	return writeTable(g.env.Out, &t, format)
}
