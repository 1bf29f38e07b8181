// Package profile summarises a week's data in a compact profile and
// measures drift between two weeks' profiles, for `tracker ingest-data`
// and `tracker drift`: the store keeps the profile, never the rows.
//
// A Profile holds, per feature column, counts, moments, Points quantiles,
// cell means and a histogram on fixed bins, and the label's class counts;
// its size is bounded by the columns (about 5 KB a column), never the rows.
// A Builder makes one from rows handed to it one at a time (FromFile
// streams a CSV through dataset.Scan), in memory bounded by the columns:
// a column's values are sorted for exact quantiles up to ExactCap of them,
// and past it go into a merging t-digest. FromDataset profiles a table in
// memory, exactly.
//
// Invariants: the same input gives the same profile, byte for byte, as
// nothing in it is random or depends on timing; a series keeps the bins
// of its first profile (Edges), so PSI compares like with like; no
// profile or drift field is NaN or infinite, so both are valid JSON.
//
// Compare judges drift per feature (PSI, KS with its p-value, Wasserstein
// distance, mean and spread changes) and of the label's base rate, by the
// rule written in docs/METHODS.md, "Data profiles and drift".
package profile
