// Command mkstore builds a large store through the Go API for
// bench/query.sh: WEEKS weekly versions of one random Dense model, each with
// six experiments, the four weight-based ones that `tracker ingest` records
// and two behavioural-looking ones (perturb and permutation) whose values are
// made up. Going through the Go API in batches (one transaction per BATCH
// versions) takes seconds per hundred weeks, where 520 `tracker ingest`
// processes with an fsync each would take far longer. Weights, values, data
// hashes and times all come from fixed seeds, so every run builds the same
// store apart from ingest times.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/tracker-ml/tracker/bench/internal/benchargs"
	"github.com/tracker-ml/tracker/experiments"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
	"github.com/tracker-ml/tracker/tracker"
)

func main() {
	out := flag.String("out", "", "store file to create (must not exist)")
	weeks := flag.Int("weeks", 520, "number of weekly versions")
	widths := flag.String("widths", "82,500,500,500,2", "layer widths, inputs first")
	start := flag.String("start", "2009-01-05", "first week (a Monday), YYYY-MM-DD")
	batch := flag.Int("batch", 20, "versions per Ingest call, one transaction each")
	flag.Parse()
	if err := run(*out, *weeks, *widths, *start, *batch); err != nil {
		fmt.Fprintln(os.Stderr, "mkstore:", err)
		os.Exit(1)
	}
}

func run(out string, weeks int, widthList, start string, batch int) error {
	if out == "" {
		return fmt.Errorf("-out: give the store file to create")
	}
	if weeks <= 0 || batch <= 0 {
		return fmt.Errorf("-weeks %d, -batch %d: want positive numbers", weeks, batch)
	}
	widths, err := benchargs.Widths(widthList)
	if err != nil {
		return err
	}
	first, err := time.Parse(time.DateOnly, start)
	if err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists: remove it first, mkstore only builds new stores", out)
	}
	store, err := tracker.Open(out, tracker.Options{})
	if err != nil {
		return err
	}
	defer store.Close()

	began := time.Now()
	for lo := 0; lo < weeks; lo += batch {
		hi := min(lo+batch, weeks)
		reqs := make([]tracker.IngestRequest, hi-lo)
		errs := make([]error, hi-lo)
		// Weights and the weight-based methods are the slow part: build the
		// batch on every CPU, then commit it in one transaction.
		var wg sync.WaitGroup
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for i := lo; i < hi; i++ {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				reqs[i-lo], errs[i-lo] = request(i, first.AddDate(0, 0, 7*i), widths)
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		if _, err := store.Ingest(reqs); err != nil {
			return fmt.Errorf("ingest weeks %s to %s: %w", reqs[0].Week, reqs[len(reqs)-1].Week, err)
		}
		if hi%100 < batch || hi == weeks {
			fmt.Fprintf(os.Stderr, "mkstore: %d/%d versions, %.1f s\n", hi, weeks, time.Since(began).Seconds())
		}
	}
	return store.Close()
}

// Parameters of the two made-up behavioural series, as `tracker run` would
// record them.
var (
	perturbParams     = map[string]string{"pivots": "100", "samples": "100", "noise": "std:1", "output": "1"}
	permutationParams = map[string]string{"metric": "accuracy", "repeats": "5", "output": "1"}
)

// request builds week i: a distinct random MLP, its weight-based results,
// and a perturb and a permutation record on a fake data set of that week.
func request(i int, week time.Time, widths []int) (tracker.IngestRequest, error) {
	snap, err := snapshottest.RandomMLP(uint64(i), widths, snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
	if err != nil {
		return tracker.IngestRequest{}, err
	}
	created := week.Add(30 * time.Hour) // Tuesday 06:00 UTC
	var exps []tracker.Experiment
	for _, r := range experiments.DataFree(snap) {
		exps = append(exps, tracker.Experiment{
			Kind: r.Kind, Params: r.Params, ToolVersion: "mkstore", CreatedAt: created,
			Value: r.Value, Spread: r.Spread, Rank: r.Rank,
		})
	}
	data := sha256.Sum256(fmt.Appendf(nil, "mkstore data %s", week.Format(time.DateOnly)))
	n := widths[0]
	for k, kind := range []string{experiments.KindPerturb, experiments.KindPermutation} {
		params := perturbParams
		if kind == experiments.KindPermutation {
			params = permutationParams
		}
		value, spread := behaviour(uint64(i), uint64(k), n)
		e := tracker.Experiment{
			Kind: kind, Params: params, DataSHA256: hex.EncodeToString(data[:]), DataRows: 10000,
			Seed: 1, ToolVersion: "mkstore", Took: time.Duration(40+k*20) * time.Second, CreatedAt: created.Add(time.Duration(k+1) * time.Hour),
			Value: value, Spread: spread, Rank: experiments.Rank(value),
		}
		if kind == experiments.KindPerturb {
			// experiments.Perturb records a flip rate per feature, which
			// rides in the record's JSON header: keep headers as large as
			// real ones.
			flips := make([]float64, n)
			for f, v := range value {
				flips[f] = math.Round(min(1, math.Abs(v))*1e4) / 1e4
			}
			e.Extra = map[string][]float64{"flip_rate": flips}
		}
		exps = append(exps, e)
	}
	return tracker.IngestRequest{Model: tracker.DefaultModel, Week: week.Format(time.DateOnly), Snapshot: snap, Experiments: exps}, nil
}

// behaviour makes one method's values for week i: a fixed per-feature
// importance (seed k alone, so features keep their character from week to
// week) moved by a weekly wobble, with spreads of a tenth to a third of
// the value. Some values of small features dip below zero, as permutation
// importances do.
func behaviour(i, k uint64, n int) (value, spread []float64) {
	base := rand.New(rand.NewPCG(k, 0x6d6b))
	week := rand.New(rand.NewPCG(i, 0x6d6b00+k))
	value, spread = make([]float64, n), make([]float64, n)
	for f := range n {
		b := 0.5 * math.Exp(-4*base.Float64())
		v := b*(1+0.3*week.NormFloat64()) + 0.01*week.NormFloat64()
		value[f] = v
		spread[f] = math.Abs(v) * (0.1 + 0.23*week.Float64())
	}
	return value, spread
}
