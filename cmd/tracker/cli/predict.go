package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/internal/table"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/tracker"
)

type predictOptions struct {
	model  string
	week   string
	format string
	data   dataOptions
}

func newPredictCmd(g *globals) *cobra.Command {
	opts := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict [WEEK] --data FILE [--model NAME] [--format csv|json]",
		Short: "Print each data row's class probabilities from a stored version",
		Long: `Run a stored version (WEEK, YYYY-MM-DD or latest; default latest) on every row of
--data and print the row's outputs: one column per output unit, p0, p1, ...
With --label, the label and the predicted class are printed too. A header's
columns are matched to the series' feature names, as tracker run does.`,
		Args: maxArgs(1, "at most one WEEK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.week = "latest"
			if len(args) == 1 {
				opts.week = args[0]
			}
			return runPredict(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	cmd.Flags().StringVar(&opts.format, "format", formatCSV, "csv or json")
	opts.data.register(cmd, "label column, by name or 0-based index: prints it beside the prediction")
	return cmd
}

type predictRow struct {
	Row   int       `json:"row"`
	Probs []float32 `json:"outputs"`
	Class int       `json:"predicted"`
	Label *string   `json:"label,omitempty"`
}

func runPredict(ctx context.Context, g *globals, opts *predictOptions) error {
	format, err := pickFormat(opts.format, false, formatCSV, formatJSON)
	if err != nil {
		return err
	}
	snap, names, err := readPredictVersion(g, opts.model, opts.week)
	if err != nil {
		return err
	}
	data, err := opts.data.load(g.env.ErrOut, opts.model, names, snap.Inputs())
	if err != nil {
		return err
	}
	net, err := nn.New(snap)
	if err != nil {
		return err
	}
	y, err := net.ForwardAll(ctx, data.X, data.Rows)
	if err != nil {
		return err
	}
	outs := net.Outputs()
	rows := make([]predictRow, data.Rows)
	for i := range rows {
		p := y[i*outs : (i+1)*outs]
		rows[i] = predictRow{Row: i + 1, Probs: p, Class: experiments.PredictedClass(p)}
		if data.Labels != nil {
			l := data.Classes[data.Labels[i]]
			rows[i].Label = &l
		}
	}
	if format == formatJSON {
		return writeJSON(g.env.Out, rows)
	}
	return writePredictions(g.env.Out, rows, outs, data.Labels != nil)
}

// readPredictVersion is the version a week argument names and the
// series' feature names (nil when it has none), read in one short step.
func readPredictVersion(g *globals, model, week string) (*snapshot.Snapshot, []string, error) {
	store, err := g.open(true)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	vi, err := store.VersionAt(model, week)
	if err != nil {
		return nil, nil, err
	}
	snap, err := store.Snapshot(vi.Model, vi.Version)
	if err != nil {
		return nil, nil, err
	}
	names, err := store.Features(model)
	return snap, names, err
}

// writePredictions writes predict's CSV: the row, its outputs, the
// predicted class and, with labels, the label.
func writePredictions(w io.Writer, rows []predictRow, outs int, labels bool) error {
	out := table.NewCSV(w)
	header := []string{"row"}
	for j := range outs {
		header = append(header, "p"+strconv.Itoa(j))
	}
	header = append(header, "predicted")
	if labels {
		header = append(header, "label")
	}
	if err := out.Header(header); err != nil {
		return err
	}
	cells := make([]any, 0, len(header))
	for _, r := range rows {
		cells = append(cells[:0], r.Row)
		for _, p := range r.Probs {
			// Nine significant digits print every float32 exactly.
			cells = append(cells, strconv.FormatFloat(float64(p), 'g', 9, 32))
		}
		cells = append(cells, r.Class)
		if r.Label != nil {
			// A label is the user's text: "=1+1" must not run as a formula.
			cells = append(cells, table.User(*r.Label))
		}
		if err := out.Add(cells...); err != nil {
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	return nil
}
