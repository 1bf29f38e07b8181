//go:build ignore

// Gen_store_v1 writes migrations/testdata/store_v1.db, a tiny tracker store
// in schema 1 that the migration tests upgrade to the latest schema. Run it
// from the repository root:
//
//	go run ./migrations/testdata/gen_store_v1.go
//	go test ./migrations/ -run TestUpgradeReleasedStores -update
//
// The second command rewrites store_v1.golden from the new file; review its
// diff before committing either file.
//
// The store holds two model series:
//
//   - "default": week 2019-01-07 (version 1); week 2019-01-14 (version 2,
//     then version 3 as if ingested with --replace, sharing three of its
//     four weight blobs with version 2); week 2019-01-21 (version 4, the
//     same content as version 3, so it adds no blob), ingested a second time
//     unchanged, which adds nothing.
//   - "churn": week 2019-01-14 (version 1), with a Dropout layer (no
//     tensors) and a Dense layer without bias.
//
// Every new version carries one weight-sum experiment, as `tracker ingest`
// records.
//
// Schema 1 is the layout of the first tracker: as in later schemas, except
// that each weight tensor is a plain value of the blobs bucket, not a bucket
// of its own (migration 2 moves them). The generator writes with raw bbolt
// and its own frozen copy of the schema-1 encodings (docs/FORMAT.md), never
// through package tracker, so it keeps producing a schema-1 file however
// tracker's encodings move on. Timestamps are fixed and
// the page size is pinned to 4096 bytes, so every run on any machine writes
// the same bytes.
package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Schema-1 names.
var (
	bucketMeta        = []byte("meta")
	keyFormat         = []byte("format")
	keySchema         = []byte("schema")
	formatMarker      = []byte("tracker-store")
	bucketModels      = []byte("models")
	bucketBlobs       = []byte("blobs")
	bucketVersions    = []byte("versions")
	bucketWeeks       = []byte("weeks")
	bucketExperiments = []byte("experiments")
)

const (
	schema        = 1
	hashVersion   = "tracker-snapshot-v1"
	recordFormat  = 1
	toolVersion   = "v0.1.0"
	kindWeightSum = "weight-sum"
)

// Spec is a layer's architecture, encoded as in schema 1 (and hashed as JSON).
type Spec struct {
	Name       string  `json:"name"`
	Class      string  `json:"class"`
	Units      int     `json:"units,omitempty"`
	Activation string  `json:"activation,omitempty"`
	UseBias    bool    `json:"use_bias,omitempty"`
	Rate       float64 `json:"rate,omitempty"`
	Epsilon    float64 `json:"epsilon,omitempty"`
	Center     bool    `json:"center,omitempty"`
	Scale      bool    `json:"scale,omitempty"`
}

type tensor struct {
	name  string
	shape []int
	data  []float32
}

type layer struct {
	spec    Spec
	tensors []tensor
}

type source struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

type meta struct {
	Format       string   `json:"format"`
	KerasVersion string   `json:"keras_version"`
	Backend      string   `json:"backend"`
	Sources      []source `json:"sources"`
}

type model struct {
	inputs int
	layers []layer
	meta   meta
}

type tensorRef struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	Blob  string `json:"blob"`
}

type layerRecord struct {
	Spec
	Tensors []tensorRef `json:"tensors,omitempty"`
}

// versionRecord is the schema-1 value of models/<model>/versions/<version>.
type versionRecord struct {
	Version    uint64        `json:"version"`
	Week       string        `json:"week"`
	Hash       string        `json:"hash"`
	IngestedAt time.Time     `json:"ingested_at"`
	Inputs     int           `json:"inputs"`
	Outputs    int           `json:"outputs"`
	Params     int           `json:"params"`
	Meta       meta          `json:"meta"`
	Layers     []layerRecord `json:"layers"`
}

// experimentHeader is the JSON header of a schema-1 experiment record.
type experimentHeader struct {
	Kind        string            `json:"kind"`
	Params      map[string]string `json:"params,omitempty"`
	DataSHA256  string            `json:"data_sha256,omitempty"`
	DataRows    int               `json:"data_rows,omitempty"`
	Seed        int64             `json:"seed,omitempty"`
	ToolVersion string            `json:"tool_version"`
	TookNS      int64             `json:"took_ns"`
	CreatedAt   time.Time         `json:"created_at"`
}

func main() {
	out := flag.String("o", "migrations/testdata/store_v1.db", "file to write (replaced if it exists)")
	flag.Parse()
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

func run(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{PageSize: 4096, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := create(db); err != nil {
		return fmt.Errorf("create: %w", err)
	}

	a := denseModel(4, []int{3, 2}, []int{1, 2, 3, 4}, "default", "20190107")
	b := denseModel(4, []int{3, 2}, []int{5, 6, 7, 8}, "default", "20190114")
	// b2 is b retrained: only the output bias changed.
	b2 := denseModel(4, []int{3, 2}, []int{5, 6, 7, 9}, "default", "20190114")
	b3 := b2
	b3.meta = sourcesFor("default", "20190121")
	churn := model{
		inputs: 5,
		layers: []layer{
			{Spec{Name: "dense_1", Class: "Dense", Units: 3, Activation: "tanh", UseBias: true}, []tensor{
				{"kernel", []int{5, 3}, ramp(15, 11)},
				{"bias", []int{3}, ramp(3, 12)},
			}},
			{Spec{Name: "dropout_1", Class: "Dropout", Rate: 0.25}, nil},
			{Spec{Name: "dense_2", Class: "Dense", Units: 1, Activation: "sigmoid"}, []tensor{
				{"kernel", []int{3, 1}, ramp(3, 13)},
			}},
		},
		meta: sourcesFor("churn", "20190114"),
	}

	day := func(d, hour int) time.Time { return time.Date(2019, 1, d, hour, 0, 0, 0, time.UTC) }
	steps := []struct {
		model, week string
		m           model
		replace     bool
		at          time.Time
	}{
		{"default", "2019-01-07", a, false, day(7, 9)},
		{"default", "2019-01-14", b, false, day(14, 9)},
		{"churn", "2019-01-14", churn, false, day(14, 10)},
		{"default", "2019-01-14", b2, true, day(15, 9)},
		{"default", "2019-01-21", b3, false, day(21, 9)},
		{"default", "2019-01-21", b3, false, day(22, 9)}, // unchanged: adds nothing
	}
	for _, s := range steps {
		if err := ingest(db, s.model, s.week, s.m, s.replace, s.at); err != nil {
			return fmt.Errorf("ingest %s %s: %w", s.model, s.week, err)
		}
	}
	return nil
}

// create does what migration 0 -> 1 does, in one transaction.
func create(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := m.Put(keyFormat, formatMarker); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketModels, bucketBlobs} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return m.Put(keySchema, binary.BigEndian.AppendUint32(nil, schema))
	})
}

// ingest stores one version as schema-1 tracker ingest does, except for
// the transactions: nothing new if the week's latest version has the same
// hash, a conflict unless replace if it differs, else a new version from the
// versions bucket's sequence with its week index entry, blobs and
// experiment.
//
// Tracker writes an ingest in one transaction; this writes one transaction
// per bucket it changes, because bbolt spills the dirty child buckets of a
// bucket in Go map order, so a transaction that changes two sibling buckets
// puts their pages at different offsets from run to run. The buckets, keys
// and values are the same either way.
func ingest(db *bolt.DB, name, week string, m model, replace bool, at time.Time) error {
	hash := contentHash(m)
	rec := versionRecord{Week: week, Hash: hash, Inputs: m.inputs, Meta: m.meta}
	type blob struct{ sum, data []byte }
	var blobs []blob
	rec.Outputs = m.inputs
	for _, l := range m.layers {
		lr := layerRecord{Spec: l.spec}
		for _, t := range l.tensors {
			b := float32Bytes(t.data)
			sum := sha256.Sum256(b)
			blobs = append(blobs, blob{sum[:], b})
			lr.Tensors = append(lr.Tensors, tensorRef{Name: t.name, Shape: t.shape, Blob: hex.EncodeToString(sum[:])})
			rec.Params += len(t.data)
		}
		if l.spec.Class == "Dense" {
			rec.Outputs = l.spec.Units
		}
		rec.Layers = append(rec.Layers, lr)
	}
	value, rank := weightSum(m)
	head, err := json.Marshal(experimentHeader{Kind: kindWeightSum, ToolVersion: toolVersion, CreatedAt: at})
	if err != nil {
		return err
	}
	exp := encodeExperiment(head, value, make([]float64, len(value)), rank)
	id := experimentID(kindWeightSum)

	var (
		exists  bool
		skip    bool
		version uint64
	)
	err = db.View(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketModels).Bucket([]byte(name))
		if mb == nil {
			return nil
		}
		exists = true
		latest, ok := latestInWeek(mb.Bucket(bucketWeeks), week)
		if !ok {
			return nil
		}
		var prev versionRecord
		if err := json.Unmarshal(mb.Bucket(bucketVersions).Get(be64(latest)), &prev); err != nil {
			return err
		}
		if prev.Hash == hash {
			skip = true
			return nil
		}
		if !replace {
			return fmt.Errorf("week %s already has version %d with another hash: replace it", week, latest)
		}
		return nil
	})
	if err != nil || skip {
		return err
	}
	model := [][]byte{bucketModels, []byte(name)}
	if !exists {
		err := update(db, [][]byte{bucketModels}, func(models *bolt.Bucket) error {
			mb, err := models.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			for _, sub := range [][]byte{bucketVersions, bucketWeeks, bucketExperiments} {
				if _, err := mb.CreateBucket(sub); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	err = update(db, append(model, bucketVersions), func(versions *bolt.Bucket) error {
		seq, err := versions.NextSequence()
		if err != nil {
			return err
		}
		version = seq
		rec.Version = seq
		rec.IngestedAt = at
		enc, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return versions.Put(be64(seq), enc)
	})
	if err != nil {
		return err
	}
	err = update(db, append(model, bucketWeeks), func(weeks *bolt.Bucket) error {
		return weeks.Put(append([]byte(week), be64(version)...), nil)
	})
	if err != nil {
		return err
	}
	err = update(db, [][]byte{bucketBlobs}, func(all *bolt.Bucket) error {
		// Schema 1 keeps each tensor as a plain value of the blobs bucket;
		// schema 2 moved them into buckets of their own.
		for _, b := range blobs {
			if all.Get(b.sum) != nil {
				continue
			}
			if err := all.Put(b.sum, b.data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return update(db, append(model, bucketExperiments), func(exps *bolt.Bucket) error {
		return exps.Put(append(be64(version), id[:]...), exp)
	})
}

// update runs fn on the nested bucket at path in one write transaction.
func update(db *bolt.DB, path [][]byte, fn func(*bolt.Bucket) error) error {
	return db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(path[0])
		for _, name := range path[1:] {
			if b == nil {
				break
			}
			b = b.Bucket(name)
		}
		if b == nil {
			return fmt.Errorf("no bucket %q", path)
		}
		return fn(b)
	})
}

func latestInWeek(weeks *bolt.Bucket, week string) (uint64, bool) {
	c := weeks.Cursor()
	prefix := []byte(week)
	var last []byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, _ = c.Next() {
		last = k
	}
	if last == nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(last[len(prefix):]), true
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// denseModel builds a chain of Dense layers with bias, relu inside and
// softmax out, with weights from ramp and the given seeds (one per tensor).
func denseModel(inputs int, units, seeds []int, name, dir string) model {
	m := model{inputs: inputs, meta: sourcesFor(name, dir)}
	width := inputs
	for i, u := range units {
		act := "relu"
		if i == len(units)-1 {
			act = "softmax"
		}
		m.layers = append(m.layers, layer{
			Spec{Name: fmt.Sprintf("dense_%d", i+1), Class: "Dense", Units: u, Activation: act, UseBias: true},
			[]tensor{
				{"kernel", []int{width, u}, ramp(width*u, seeds[2*i])},
				{"bias", []int{u}, ramp(u, seeds[2*i+1])},
			},
		})
		width = u
	}
	return m
}

// ramp returns n multiples of 1/8 in [-1, 1], exact in float32 and short to
// print, that differ with seed.
func ramp(n, seed int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((i*5+seed*3)%17-8) / 8
	}
	return v
}

func sourcesFor(name, dir string) meta {
	src := func(role, file string) source {
		p := "/data/models/" + name + "/" + dir + "/" + file
		sum := sha256.Sum256([]byte(p))
		return source{Role: role, Path: p, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(p)) * 100}
	}
	return meta{
		Format: "keras2-json+weights-h5", KerasVersion: "2.2.4", Backend: "tensorflow",
		Sources: []source{src("structure", "model_structure.json"), src("weights", "model_weights.h5")},
	}
}

// weightSum is the weight-sum experiment: per input, the sum of the absolute
// weights leaving it in the first Dense layer; rank 1 is the largest, ties
// to the lower index.
func weightSum(m model) ([]float64, []int) {
	v := make([]float64, m.inputs)
	for _, l := range m.layers {
		if l.spec.Class != "Dense" {
			continue
		}
		k := l.tensors[0]
		units := k.shape[1]
		for i := range v {
			for _, w := range k.data[i*units : (i+1)*units] {
				v[i] += math.Abs(float64(w))
			}
		}
		break
	}
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(math.Abs(v[b]), math.Abs(v[a])) })
	rank := make([]int, len(v))
	for r, i := range idx {
		rank[i] = r + 1
	}
	return v, rank
}

// experimentID is the first 8 bytes of the SHA-256 of the experiment's
// identity JSON (here without params, data or seed).
func experimentID(kind string) [8]byte {
	enc, _ := json.Marshal(struct {
		Kind   string            `json:"kind"`
		Params map[string]string `json:"params"`
		Data   string            `json:"data"`
		Rows   int               `json:"rows"`
		Seed   int64             `json:"seed"`
	}{Kind: kind})
	sum := sha256.Sum256(enc)
	var id [8]byte
	copy(id[:], sum[:])
	return id
}

// encodeExperiment is the schema-1 record: format byte 1, uvarint header
// length, header JSON, uint32 n, n float64 values, n float64 spreads, n
// uint32 ranks, all little-endian.
func encodeExperiment(head []byte, value, spread []float64, rank []int) []byte {
	b := []byte{recordFormat}
	b = binary.AppendUvarint(b, uint64(len(head)))
	b = append(b, head...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(value)))
	for _, v := range value {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	for _, v := range spread {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	for _, r := range rank {
		b = binary.LittleEndian.AppendUint32(b, uint32(r))
	}
	return b
}

// contentHash is the schema-1 content hash: SHA-256 over, with every
// integer a little-endian uint64 and every byte string preceded by its
// length, hashVersion, inputs, the layer count, and per layer its Spec JSON
// and tensor count, then per tensor its name, rank, dimensions and
// little-endian float32 bytes.
func contentHash(m model) string {
	h := sha256.New()
	putInt := func(v int) { h.Write(binary.LittleEndian.AppendUint64(nil, uint64(v))) }
	putBytes := func(b []byte) {
		putInt(len(b))
		h.Write(b)
	}
	putBytes([]byte(hashVersion))
	putInt(m.inputs)
	putInt(len(m.layers))
	for _, l := range m.layers {
		spec, err := json.Marshal(l.spec)
		if err != nil {
			panic(err)
		}
		putBytes(spec)
		putInt(len(l.tensors))
		for _, t := range l.tensors {
			putBytes([]byte(t.name))
			putInt(len(t.shape))
			for _, d := range t.shape {
				putInt(d)
			}
			putBytes(float32Bytes(t.data))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}
