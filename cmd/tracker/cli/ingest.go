package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/internal/weekpath"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/tracker"
)

type ingestOptions struct {
	model          string
	week           string
	structure      string
	replace        bool
	allowNonFinite bool
	paths          []string
}

func newIngestCmd(g *globals) *cobra.Command {
	opts := &ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest [--model NAME] [--week YYYY-MM-DD] [--structure FILE] [--replace] PATH...",
		Short: "Store a retrained model as a new version",
		Long: `Store each model as an immutable version of a model series.

PATH may be a prefix (Model/20190114/0_10.1 for 0_10.1_structure.json and
0_10.1_weights.h5), a structure file with its weights beside it, a
full-model .h5/.hdf5, a .keras file, a directory holding one model, or a
weights file with --structure. A structure and its weights pair as
NAME_structure + NAME_weights, NAME + NAME, NAME_architecture +
NAME_weights or NAME + NAME_weights (structure .json, .yaml or .yml;
weights .h5 or .hdf5). A file counts as a structure only if it is a Keras
model config, so metrics or settings saved as NAME.json are left alone; the
first two rules win over the last two, which ingest names when it uses
them; and it refuses to guess when several pairs still match. Keras 1 files
(Dense, Dropout, Activation, Flatten) read too.

The week comes from --week, else from a YYYYMMDD or YYYY-MM-DD directory in
the path. Every model is read and checked before the store is touched, and
all PATHs land in one transaction: all of them or none.`,
		Args: minArgs(1, "at least one model PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			return runIngest(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.model, "model", tracker.DefaultModel, "model series name")
	f.StringVar(&opts.week, "week", "", "week of this version, YYYY-MM-DD (default: a date directory in the path)")
	f.StringVar(&opts.structure, "structure", "", "architecture file for weights-only files: JSON from model.to_json, a .keras file or a full-model .h5")
	f.BoolVar(&opts.replace, "replace", false, "add a new version when the week already has a different one (the old one is kept)")
	f.BoolVar(&opts.allowNonFinite, "allow-nonfinite", false, "store weights that contain NaN or Inf")
	return cmd
}

func runIngest(ctx context.Context, g *globals, opts *ingestOptions) error {
	if err := tracker.CheckModelName(opts.model); err != nil {
		return usageError{err}
	}
	week := ""
	if opts.week != "" {
		w, err := tracker.ParseWeek(opts.week)
		if err != nil {
			return usageError{fmt.Errorf("--week: %w", err)}
		}
		week = w
	}
	reqs := make([]tracker.IngestRequest, 0, len(opts.paths))
	for i, path := range opts.paths {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if g.env.ErrTTY && len(opts.paths) > 1 {
			fmt.Fprintf(g.env.ErrOut, "\rreading %d/%d %s\033[K", i+1, len(opts.paths), path)
		}
		req, err := readIngest(g.env, opts, path, week)
		if err != nil {
			return err
		}
		reqs = append(reqs, req)
	}
	if g.env.ErrTTY && len(opts.paths) > 1 {
		fmt.Fprint(g.env.ErrOut, "\r\033[K")
	}
	store, err := g.open(false)
	if err != nil {
		return err
	}
	defer store.Close()
	results, err := store.Ingest(reqs)
	if err != nil {
		return err
	}
	for i, r := range results {
		snap := reqs[i].Snapshot
		if r.Unchanged {
			fmt.Fprintf(g.env.Out, "%s %s v%d %s unchanged\n", r.Model, r.Week, r.Version, r.Hash[:12])
			continue
		}
		fmt.Fprintf(g.env.Out, "%s %s v%d %s inputs=%d outputs=%d layers=%d params=%d\n",
			r.Model, r.Week, r.Version, r.Hash[:12], snap.Inputs(), snap.Outputs(), len(snap.Layers()), snap.Params())
	}
	return nil
}

// readIngest reads one model PATH into a request for its week (week, or
// the date in its path) with its data-free experiments.
func readIngest(env Env, opts *ingestOptions, path, week string) (tracker.IngestRequest, error) {
	if week == "" {
		var ok bool
		if week, ok = weekpath.Of(path); !ok {
			return tracker.IngestRequest{}, usagef("cannot tell the week of %s: no YYYYMMDD or YYYY-MM-DD directory in its path; pass --week YYYY-MM-DD", path)
		}
	}
	snap, err := loadModel(path, opts.structure, opts.allowNonFinite, env.ErrOut)
	if err != nil {
		return tracker.IngestRequest{}, err
	}
	// The data-free methods cost milliseconds: record them with the
	// version so every week can be charted without a separate run.
	var exps []tracker.Experiment
	for _, r := range experiments.DataFree(snap) {
		e := record(r, env, 0)
		// Non-finite weights (--allow-nonfinite) give NaN importances,
		// which the store refuses: the version is still stored, without
		// that method's record.
		if err := e.Check(); err != nil {
			fmt.Fprintf(env.ErrOut, "tracker: %s: not recording %s: %v\n", path, r.Kind, err)
			continue
		}
		exps = append(exps, e)
	}
	return tracker.IngestRequest{Model: opts.model, Week: week, Snapshot: snap, Replace: opts.replace, Experiments: exps}, nil
}

// loadModel resolves, reads and checks one model PATH. A pairing by a
// convention the user may not expect is noted on errOut, so a wrong guess
// is seen before the week is trusted. errors.go adds --structure to a
// refusal that needs it.
func loadModel(path, structure string, allowNonFinite bool, errOut io.Writer) (*snapshot.Snapshot, error) {
	files, err := keras.Resolve(path, structure)
	var snap *snapshot.Snapshot
	if err == nil {
		if files.Paired != "" {
			fmt.Fprintf(errOut, "tracker: paired %s with %s (%s)\n", files.Structure, files.Weights, files.Paired)
		}
		snap, err = keras.Load(files)
	}
	if err != nil {
		return nil, err
	}
	if !allowNonFinite {
		if err := snap.CheckFinite(); err != nil {
			return nil, fmt.Errorf("%s: %w: retrain or fix the model, or pass --allow-nonfinite to store it anyway", files.Weights, err)
		}
	}
	return snap, nil
}

// record turns an experiment result into a store record.
func record(r experiments.Result, env Env, seed int64) tracker.Experiment {
	return tracker.Experiment{
		Kind: r.Kind, Params: r.Params, Seed: seed, ToolVersion: Version(), CreatedAt: env.Now().UTC(),
		Value: r.Value, Spread: r.Spread, Rank: r.Rank, Extra: r.Extra,
	}
}
