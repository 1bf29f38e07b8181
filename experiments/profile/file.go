package profile

import (
	"fmt"

	"github.com/tracker-ml/tracker/experiments/dataset"
)

// FromFile profiles the data CSV at path in one streaming pass, what
// `tracker ingest-data` stores: bins are the series' edges (Edges of its
// first profile), nil for a first profile. Missing cells and labels are
// counted, never refused; the profile's SHA256 is the file's, the same a
// run on the file records.
//
// Reading and parsing the CSV runs in one goroutine and counting in
// another, so on two cores the profile costs little more than the parse.
func FromFile(path string, opts dataset.Options, bins [][]float32) (*Profile, error) {
	s, err := dataset.Scan(path, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	b, err := New(Config{Names: s.Names(), Cols: s.Cols(), Bins: bins, Label: s.HasLabel(), Classes: opts.Classes})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := feed(s, b); err != nil {
		return nil, err
	}
	p, err := b.Finish()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.SHA256 = s.SHA256()
	return p, nil
}

// chunkRows rows pass from the reader to the counter at a time: enough to
// make the hand-over cheap, few enough (1 MB for 82 columns) to keep
// memory flat.
const chunkRows = 2048

type chunk struct {
	x      []float32
	labels []string
	rows   int
}

// feed hands every row of s to b, parsing in this goroutine while another
// counts; two chunks circulate so neither side allocates.
func feed(s *dataset.Scanner, b *Builder) error {
	cols := s.Cols()
	free := make(chan *chunk, 2)
	full := make(chan *chunk, 2)
	for range 2 {
		free <- &chunk{x: make([]float32, chunkRows*cols), labels: make([]string, chunkRows)}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range full {
			for i := range c.rows {
				b.Add(c.x[i*cols:(i+1)*cols], c.labels[i])
			}
			free <- c
		}
	}()
	c := <-free
	c.rows = 0
	for s.Next() {
		copy(c.x[c.rows*cols:], s.Row())
		c.labels[c.rows] = s.Label()
		c.rows++
		if c.rows == chunkRows {
			full <- c
			c = <-free
			c.rows = 0
		}
	}
	if c.rows > 0 {
		full <- c
	}
	close(full)
	<-done
	return s.Err()
}
