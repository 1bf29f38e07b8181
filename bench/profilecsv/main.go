// Command profilecsv profiles a data CSV as `tracker ingest-data` does,
// minus the store write: stream it through dataset.Scan into a profile,
// encode the profile as JSON, and print one line of facts. With -gen it
// writes a synthetic weekly extract instead, for bench/profile.sh.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tracker-ml/tracker/experiments/dataset"
	"github.com/tracker-ml/tracker/experiments/profile"
)

func main() {
	gen := flag.Int("gen", 0, "write this many rows of 82 features, an id and a label to -out, and exit")
	out := flag.String("out", "", "the CSV -gen writes")
	label := flag.String("label", "y", "the label column")
	drop := flag.String("drop", "id", "comma-separated columns to drop")
	flag.Parse()
	if *gen > 0 {
		if err := generate(*out, *gen); err != nil {
			fmt.Fprintln(os.Stderr, "profilecsv:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: profilecsv [-label y] [-drop id] FILE.csv | profilecsv -gen ROWS -out FILE.csv")
		os.Exit(2)
	}
	t0 := time.Now()
	opts := dataset.Options{Label: *label}
	if *drop != "" {
		opts.Drop = strings.Split(*drop, ",")
	}
	p, err := profile.FromFile(flag.Arg(0), opts, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profilecsv:", err)
		os.Exit(1)
	}
	b, err := json.Marshal(p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profilecsv:", err)
		os.Exit(1)
	}
	s := time.Since(t0).Seconds()
	fmt.Printf("rows=%d cols=%d seconds=%.3f rows_per_s=%.0f json_bytes=%d\n", p.Rows, len(p.Columns), s, float64(p.Rows)/s, len(b))
}

// generate writes rows of 82 features of the shapes weekly extracts hold
// (normal, lognormal, binary, counts; 7 significant digits, a few cells
// missing), an id and a binary label, from a fixed seed.
func generate(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	const cols = 82
	w.WriteString("id")
	for j := range cols {
		fmt.Fprintf(w, ",f%02d", j)
	}
	w.WriteString(",y\n")
	r := rand.New(rand.NewPCG(13, 2019))
	buf := make([]byte, 0, 32)
	for i := range rows {
		w.WriteString(strconv.Itoa(i))
		for j := range cols {
			w.WriteByte(',')
			if r.IntN(1000) == 0 {
				continue // missing
			}
			var v float64
			switch j % 4 {
			case 0:
				v = r.NormFloat64()
			case 1:
				v = math.Exp(r.NormFloat64())
			case 2:
				v = float64(r.IntN(2))
			case 3:
				v = float64(r.IntN(7))
			}
			buf = strconv.AppendFloat(buf[:0], v, 'g', 7, 32)
			w.Write(buf)
		}
		fmt.Fprintf(w, ",%d\n", r.IntN(2))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
