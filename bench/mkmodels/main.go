// Command mkmodels writes random Dense models in the users' seed layout,
// OUT/Model/YYYYMMDD/0_10.1_structure.json + 0_10.1_weights.h5, one per
// week, for bench/ingest.sh. Weights are Glorot-uniform from a fixed seed per
// week, so every week is a distinct version and every run writes the same
// files.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tracker-ml/tracker/bench/internal/benchargs"
	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/keras"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

func main() {
	out := flag.String("out", "bench/models", "directory to write Model/YYYYMMDD/ under")
	weeks := flag.Int("weeks", 32, "number of weekly versions")
	widths := flag.String("widths", "82,500,500,500,2", "layer widths, inputs first")
	start := flag.String("start", "2019-01-14", "first week, YYYY-MM-DD")
	flag.Parse()
	if err := run(*out, *weeks, *widths, *start); err != nil {
		fmt.Fprintln(os.Stderr, "mkmodels:", err)
		os.Exit(1)
	}
}

func run(out string, weeks int, widthList, start string) error {
	widths, err := benchargs.Widths(widthList)
	if err != nil {
		return err
	}
	first, err := time.Parse(time.DateOnly, start)
	if err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	for i := range weeks {
		snap, err := snapshottest.RandomMLP(uint64(i), widths, snapshot.Meta{KerasVersion: "2.2.4", Backend: "tensorflow"})
		if err != nil {
			return err
		}
		dir := filepath.Join(out, "Model", first.AddDate(0, 0, 7*i).Format("20060102"))
		if _, _, err := keras.Export(snap, dir, "0_10.1"); err != nil {
			return err
		}
	}
	return nil
}
