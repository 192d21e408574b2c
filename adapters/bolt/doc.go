// Package bolt is the embedded default store: every object of one appconnector process
// lives in a single bbolt file, <data-dir>/appconnector.db, next to the AES-256 key that
// encrypts secret values, <data-dir>/secret.key (mode 0600, created on first start).
//
// # Layout
//
// Each kind of object has its own top-level bucket, keyed by object name. A value is an
// 8-byte big-endian resource version followed by the payload: JSON for Applications,
// sealed JSON for Secrets. Keeping the version outside the payload lets a conditional
// write check it without decrypting anything. Resource versions come from one counter,
// the sequence of the meta bucket, so they increase across every bucket and restart.
//
// # Encryption
//
// seal encrypts with AES-256-GCM under a fresh random nonce and binds the ciphertext to
// its bucket and key through the additional data, so a ciphertext copied to another name
// or bucket fails to open instead of yielding the wrong secret. The meta bucket holds a
// sealed check value, so a wrong or replaced secret.key is reported at Open rather than
// as scattered decryption errors later.
//
// # Watch ordering
//
// Every write goes through (*DB).update, which holds one DB-wide mutex across the bbolt
// transaction and the publication of its events, so watchers see changes in commit
// order. Watch takes its snapshot and subscribes under the same mutex.
//
// # Adding a store
//
// A new store in this package (one-time tokens, revocation list, event log, ...) goes in
// its own file and needs three things:
//
//  1. its bucket name appended to the buckets list in db.go, where Open creates it;
//  2. writes through (*DB).update, with versions from nextVersion(tx) if the store needs
//     ordering or optimistic concurrency;
//  3. for secret material, (*DB).seal and (*DB).open with the store's bucket and key as
//     binding, never plaintext in the file.
//
// If the new store keeps name -> object records with watch semantics, the generic
// bucketStore in store.go gives Get/List/Put/Update/Delete/Watch for a codec.
package bolt
