// Package report writes the tracker's HTML report: one self-contained page
// with the weeks covered, a section per experiment for the newest week
// (its ranking, the movers since the week before, the features that went
// to zero, the disagreements with the weight-sum) and the charts.
//
// [Data] is the page's model, in plain strings and numbers the caller has
// already formatted; the charts come in as SVG drawn by package plotting.
// The package decides nothing about the numbers: which features moved or
// faded is judged in experiments/compare, and cmd/tracker/cli gathers the
// records and maps them in. It imports no other package of this module.
//
// Invariants:
//
//   - The page loads nothing from the network and runs no script: no
//     links, images, fonts or scripts, and every string of Data is escaped
//     by html/template. Only [Chart.SVG] is inserted as it is, so it must
//     come from plotting, which escapes its own text.
//   - Output depends only on Data: the same Data writes the same bytes.
package report
