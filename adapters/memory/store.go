package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/appconnector/appconnector/adapters/internal/watchhub"
	"github.com/appconnector/appconnector/ports"
)

// kind describes one object type to the generic store.
type kind[T any] struct {
	noun     string // for error messages: "application", "secret"
	notFound error
	conflict error
	invalid  error
	name     func(T) string
	setName  func(*T, string)
	rv       func(T) string
	setRV    func(*T, string)
	copy     func(T) T
	// identity, when set, carries identity fields the store owns (an Application's UID)
	// from prev, the stored object (nil on creation), to next, under the write lock.
	identity func(prev *T, next *T)
}

// store is the generic map-backed store behind both repositories.
type store[T any] struct {
	k   kind[T]
	hub *watchhub.Hub[T]

	mu      sync.RWMutex
	items   map[string]T
	version uint64
}

func newStore[T any](k kind[T]) *store[T] {
	return &store[T]{k: k, hub: watchhub.New(k.copy), items: make(map[string]T)}
}

func (s *store[T]) get(name string) (T, error) {
	s.mu.RLock()
	obj, ok := s.items[name]
	s.mu.RUnlock()
	if !ok {
		var zero T
		return zero, fmt.Errorf("get %s %s: %w", s.k.noun, name, s.k.notFound)
	}
	return s.k.copy(obj), nil
}

func (s *store[T]) list() []T {
	s.mu.RLock()
	out := make([]T, 0, len(s.items))
	for _, obj := range s.items {
		out = append(out, s.k.copy(obj))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(s.k.name(a), s.k.name(b)) })
	return out
}

func (s *store[T]) put(obj T) (T, bool, error) {
	var zero T
	name := s.k.name(obj)
	if name == "" {
		return zero, false, fmt.Errorf("put %s: name is empty: %w", s.k.noun, s.k.invalid)
	}
	stored := s.k.copy(obj)

	s.mu.Lock()
	defer s.mu.Unlock()
	existing, exists := s.items[name]
	if want := s.k.rv(obj); want != "" {
		if !exists {
			return zero, false, fmt.Errorf("put %s %s: resource version %s given but it does not exist: %w", s.k.noun, name, want, s.k.conflict)
		}
		if have := s.k.rv(existing); have != want {
			return zero, false, fmt.Errorf("put %s %s: resource version %s is not current (%s): %w", s.k.noun, name, want, have, s.k.conflict)
		}
	}
	if s.k.identity != nil {
		var prev *T
		if exists {
			prev = &existing
		}
		s.k.identity(prev, &stored)
	}
	stored = s.commit(name, stored)
	return s.k.copy(stored), !exists, nil
}

// update runs fn on a copy without holding the lock, then stores the result if nothing
// was written meanwhile, and otherwise starts over with the newer state.
func (s *store[T]) update(ctx context.Context, name string, fn func(*T) error) (T, error) {
	var zero T
	for {
		if err := ctx.Err(); err != nil {
			return zero, fmt.Errorf("update %s %s: %w", s.k.noun, name, err)
		}
		s.mu.RLock()
		current, ok := s.items[name]
		s.mu.RUnlock()
		if !ok {
			return zero, fmt.Errorf("update %s %s: %w", s.k.noun, name, s.k.notFound)
		}
		next := s.k.copy(current)
		if err := fn(&next); err != nil {
			return zero, err
		}
		// fn edits content; identity and versioning stay with the store.
		s.k.setName(&next, name)

		s.mu.Lock()
		latest, ok := s.items[name]
		if !ok {
			s.mu.Unlock()
			return zero, fmt.Errorf("update %s %s: %w", s.k.noun, name, s.k.notFound)
		}
		if s.k.rv(latest) != s.k.rv(current) {
			s.mu.Unlock()
			continue
		}
		// next is fn's argument, which the caller may have kept; store a private copy.
		stored := s.k.copy(next)
		if s.k.identity != nil {
			s.k.identity(&latest, &stored)
		}
		stored = s.commit(name, stored)
		s.mu.Unlock()
		return s.k.copy(stored), nil
	}
}

func (s *store[T]) delete(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	existing, ok := s.items[name]
	if !ok {
		return fmt.Errorf("delete %s %s: %w", s.k.noun, name, s.k.notFound)
	}
	delete(s.items, name)
	s.hub.Publish(ports.Event[T]{Type: ports.EventDelete, Name: name, Object: existing})
	return nil
}

// commit stores obj under a new version, publishes it and returns it; s.mu must be held
// so that events are published in commit order. obj must not be shared with a caller.
func (s *store[T]) commit(name string, obj T) T {
	s.version++
	s.k.setRV(&obj, strconv.FormatUint(s.version, 10))
	s.items[name] = obj
	s.hub.Publish(ports.Event[T]{Type: ports.EventPut, Name: name, Object: obj})
	return obj
}

func (s *store[T]) watch(ctx context.Context) (<-chan ports.Event[T], error) {
	// The read lock keeps writers out between the snapshot and the subscription, so the
	// watcher misses nothing and sees nothing twice.
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.items))
	for n := range s.items {
		names = append(names, n)
	}
	slices.Sort(names)
	snapshot := make([]ports.Event[T], len(names))
	for i, n := range names {
		snapshot[i] = ports.Event[T]{Type: ports.EventPut, Name: n, Object: s.items[n]}
	}
	ch, err := s.hub.Subscribe(ctx, snapshot)
	if err != nil {
		return nil, fmt.Errorf("watch %ss: %w", s.k.noun, err)
	}
	return ch, nil
}

func (s *store[T]) close() { s.hub.Close() }
