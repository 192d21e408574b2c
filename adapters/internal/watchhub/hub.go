package watchhub

import (
	"context"
	"errors"
	"sync"

	"github.com/appconnector/appconnector/ports"
)

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("store closed")

const maxRetainedBatch = 4096

// Hub distributes the events of one store to its watchers. The zero value is not usable;
// call New.
type Hub[T any] struct {
	copyFn func(T) T

	mu     sync.Mutex
	subs   map[*subscriber[T]]struct{}
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// New returns a Hub. copyFn deep-copies an object; every watcher gets its own copy of
// every event, so one watcher mutating what it received cannot affect another or the store.
func New[T any](copyFn func(T) T) *Hub[T] {
	return &Hub[T]{
		copyFn: copyFn,
		subs:   make(map[*subscriber[T]]struct{}),
		stop:   make(chan struct{}),
	}
}

// Subscribe starts a watcher that first receives an EventPut for every object of
// snapshot, in the given order, then one EventSynced, then every event published after
// this call. The channel is closed when ctx is done or the Hub is closed. The objects of
// snapshot must not be modified afterwards; they are copied on delivery.
func (h *Hub[T]) Subscribe(ctx context.Context, snapshot []ports.Event[T]) (<-chan ports.Event[T], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	queue := make([]ports.Event[T], 0, len(snapshot)+1)
	queue = append(queue, snapshot...)
	queue = append(queue, ports.Event[T]{Type: ports.EventSynced})
	s := &subscriber[T]{
		out:    make(chan ports.Event[T]),
		notify: make(chan struct{}, 1),
		queue:  queue,
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	h.subs[s] = struct{}{}
	h.wg.Add(1)
	go h.pump(ctx, s)
	return s.out, nil
}

// Publish queues ev for every current watcher and returns without waiting for them.
// Callers publish in commit order; the object must not be modified afterwards.
func (h *Hub[T]) Publish(ev ports.Event[T]) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.push(ev)
	}
}

// Watchers returns the number of active watchers, for metrics and tests.
func (h *Hub[T]) Watchers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close closes every watcher's channel, without delivering what is still queued, and
// waits until their goroutines have ended. Later Subscribe calls fail with ErrClosed.
// Close is idempotent.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.stop)
		clear(h.subs)
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *Hub[T]) remove(s *subscriber[T]) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// pump moves s's queue into its channel until ctx is done or the hub is closed.
func (h *Hub[T]) pump(ctx context.Context, s *subscriber[T]) {
	defer h.wg.Done()
	defer close(s.out)
	defer h.remove(s)
	var batch []ports.Event[T]
	for {
		batch = s.take(batch[:0])
		for i := range batch {
			ev := batch[i]
			if ev.Type != ports.EventSynced {
				ev.Object = h.copyFn(ev.Object)
			}
			select {
			case s.out <- ev:
			case <-ctx.Done():
				return
			case <-h.stop:
				return
			}
			// Let the delivered object be collected while the rest of the batch waits.
			batch[i] = ports.Event[T]{}
		}
		if len(batch) > 0 {
			if cap(batch) > maxRetainedBatch {
				// A slow reader made the queue large once; do not pin that memory forever.
				batch = nil
			}
			continue
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return
		case <-h.stop:
			return
		}
	}
}

type subscriber[T any] struct {
	out    chan ports.Event[T]
	notify chan struct{}

	mu    sync.Mutex
	queue []ports.Event[T]
}

func (s *subscriber[T]) push(ev ports.Event[T]) {
	s.mu.Lock()
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// take swaps the pending queue for buf (emptied), so pushes keep going to a fresh slice
// while the pump delivers the old one, and two buffers are reused instead of allocating.
func (s *subscriber[T]) take(buf []ports.Event[T]) []ports.Event[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = buf
	return q
}
