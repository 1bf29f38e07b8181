// Package plotting draws the tracker's charts as PNG or SVG from plain data.
//
// Four charts answer the questions asked of a weekly-retrained model:
//
//   - [Trajectory]: how one feature's importance moved, one line per method.
//   - [Compare]: every feature's importance in two weeks, side by side.
//   - [Heatmap]: every feature's rank in every week at a glance.
//   - [Ranks]: how the leading features swapped places (a bump chart).
//
// Inputs are slices of numbers and labels, so the package imports no other
// package of this module: callers turn store records into [Series] and
// [RankLine] values. A missing week is NaN (values) or 0 (ranks) and shows
// as a gap or a grey cell, never as zero.
//
// Invariants:
//
//   - Output is deterministic: the fonts are the Liberation fonts embedded in
//     gonum/plot, and nothing depends on the clock or on map order, so golden
//     images stay stable.
//   - SVG output is self-contained (no links, no external fonts or images) and
//     has a viewBox, so it can be inlined in an HTML report and scaled there.
//     Text names Liberation Sans first and falls back to Arial and Helvetica,
//     which have the same metrics, so labels keep their layout.
//   - Colours come from the Okabe-Ito palette (lines and bars) and viridis
//     (ranks), both readable with the common colour-vision deficiencies.
//   - Bad input returns an error that names the series, feature or week;
//     nothing panics on input.
package plotting
