// Package experiments measures how much a model leans on each input feature.
//
// Every method is a pure function of a snapshot (and, for the behavioural
// methods, data): it returns one value per input feature, with a spread and
// a rank, and stores nothing. The caller records results against a version.
package experiments
