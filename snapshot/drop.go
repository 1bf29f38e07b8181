package snapshot

import (
	"fmt"
	"slices"
)

// DropInput returns the model without input feature i: the row of the
// first Dense kernel that reads it is removed, as is entry i of any
// BatchNormalization before that layer. The rest is shared with s. A model
// trained on the other features starts from this one to fine-tune.
func (s *Snapshot) DropInput(i int) (*Snapshot, error) {
	if i < 0 || i >= s.inputs {
		return nil, fmt.Errorf("feature %d: the model has inputs 0 to %d", i, s.inputs-1)
	}
	if s.inputs == 1 {
		return nil, fmt.Errorf("the model has one input: dropping it leaves nothing to train on")
	}
	layers := slices.Clone(s.layers)
	for li := range layers {
		l := &layers[li]
		switch l.Class {
		case ClassBatchNormalization:
			ws := make([]Tensor, len(l.Weights))
			for j, t := range l.Weights {
				ws[j] = Tensor{Name: t.Name, Shape: []int{t.Shape[0] - 1}, Data: slices.Delete(slices.Clone(t.Data), i, i+1)}
			}
			l.Weights = ws
		case ClassDense:
			k := l.Weights[0]
			data := slices.Delete(slices.Clone(k.Data), i*l.Units, (i+1)*l.Units)
			l.Weights = append([]Tensor{{Name: k.Name, Shape: []int{k.Shape[0] - 1, l.Units}, Data: data}}, l.Weights[1:]...)
			return New(s.inputs-1, layers, s.meta)
		}
	}
	return nil, fmt.Errorf("%w: the model has no Dense layer", ErrInvalid)
}
