// Package weightdiff compares two versions of one architecture, week A's
// model and week B's, by their weights and by their representations: the
// library behind `tracker diff`.
//
// A retrain starts from fresh random weights, so the hidden units of B
// are A's in some shuffled order, if they are alike at all: raw weight
// differences between weeks mostly measure that shuffle. Compare reports,
// per Dense layer, the raw relative change and scale ratio, the change
// after B's hidden units are matched to A's (weight matching solved with
// Hungarian, Jonker and Volgenant's assignment algorithm), and the change
// of the kernel's singular values, which no reordering of units can move.
// CKA and LayerCKA compare what the hidden layers compute on the same
// rows, which is unchanged by reordering or by an isotropic scaling of
// the units. docs/METHODS.md ("Weights and representations between two
// weeks") states the rules and why.
//
// Invariants: inputs and outputs keep their order (features and classes
// are not interchangeable); a hidden layer's permutation moves its
// kernel's columns, its bias, the vectors of the BatchNormalization layers
// on its units and the next kernel's rows together, so a permuted network
// computes the same function (Permute). Every function is pure: it reads
// the snapshots and returns numbers; the caller stores them.
package weightdiff
