package weightdiff

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/snapshot"
)

// Layer is how one Dense layer changed from version A to version B.
//
// The changes and the scale ratio are over the layer's kernel and bias
// together, the parameters of the map the layer computes; the
// BatchNormalization vectors on its units are permuted with them but not
// counted (a moving variance is in other units than a weight). Each is
// NaN when A's kernel and bias are all zero, where no relative change is
// defined; SpectrumChange is NaN when A's kernel alone is.
type Layer struct {
	Name  string // A's name for the layer
	Index int    // the layer's position in the snapshot, from 0
	Units int
	// RelChange is ||B − A||_F / ||A||_F, unit by unit as the files hold
	// them: after a retrain it mostly measures how the units were shuffled.
	RelChange float64
	// ScaleRatio is ||B||_F / ||A||_F: a retrain that grew or shrank the
	// weights as a whole, which no reordering changes.
	ScaleRatio float64
	// AlignedChange is RelChange after B's hidden units were matched to
	// A's (Permutation here and in the layer before): what is left when
	// the shuffle is taken out.
	AlignedChange float64
	// SpectrumChange is ||s_B − s_A|| / ||s_A|| over the kernel's singular
	// values in descending order: a change no reordering of units on
	// either side can make or hide.
	SpectrumChange float64
	// Permutation[i] is B's unit matched with A's unit i; nil for the
	// output layer, whose units are the classes.
	Permutation []int
}

// Diff is the comparison of two versions, one entry per Dense layer in
// order.
type Diff struct {
	Layers []Layer
	// Sweeps is how many passes over the hidden layers the matching made
	// (see align); maxSweeps means it stopped before settling.
	Sweeps int
}

// Compare compares version B with version A, Dense layer by Dense layer.
// The versions must be of one architecture (ErrArchitecture otherwise,
// naming the first layer that differs) and hold finite weights
// (snapshot.ErrNonFinite otherwise).
func Compare(a, b *snapshot.Snapshot) (*Diff, error) {
	for _, v := range []struct {
		name string
		s    *snapshot.Snapshot
	}{{"A", a}, {"B", b}} {
		if err := v.s.CheckFinite(); err != nil {
			return nil, fmt.Errorf("version %s (%s): %w", v.name, v.s.ShortHash(), err)
		}
	}
	if err := sameArchitecture(a, b); err != nil {
		return nil, err
	}
	ca, cb := denseChain(a), denseChain(b)
	perms, sweeps := align(ca, cb)
	diff := &Diff{Layers: make([]Layer, len(ca)), Sweeps: sweeps}
	for d := range ca {
		var prev []int
		if d > 0 {
			prev = perms[d-1]
		}
		sc, err := spectrumChange(ca[d], cb[d])
		if err != nil {
			return nil, err
		}
		na, nb, raw := norms(ca[d], cb[d], nil, nil)
		_, _, aligned := norms(ca[d], cb[d], prev, perms[d])
		diff.Layers[d] = Layer{
			Name:           ca[d].name,
			Index:          ca[d].index,
			Units:          ca[d].out,
			RelChange:      ratio(raw, na),
			ScaleRatio:     ratio(nb, na),
			AlignedChange:  ratio(aligned, na),
			SpectrumChange: sc,
			Permutation:    perms[d],
		}
	}
	return diff, nil
}

// ratio is x/y, NaN when y is 0 (a relative change of a zero layer).
func ratio(x, y float64) float64 {
	if y == 0 {
		return math.NaN()
	}
	return x / y
}

// norms are ||A||_F, ||B||_F and ||A − P(B)||_F over a layer's kernel and
// bias, B's rows taken in the order prev gives and its units in the
// order cur gives (nil: as stored). Sums run in float64.
func norms(a, b dense, prev, cur []int) (na, nb, diff float64) {
	var sa, sb, sd float64
	for r := range a.in {
		ra := a.kernel[r*a.out : (r+1)*a.out]
		rb := b.kernel[at(prev, r)*b.out : (at(prev, r)+1)*b.out]
		for i, x := range ra {
			y := float64(rb[at(cur, i)])
			sa += float64(x) * float64(x)
			sb += y * y
			sd += (float64(x) - y) * (float64(x) - y)
		}
	}
	if a.bias != nil {
		for i, x := range a.bias {
			y := float64(b.bias[at(cur, i)])
			sa += float64(x) * float64(x)
			sb += y * y
			sd += (float64(x) - y) * (float64(x) - y)
		}
	}
	return math.Sqrt(sa), math.Sqrt(sb), math.Sqrt(sd)
}

// spectrumChange is ||s_B − s_A|| / ||s_A|| for the kernels' singular
// values, both in descending order. Reordering units multiplies a kernel
// by permutation matrices on either side, which are orthogonal, so its
// singular values stay put; the bias is no part of the linear map and is
// left out.
func spectrumChange(a, b dense) (float64, error) {
	sa, err := singularValues(a)
	if err != nil {
		return 0, err
	}
	sb, err := singularValues(b)
	if err != nil {
		return 0, err
	}
	var d, n float64
	for i := range sa {
		d += (sb[i] - sa[i]) * (sb[i] - sa[i])
		n += sa[i] * sa[i]
	}
	return ratio(math.Sqrt(d), math.Sqrt(n)), nil
}

// singularValues of the layer's kernel, largest first (gonum's SVD, values
// only).
func singularValues(l dense) ([]float64, error) {
	k := make([]float64, len(l.kernel))
	for i, v := range l.kernel {
		k[i] = float64(v)
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(l.in, l.out, k), mat.SVDNone) {
		return nil, fmt.Errorf("layer %s: the singular values of its %d×%d kernel did not converge", quote.Short(l.name), l.in, l.out)
	}
	return svd.Values(nil), nil
}
