// Package snapshot holds one immutable version of a model: its architecture
// (a chain of layers), its float32 weights and where it came from.
//
// A Snapshot is built only through New, which checks that the layers form a
// chain the rest of tracker can run: every Dense kernel's input width matches
// the width before it, every tensor has the shape its layer needs, and every
// layer class and activation is one the inference engine implements. Once
// built a Snapshot never changes; accessors hand out slices that callers must
// treat as read-only.
//
// The content hash covers the architecture and the exact bits of every
// weight, not the metadata, so the same model saved twice, or exported and
// ingested again, hashes the same.
//
// This package is pure Go and imports no other tracker package.
package snapshot
