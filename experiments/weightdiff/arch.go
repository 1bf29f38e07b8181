package weightdiff

import (
	"errors"
	"fmt"

	"github.com/tracker-ml/tracker/internal/fact"
	"github.com/tracker-ml/tracker/internal/quote"
	"github.com/tracker-ml/tracker/snapshot"
)

// Errors a caller may want to tell apart; match them with errors.Is. The
// messages name the layer and what each version has there.
var (
	// ErrArchitecture: the two versions are not of one architecture, so
	// their weights do not correspond (another layer count, class, width,
	// activation, bias or BatchNormalization setting).
	ErrArchitecture = errors.New("architectures differ")
	// ErrPermutation: a permutation given to Permute does not fit the
	// layer it is for.
	ErrPermutation = errors.New("invalid permutation")
)

// dense is one Dense layer of a snapshot with what moves with its units.
type dense struct {
	index   int    // the layer's index in the snapshot
	name    string // the layer's name
	in, out int
	kernel  []float32 // in×out, row-major
	bias    []float32 // out values, nil without a bias
	// norms are the indices of the BatchNormalization layers between this
	// Dense and the next: they act on this layer's units, one value of
	// each vector per unit, and must be permuted with them.
	norms []int
}

// denseChain lists s's Dense layers in order. A BatchNormalization before
// the first Dense acts on the inputs and stays with them.
func denseChain(s *snapshot.Snapshot) []dense {
	var chain []dense
	for i, l := range s.Layers() {
		switch l.Class {
		case snapshot.ClassDense:
			d := dense{index: i, name: l.Name, in: l.Weights[0].Shape[0], out: l.Units, kernel: l.Weights[0].Data}
			if l.UseBias {
				d.bias = l.Weights[1].Data
			}
			chain = append(chain, d)
		case snapshot.ClassBatchNormalization:
			if len(chain) > 0 {
				chain[len(chain)-1].norms = append(chain[len(chain)-1].norms, i)
			}
		}
	}
	return chain
}

// describe is a layer's architecture as a user reads it, without weights
// or the settings that carry none (a Dropout's rate).
func describe(l snapshot.Layer) string {
	switch l.Class {
	case snapshot.ClassDense:
		bias := "bias"
		if !l.UseBias {
			bias = "no bias"
		}
		return fmt.Sprintf("Dense(%d, %s, %s)", l.Units, l.Activation, bias)
	case snapshot.ClassActivation:
		return fmt.Sprintf("Activation(%s)", l.Activation)
	case snapshot.ClassBatchNormalization:
		return fmt.Sprintf("BatchNormalization(scale %v, center %v)", l.Scale, l.Center)
	}
	return l.Class
}

// sameArchitecture checks that a and b are versions of one architecture,
// layer by layer. Layer names may differ (Keras numbers layers by session),
// and so may settings without weights: the weights still correspond.
func sameArchitecture(a, b *snapshot.Snapshot) error {
	if a.Inputs() != b.Inputs() {
		return fact.Errorf(ErrArchitecture, "version A (%s) has %d inputs, version B (%s) %d: weights compare only between versions of one architecture",
			a.ShortHash(), a.Inputs(), b.ShortHash(), b.Inputs())
	}
	la, lb := a.Layers(), b.Layers()
	if len(la) != len(lb) {
		return fact.Errorf(ErrArchitecture, "version A (%s) has %d layers, version B (%s) %d: weights compare only between versions of one architecture",
			a.ShortHash(), len(la), b.ShortHash(), len(lb))
	}
	for i := range la {
		if da, db := describe(la[i]), describe(lb[i]); da != db {
			return fact.Errorf(ErrArchitecture, "layer %d of %d (%s): version A (%s) has %s, version B (%s) has %s: weights compare only between versions of one architecture",
				i+1, len(la), quote.Short(la[i].Name), a.ShortHash(), da, b.ShortHash(), db)
		}
	}
	return nil
}
