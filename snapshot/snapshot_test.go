package snapshot_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/snapshot"
	"github.com/tracker-ml/tracker/snapshot/snapshottest"
)

func dense(name string, in, units int, act string) snapshot.Layer {
	return snapshot.Layer{
		Spec: snapshot.Spec{Name: name, Class: snapshot.ClassDense, Units: units, Activation: act, UseBias: true},
		Weights: []snapshot.Tensor{
			{Name: "kernel", Shape: []int{in, units}, Data: make([]float32, in*units)},
			{Name: "bias", Shape: []int{units}, Data: make([]float32, units)},
		},
	}
}

func batchNorm(name string, width int) snapshot.Layer {
	l := snapshot.Layer{Spec: snapshot.Spec{Name: name, Class: snapshot.ClassBatchNormalization, Epsilon: 1e-3, Center: true, Scale: true}}
	for _, role := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		l.Weights = append(l.Weights, snapshot.Tensor{Name: role, Shape: []int{width}, Data: make([]float32, width)})
	}
	return l
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		inputs int
		layers func() []snapshot.Layer
		want   string // substring of the error; "" means valid
	}{
		{"chain", 4, func() []snapshot.Layer {
			return []snapshot.Layer{dense("d1", 4, 3, "relu"), {Spec: snapshot.Spec{Name: "drop", Class: snapshot.ClassDropout, Rate: 0.5}}, batchNorm("bn", 3), dense("d2", 3, 2, "softmax")}
		}, ""},
		{"no inputs", 0, func() []snapshot.Layer { return []snapshot.Layer{dense("d1", 0, 3, "relu")} }, "0 inputs"},
		{"no layers", 4, func() []snapshot.Layer { return nil }, "no layers"},
		{"no dense", 4, func() []snapshot.Layer {
			return []snapshot.Layer{{Spec: snapshot.Spec{Name: "a", Class: snapshot.ClassActivation, Activation: "relu"}}}
		}, "no Dense layer"},
		{"kernel rows disagree with inputs", 5, func() []snapshot.Layer { return []snapshot.Layer{dense("d1", 4, 3, "relu")} }, "kernel has shape [4 3], want [5 3]"},
		{"unknown activation", 4, func() []snapshot.Layer { return []snapshot.Layer{dense("d1", 4, 3, "mish")} }, `activation "mish"`},
		{"missing bias", 4, func() []snapshot.Layer {
			l := dense("d1", 4, 3, "relu")
			l.Weights = l.Weights[:1]
			return []snapshot.Layer{l}
		}, "has 1 weight tensors, want 2"},
		{"data shorter than shape", 4, func() []snapshot.Layer {
			l := dense("d1", 4, 3, "relu")
			l.Weights[0].Data = l.Weights[0].Data[:5]
			return []snapshot.Layer{l}
		}, "but 5 values"},
		{"dropout rate 1", 4, func() []snapshot.Layer {
			return []snapshot.Layer{dense("d1", 4, 3, "relu"), {Spec: snapshot.Spec{Name: "drop", Class: snapshot.ClassDropout, Rate: 1}}}
		}, "outside [0, 1)"},
		{"batchnorm width", 4, func() []snapshot.Layer { return []snapshot.Layer{dense("d1", 4, 3, "relu"), batchNorm("bn", 4)} }, "want [3]"},
		{"unsupported class", 4, func() []snapshot.Layer {
			return []snapshot.Layer{dense("d1", 4, 3, "relu"), {Spec: snapshot.Spec{Name: "lstm", Class: "LSTM"}}}
		}, "LSTM is not supported"},
		{"unnamed layer", 4, func() []snapshot.Layer { return []snapshot.Layer{dense("", 4, 3, "relu")} }, "has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := snapshot.New(tt.inputs, tt.layers(), snapshot.Meta{})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, snapshot.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: got %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

// TestHashSeesEveryBit checks that the content hash changes with one weight
// bit, a renamed layer or a changed activation, and ignores Meta.
func TestHashSeesEveryBit(t *testing.T) {
	build := func(edit func([]snapshot.Layer), meta snapshot.Meta) string {
		t.Helper()
		s, err := snapshottest.RandomMLP(7, []int{5, 4, 2}, meta)
		if err != nil {
			t.Fatal(err)
		}
		layers := s.Layers()
		edit(layers)
		s2, err := snapshot.New(s.Inputs(), layers, meta)
		if err != nil {
			t.Fatal(err)
		}
		return s2.Hash()
	}
	base := build(func([]snapshot.Layer) {}, snapshot.Meta{})
	if got := build(func([]snapshot.Layer) {}, snapshot.Meta{KerasVersion: "3.0", Sources: []snapshot.Source{{Path: "x"}}}); got != base {
		t.Errorf("metadata changed the hash: %s vs %s", got, base)
	}
	edits := map[string]func([]snapshot.Layer){
		"lowest bit of the last bias": func(ls []snapshot.Layer) {
			d := ls[1].Weights[1].Data
			d[len(d)-1] = math.Float32frombits(math.Float32bits(d[len(d)-1]) ^ 1)
		},
		"sign of zero": func(ls []snapshot.Layer) { ls[0].Weights[1].Data[0] = float32(math.Copysign(0, -1)) },
		"layer name":   func(ls []snapshot.Layer) { ls[0].Name = "dense_x" },
		"activation":   func(ls []snapshot.Layer) { ls[0].Activation = "tanh" },
	}
	for name, edit := range edits {
		if got := build(edit, snapshot.Meta{}); got == base {
			t.Errorf("%s: hash unchanged", name)
		}
	}
}

// Stored hashes (and the golden files) were computed before Spec had
// Momentum and Inbound: filling them in must not change a hash.
func TestHashIgnoresSettingsKeptOnlyForExport(t *testing.T) {
	build := func(edit func([]snapshot.Layer)) string {
		t.Helper()
		layers := []snapshot.Layer{dense("d1", 4, 3, "relu"), batchNorm("bn", 3), dense("d2", 3, 2, "softmax")}
		edit(layers)
		s, err := snapshot.New(4, layers, snapshot.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		return s.Hash()
	}
	base := build(func([]snapshot.Layer) {})
	for _, tc := range []struct {
		name string
		edit func([]snapshot.Layer)
	}{
		{"a BatchNormalization momentum leaves the hash alone", func(ls []snapshot.Layer) { ls[1].Momentum = 0.9 }},
		{"functional wiring leaves the hash alone", func(ls []snapshot.Layer) {
			ls[0].Inbound, ls[1].Inbound, ls[2].Inbound = "input_1", "d1", "bn"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := build(tc.edit); got != base {
				t.Errorf("hash %s, want %s", got, base)
			}
		})
	}
}

func TestCheckFiniteNamesTheWeight(t *testing.T) {
	s, err := snapshottest.RandomMLP(1, []int{3, 4, 2}, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckFinite(); err != nil {
		t.Fatalf("finite weights refused: %v", err)
	}
	s.Layers()[1].Weights[0].Data[5] = float32(math.Inf(-1))
	err = s.CheckFinite()
	if !errors.Is(err, snapshot.ErrNonFinite) || !strings.Contains(err.Error(), "dense_2") || !strings.Contains(err.Error(), "kernel") {
		t.Fatalf("CheckFinite: got %v, want ErrNonFinite naming dense_2's kernel", err)
	}
}

func TestFloat32BytesRoundTrip(t *testing.T) {
	in := []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Inf(1)), math.Float32frombits(0x7fc00001)}
	b := snapshot.Float32Bytes(in)
	if len(b) != 4*len(in) || b[4*2+3] != 0x3f || b[4*2+2] != 0x80 {
		t.Fatalf("Float32Bytes(1.0) is not little-endian 0000803f: % x", b[8:12])
	}
	out, err := snapshot.BytesFloat32(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if math.Float32bits(out[i]) != math.Float32bits(in[i]) {
			t.Errorf("value %d: got bits %08x, want %08x", i, math.Float32bits(out[i]), math.Float32bits(in[i]))
		}
	}
	if _, err := snapshot.BytesFloat32(b[:5]); err == nil {
		t.Error("BytesFloat32 accepted 5 bytes")
	}
}
