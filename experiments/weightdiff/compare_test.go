package weightdiff_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tracker-ml/tracker/experiments/nn"
	"github.com/tracker-ml/tracker/experiments/weightdiff"
	"github.com/tracker-ml/tracker/snapshot"
)

// net builds a relu chain of these widths with a softmax out, Glorot
// kernels and small biases from seed. With norm, each hidden Dense is
// followed by a BatchNormalization with random statistics and a Dropout,
// as the users' models have.
func net(tb testing.TB, seed uint64, widths []int, norm bool) *snapshot.Snapshot {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	vec := func(n int, f func() float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(f())
		}
		return v
	}
	var layers []snapshot.Layer
	for i := 1; i < len(widths); i++ {
		in, out := widths[i-1], widths[i]
		act := "relu"
		if i == len(widths)-1 {
			act = "softmax"
		}
		limit := math.Sqrt(6 / float64(in+out))
		layers = append(layers, snapshot.Layer{
			Spec: snapshot.Spec{Name: fmt.Sprintf("dense_%d", i), Class: snapshot.ClassDense, Units: out, Activation: act, UseBias: true},
			Weights: []snapshot.Tensor{
				{Name: "kernel", Shape: []int{in, out}, Data: vec(in*out, func() float64 { return (2*rng.Float64() - 1) * limit })},
				{Name: "bias", Shape: []int{out}, Data: vec(out, func() float64 { return 0.1 * rng.NormFloat64() })},
			},
		})
		if norm && i < len(widths)-1 {
			layers = append(layers, snapshot.Layer{
				Spec: snapshot.Spec{Name: fmt.Sprintf("batch_normalization_%d", i), Class: snapshot.ClassBatchNormalization, Epsilon: 1e-3, Scale: true, Center: true},
				Weights: []snapshot.Tensor{
					{Name: "gamma", Shape: []int{out}, Data: vec(out, func() float64 { return 1 + 0.3*rng.NormFloat64() })},
					{Name: "beta", Shape: []int{out}, Data: vec(out, func() float64 { return 0.2 * rng.NormFloat64() })},
					{Name: "moving_mean", Shape: []int{out}, Data: vec(out, func() float64 { return 0.5 * rng.Float64() })},
					{Name: "moving_variance", Shape: []int{out}, Data: vec(out, func() float64 { return 0.1 + rng.Float64() })},
				},
			}, snapshot.Layer{
				Spec: snapshot.Spec{Name: fmt.Sprintf("dropout_%d", i), Class: snapshot.ClassDropout, Rate: 0.2},
			})
		}
	}
	s, err := snapshot.New(widths[0], layers, snapshot.Meta{})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// shuffle draws a permutation for every hidden Dense layer of s.
func shuffle(s *snapshot.Snapshot, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 5))
	var perms [][]int
	for _, l := range s.Layers() {
		if l.Class == snapshot.ClassDense {
			perms = append(perms, rng.Perm(l.Units))
		}
	}
	perms[len(perms)-1] = nil
	return perms
}

func inverse(p []int) []int {
	if p == nil {
		return nil
	}
	q := make([]int, len(p))
	for i, j := range p {
		q[j] = i
	}
	return q
}

func permute(tb testing.TB, s *snapshot.Snapshot, perms [][]int) *snapshot.Snapshot {
	tb.Helper()
	p, err := weightdiff.Permute(s, perms)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// withNoise is s with every weight moved by a normal draw of sd times
// its tensor's root mean square.
func withNoise(tb testing.TB, s *snapshot.Snapshot, sd float64, seed uint64) *snapshot.Snapshot {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	layers := slices.Clone(s.Layers())
	for i := range layers {
		layers[i].Weights = slices.Clone(layers[i].Weights)
		for k, t := range layers[i].Weights {
			if t.Name == "moving_variance" {
				continue // must stay positive; noise elsewhere is enough
			}
			rms := 0.0
			for _, v := range t.Data {
				rms += float64(v) * float64(v)
			}
			rms = math.Sqrt(rms / float64(len(t.Data)))
			d := make([]float32, len(t.Data))
			for j, v := range t.Data {
				d[j] = v + float32(sd*rms*rng.NormFloat64())
			}
			layers[i].Weights[k].Data = d
		}
	}
	n, err := snapshot.New(s.Inputs(), layers, s.Meta())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func compare(tb testing.TB, a, b *snapshot.Snapshot) *weightdiff.Diff {
	tb.Helper()
	d, err := weightdiff.Compare(a, b)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestPermuteKeepsWhatTheNetworkComputes(t *testing.T) {
	for _, norm := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch normalization %v", norm), func(t *testing.T) {
			a := net(t, 1, []int{7, 12, 9, 10, 3}, norm)
			b := permute(t, a, shuffle(a, 2))
			if a.Hash() == b.Hash() {
				t.Fatal("the permuted copy has the same weights")
			}
			x := make([]float32, 50*7)
			rng := rand.New(rand.NewPCG(4, 4))
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			ya, yb := forward(t, a, x, 50), forward(t, b, x, 50)
			for i := range ya {
				if math.Abs(float64(ya[i]-yb[i])) > 1e-5 {
					t.Fatalf("output %d: %v before, %v permuted", i, ya[i], yb[i])
				}
			}
		})
	}
}

func forward(tb testing.TB, s *snapshot.Snapshot, x []float32, rows int) []float32 {
	tb.Helper()
	n, err := nn.New(s)
	if err != nil {
		tb.Fatal(err)
	}
	return n.Forward(x, rows)
}

func TestAlignmentRecoversAPermutedCopy(t *testing.T) {
	cases := []struct {
		name   string
		widths []int
		norm   bool
		noise  float64
	}{
		{"a plain chain", []int{10, 40, 30, 20, 2}, false, 0},
		{"with batch normalization between", []int{10, 40, 30, 20, 2}, true, 0},
		{"one hidden layer", []int{5, 64, 3}, false, 0},
		{"wide layers fed by few inputs", []int{3, 200, 200, 2}, false, 0},
		{"with a thousandth of noise", []int{10, 40, 30, 20, 2}, true, 1e-3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := net(t, 3, c.widths, c.norm)
			perms := shuffle(a, 9)
			b := permute(t, a, perms)
			if c.noise > 0 {
				b = withNoise(t, b, c.noise, 8)
			}
			d := compare(t, a, b)
			if d.Sweeps != 2 {
				t.Errorf("%d passes; a shuffled copy settles in 2 (match, then confirm)", d.Sweeps)
			}
			if len(d.Layers) != len(c.widths)-1 {
				t.Fatalf("%d layers, want %d", len(d.Layers), len(c.widths)-1)
			}
			for i, l := range d.Layers {
				if !slices.Equal(l.Permutation, inverse(perms[i])) {
					t.Errorf("layer %s: the matching did not undo the shuffle", l.Name)
				}
				if l.RelChange < 0.5 && l.Permutation != nil {
					t.Errorf("layer %s: raw change %v of a shuffled copy, want large", l.Name, l.RelChange)
				}
				tol := 1e-6 + 3*c.noise
				if l.AlignedChange > tol || l.SpectrumChange > tol || math.Abs(l.ScaleRatio-1) > tol {
					t.Errorf("layer %s: aligned change %v, spectrum change %v, scale ratio %v; want 0, 0, 1 within %v",
						l.Name, l.AlignedChange, l.SpectrumChange, l.ScaleRatio, tol)
				}
			}
			if c.noise == 0 {
				var back [][]int
				for _, l := range d.Layers {
					back = append(back, l.Permutation)
				}
				if got := permute(t, b, back); got.Hash() != a.Hash() {
					t.Errorf("B permuted by the matching is not A")
				}
			}
		})
	}
}

func TestAVersionAgainstItselfHasNoChange(t *testing.T) {
	a := net(t, 5, []int{6, 20, 20, 2}, true)
	for _, l := range compare(t, a, a).Layers {
		if l.RelChange != 0 || l.AlignedChange != 0 || l.SpectrumChange != 0 || l.ScaleRatio != 1 {
			t.Errorf("layer %s: %+v", l.Name, l)
		}
		if l.Permutation != nil && !slices.Equal(l.Permutation, inverse(l.Permutation)) || l.Permutation != nil && l.Permutation[3] != 3 {
			t.Errorf("layer %s: permutation %v, want the identity", l.Name, l.Permutation)
		}
	}
}

func TestAModelWithoutHiddenLayersHasNothingToMatch(t *testing.T) {
	a, b := net(t, 1, []int{6, 2}, false), net(t, 2, []int{6, 2}, false)
	d := compare(t, a, b)
	if len(d.Layers) != 1 || d.Layers[0].Permutation != nil || d.Layers[0].AlignedChange != d.Layers[0].RelChange {
		t.Errorf("one output layer: %+v, want no permutation and the aligned change equal to the raw", d.Layers)
	}
}

func TestAZeroLayerHasNoRelativeChange(t *testing.T) {
	a := net(t, 5, []int{4, 6, 5, 2}, false)
	layers := slices.Clone(a.Layers())
	layers[1].Weights = []snapshot.Tensor{
		{Name: "kernel", Shape: []int{6, 5}, Data: make([]float32, 30)},
		{Name: "bias", Shape: []int{5}, Data: make([]float32, 5)},
	}
	zero, err := snapshot.New(4, layers, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	d := compare(t, zero, a)
	for i, l := range d.Layers {
		got := []float64{l.RelChange, l.ScaleRatio, l.AlignedChange, l.SpectrumChange}
		for _, v := range got {
			if i == 1 && !math.IsNaN(v) || i != 1 && (math.IsNaN(v) || math.IsInf(v, 0)) {
				t.Errorf("layer %s: %v; want NaN for the zero layer only", l.Name, got)
			}
		}
	}
}

func TestCompareRefusesOtherArchitectures(t *testing.T) {
	base := net(t, 1, []int{5, 8, 6, 2}, true)
	edit := func(f func(ls []snapshot.Layer) []snapshot.Layer, inputs int) *snapshot.Snapshot {
		ls := f(slices.Clone(base.Layers()))
		s, err := snapshot.New(inputs, ls, snapshot.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []struct {
		name string
		b    *snapshot.Snapshot
		want string
	}{
		{"other widths", net(t, 1, []int{5, 8, 7, 2}, true),
			`layer 4 of 7 ("dense_2"): version A (` + base.ShortHash() + `) has Dense(6, relu, bias), version B (`},
		{"other inputs", net(t, 1, []int{4, 8, 6, 2}, true), "has 5 inputs, version B"},
		{"no batch normalization", net(t, 1, []int{5, 8, 6, 2}, false), "has 7 layers, version B"},
		{"another activation", edit(func(ls []snapshot.Layer) []snapshot.Layer {
			ls[0].Activation = "tanh"
			return ls
		}, 5), `layer 1 of 7 ("dense_1"): version A`},
		{"a Dropout where a BatchNormalization was", edit(func(ls []snapshot.Layer) []snapshot.Layer {
			ls[1] = snapshot.Layer{Spec: snapshot.Spec{Name: "batch_normalization_1", Class: snapshot.ClassDropout, Rate: 0.5}}
			return ls
		}, 5), "has BatchNormalization(scale true, center true), version B"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := weightdiff.Compare(base, c.b)
			if !errors.Is(err, weightdiff.ErrArchitecture) {
				t.Fatalf("error %v, want ErrArchitecture", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	t.Run("another dropout rate is the same architecture", func(t *testing.T) {
		b := edit(func(ls []snapshot.Layer) []snapshot.Layer {
			ls[2].Rate = 0.5
			ls[2].Name = "dropout_7"
			return ls
		}, 5)
		if _, err := weightdiff.Compare(base, b); err != nil {
			t.Error(err)
		}
	})
}

func TestCompareRefusesNonFiniteWeights(t *testing.T) {
	a := net(t, 1, []int{3, 4, 2}, false)
	layers := slices.Clone(a.Layers())
	layers[0].Weights = slices.Clone(layers[0].Weights)
	k := slices.Clone(layers[0].Weights[0].Data)
	k[5] = float32(math.NaN())
	layers[0].Weights[0].Data = k
	b, err := snapshot.New(3, layers, snapshot.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = weightdiff.Compare(a, b)
	if !errors.Is(err, snapshot.ErrNonFinite) || !strings.Contains(err.Error(), "version B ("+b.ShortHash()+")") {
		t.Errorf("error %v, want ErrNonFinite naming version B", err)
	}
}

func TestPermuteRefusesBadPermutations(t *testing.T) {
	a := net(t, 1, []int{3, 4, 3, 2}, false)
	for name, perms := range map[string][][]int{
		"too few":                 {{0, 1, 2, 3}, nil},
		"an output permutation":   {nil, nil, {1, 0}},
		"a repeated unit":         {{0, 1, 1, 3}, nil, nil},
		"a unit out of range":     {{0, 1, 2, 4}, nil, nil},
		"a permutation too short": {{0, 1, 2}, nil, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := weightdiff.Permute(a, perms); !errors.Is(err, weightdiff.ErrPermutation) {
				t.Errorf("error %v, want ErrPermutation", err)
			}
		})
	}
}
