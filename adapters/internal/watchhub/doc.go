// Package watchhub fans the changes of one store out to any number of watchers, with the
// semantics ports.ApplicationRepository.Watch promises: a snapshot, one EventSynced, then
// every change in commit order, never dropping an event however slowly a watcher reads.
//
// Each watcher has its own unbounded queue and a goroutine that moves the queue into the
// watcher's channel, so a writer never blocks on a slow reader and a slow reader never
// holds back the others. The price is memory: a watcher that stops reading without
// cancelling its context keeps its queue growing until the store is closed.
//
// Ordering is the store's job: it must call Publish in commit order (for example while
// still holding its write lock) and call Subscribe with a snapshot taken under the same
// lock, so no change falls between the snapshot and the first published event.
package watchhub
