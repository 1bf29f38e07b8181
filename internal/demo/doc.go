// Package demo builds the synthetic season that `tracker demo` measures: a
// world of 82 features with a planted truth, a week of rows drawn from it,
// and one model per week trained on those rows and saved as Keras files in
// the layout users have, DIR/Model/YYYYMMDD/0_10.N_{structure.json,weights.h5},
// with the week's data in DIR/Data/YYYYMMDD_{train,holdout}.csv.
//
// The planted truth is what a good importance method must find and a weak
// one gets wrong: ten linear effects (features 0 to 9), an interaction pair
// with no main effect (PairA x PairB), a noisy copy of feature 0 (Copy),
// a feature whose effect ends at FadeWeek (Fading), a feature whose
// distribution moves from ShiftWeek while its effect follows the old centre
// (Shifted), and pure noise everywhere else.
//
// The same world serves the scenario tests of tracker's verdicts: Options
// can place the events in other weeks (Events), add one broken retrain
// with a far too large learning rate, narrow the network and set the
// linear effects. Proof is the season the proof runs on (docs/PROOF.md).
// Events.Quiet tells the weeks in which nothing changed: a good retrain
// on fresh rows of the same world as the week before.
//
// Invariants: a season is a pure function of its Options. The same seed
// writes the same bytes (rows, CSV text) and the same trained weights
// (the HDF5 files also hold the time they were written), so the demo's
// output can be compared across versions of tracker; the draw order (a
// week's training rows, then its holdout rows, then its training) is part
// of that contract. The package never opens a store: the CLI ingests and
// measures what Generate wrote.
package demo
