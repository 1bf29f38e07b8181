// Package migrations holds the ordered steps that bring a tracker store from
// one schema version to the next.
//
// Each step is registered in All, in order, and runs as one bbolt write
// transaction that also sets the new schema version, so a store is always at
// exactly one version: a step lands whole or not at all. Steps work on raw
// buckets and freeze the encodings they need; this package never imports
// package tracker, whose current encodings may have moved on.
//
// docs/FORMAT.md describes the buckets and keys of every schema version.
package migrations
