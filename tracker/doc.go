// Package tracker is the store: one bbolt file holding every ingested model
// version of every model series, and the importance experiments recorded
// against them.
//
// Invariants:
//   - A version never changes once written; --replace adds a new version for
//     the same week.
//   - Each ingest (of one or several versions) is one write transaction, and
//     everything is validated before it opens, so a bad input changes nothing.
//   - Weight tensors are stored once each, keyed by the SHA-256 of their
//     little-endian float32 bytes, which is also their checksum.
//   - No byte slice from bbolt leaves a transaction uncopied, and no
//     *bolt.Tx leaves this package.
//
// docs/FORMAT.md describes the buckets, keys and encodings.
package tracker
