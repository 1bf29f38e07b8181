package cli

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/tracker"
)

type demoOptions struct {
	dir   string
	weeks int
	seed  uint64
}

func newDemoCmd(g *globals) *cobra.Command {
	opts := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--db PATH]",
		Short: "Write a season of weekly models, ingest them and show what tracker reports",
		Long: `Write weekly Keras model files (82 features -> 500 -> 500 -> 500 -> 2) in the
layout DIR/Model/YYYYMMDD/0_10.N_structure.json + _weights.h5, ingest them into
a store, and print what tracker reports. The weights are synthetic: each week
drifts a little from the last, and feature 17's first-layer weights fade to
zero from the eighth week, the kind of change tracker exists to catch.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.dir, "dir", "demo", "directory for the model files")
	cmd.Flags().IntVar(&opts.weeks, "weeks", 12, "how many weekly models to write")
	cmd.Flags().Uint64Var(&opts.seed, "seed", 1, "random seed for the synthetic weights")
	return cmd
}

// demoFeature is the feature whose weights fade in the demo.
const demoFeature = 17

func runDemo(g *globals, opts *demoOptions) error {
	if opts.weeks < 2 || opts.weeks > 520 {
		return usagef("--weeks %d: choose 2 to 520", opts.weeks)
	}
	db := g.db
	if db == "" {
		db = filepath.Join(opts.dir, "tracker.db")
	}
	if _, err := os.Stat(db); err == nil {
		return fmt.Errorf("%s already exists: the demo starts from an empty store; remove it or pass --db", db)
	}
	w := g.env.Out
	start := time.Date(2019, 1, 14, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(opts.seed, 0x7472616b))
	layers := demoLayers(rng, []int{82, 500, 500, 500, 2})
	var paths []string
	for week := range opts.weeks {
		if week > 0 {
			drift(rng, layers, week)
		}
		snap, err := snapshot.New(82, cloneLayers(layers), snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
		if err != nil {
			return err
		}
		dir := filepath.Join(opts.dir, "Model", start.AddDate(0, 0, 7*week).Format("20060102"))
		name := fmt.Sprintf("0_10.%d", week+1)
		if _, _, err := keras.Export(snap, dir, name); err != nil {
			return err
		}
		paths = append(paths, filepath.Join(dir, name))
		if g.env.ErrTTY {
			fmt.Fprintf(g.env.ErrOut, "\rwriting week %d/%d\033[K", week+1, opts.weeks)
		}
	}
	if g.env.ErrTTY {
		fmt.Fprint(g.env.ErrOut, "\r\033[K")
	}
	fmt.Fprintf(w, "wrote %d weekly models under %s\n\n$ tracker --db %s ingest %s/Model/*/0_10.*\n", opts.weeks, filepath.Join(opts.dir, "Model"), db, opts.dir)

	dg := *g
	dg.db = db
	if err := runIngest(context.Background(), &dg, &ingestOptions{model: tracker.DefaultModel, paths: paths}); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n$ tracker --db %s list --format table\n", db)
	if err := runList(&dg, &listOptions{format: formatTable}); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nweight-sum of feature %d (sum of |first-layer weights|) by week:\n", demoFeature)
	if err := printWeightSum(&dg, demoFeature); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n$ tracker --db %s verify\n", db)
	if err := runVerify(&dg); err != nil {
		return err
	}
	fmt.Fprintf(w, `
Next:
  bin/tracker --db %[1]s show latest
  bin/tracker --db %[1]s list --format json
  bin/tracker --db %[1]s export-model 2019-01-14 --out /tmp/week1
  bin/tracker --db %[1]s ingest --week 2019-04-08 /tmp/week1/default
`, db)
	return nil
}

// demoLayers makes a Dense chain with Keras's default Glorot-uniform kernels.
func demoLayers(rng *rand.Rand, widths []int) []snapshot.Layer {
	var layers []snapshot.Layer
	for i := 1; i < len(widths); i++ {
		in, out := widths[i-1], widths[i]
		limit := math.Sqrt(6 / float64(in+out))
		k := make([]float32, in*out)
		for j := range k {
			k[j] = float32((rng.Float64()*2 - 1) * limit)
		}
		act := "relu"
		if i == len(widths)-1 {
			act = "softmax"
		}
		layers = append(layers, snapshot.Layer{
			Spec: snapshot.Spec{Name: fmt.Sprintf("dense_%d", i), Class: snapshot.ClassDense, Units: out, Activation: act, UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{in, out}, Data: k},
				{Name: "bias", Shape: []int{out}, Data: make([]float32, out)},
			},
		})
	}
	return layers
}

// drift nudges every weight as a week of retraining might, and from the
// eighth week fades demoFeature's first-layer weights towards zero.
func drift(rng *rand.Rand, layers []snapshot.Layer, week int) {
	for _, l := range layers {
		for _, t := range l.Weights {
			for j := range t.Data {
				t.Data[j] += float32(rng.NormFloat64() * 0.002)
			}
		}
	}
	if week >= 7 {
		k := layers[0].Weights[0]
		units := k.Shape[1]
		for j := range units {
			k.Data[demoFeature*units+j] *= 0.2
		}
	}
}

func cloneLayers(layers []snapshot.Layer) []snapshot.Layer {
	out := make([]snapshot.Layer, len(layers))
	for i, l := range layers {
		out[i].Spec = l.Spec
		for _, t := range l.Weights {
			out[i].Weights = append(out[i].Weights, snapshot.Tensor{Name: t.Name, Shape: t.Shape, Data: append([]float32(nil), t.Data...)})
		}
	}
	return out
}

// printWeightSum prints one feature's stored weight-sum for every version.
func printWeightSum(g *globals, feature int) error {
	store, err := g.open(true)
	if err != nil {
		return err
	}
	defer store.Close()
	versions, err := store.Versions(tracker.DefaultModel)
	if err != nil {
		return err
	}
	t := table{header: []string{"week", "version", "weight-sum", "rank"}}
	for _, v := range versions {
		exps, err := store.Experiments(v.Model, v.Version)
		if err != nil {
			return err
		}
		for _, e := range exps {
			if e.Kind == experiments.KindWeightSum {
				t.add(v.Week, v.Version, fmt.Sprintf("%.4g", e.Value[feature]), fmt.Sprintf("%d/%d", e.Rank[feature], len(e.Rank)))
			}
		}
	}
	return t.write(g.env.Out, formatTable)
}
