// Package table writes rows of text for people and for spreadsheets: an
// aligned table for a terminal, or CSV that a spreadsheet opens without
// running any cell as a formula.
//
// It is the one place tracker writes CSV (a test in cmd/tracker/cli checks
// that nothing else calls csv.NewWriter), so every file a user opens in a
// spreadsheet is formula-safe, as the README promises:
//   - User cells (feature, model, class or label names, ids) are always
//     neutralised: a feature named "+4" must stay that name, not become 4;
//   - other text cells are tracker's own words (weeks, kinds, hashes) or
//     numbers it formatted: a plain decimal number is written as it is, so
//     "-0.5" and "+3" stay numbers, and anything else is neutralised in case
//     it carries outside text after all (a Keras version, imported kinds);
//   - header cells are neutralised too: a series label carries parameters.
package table
