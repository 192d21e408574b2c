// Package memory implements the storage ports in process memory: for tests, for
// `--data-dir=:memory:`, and as the reference behaviour of the ports/porttest suite.
//
// Stored objects are immutable once in a map: every write stores a fresh deep copy and
// every read hands out another, so callers may mutate what they get. Update runs the
// caller's function without any lock held and retries on a concurrent write, so the
// function may even read the same store.
package memory
