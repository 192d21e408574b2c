package kubernetes

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/appconnector/appconnector/adapters/internal/watchhub"
	"github.com/appconnector/appconnector/ports"
)

// maxReadYourWritesWait bounds how long a write waits for its own change to reach the
// informer. The change normally arrives within milliseconds; the bound only matters when
// the watch broke and the informer relisted after the object changed again, where the
// exact version is never delivered.
const maxReadYourWritesWait = 10 * time.Second

// codec teaches a mirror one object type.
type codec[T any] struct {
	noun     string // for errors and logs: "application", "secret"
	notFound error
	decode   func(obj any) (T, error)
	copy     func(T) T
}

type mirrorItem[T any] struct {
	obj T
	uid types.UID
	rv  uint64
}

// mirror keeps the decoded state of one informer in memory and fans its changes out to
// watchers. Reads never call the API server. Every write of the adapters waits until the
// mirror has seen it (waitVersion, waitGone), so a Get that follows a Put on the same
// instance sees the Put.
//
// The mirror, not the informer's indexer, is what Get, List and Watch read: its map, its
// version mark and its watch hub change together under one lock, in the informer's event
// order, which is what makes Watch's snapshot-then-changes contract hold.
type mirror[T any] struct {
	c        codec[T]
	logger   *slog.Logger
	informer cache.SharedIndexInformer
	hub      *watchhub.Hub[T]

	mu      sync.RWMutex
	items   map[string]mirrorItem[T]
	broken  map[string]error // objects that exist but do not decode
	seen    uint64           // highest resource version delivered so far
	changed chan struct{}    // closed and replaced on every delivered event

	cancel context.CancelFunc
	done   chan struct{}
}

// startMirror runs informer and returns once the mirror holds everything the initial
// list returned, or ctx ends.
func startMirror[T any](ctx context.Context, informer cache.SharedIndexInformer, c codec[T], logger *slog.Logger) (*mirror[T], error) {
	if logger == nil {
		logger = slog.Default()
	}
	m := &mirror[T]{
		c:        c,
		logger:   logger,
		informer: informer,
		hub:      watchhub.New(c.copy),
		items:    make(map[string]mirrorItem[T]),
		broken:   make(map[string]error),
		changed:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	// Managed fields are large and nobody here reads them.
	if err := informer.SetTransform(func(obj any) (any, error) {
		if o, err := meta.Accessor(obj); err == nil {
			o.SetManagedFields(nil)
		}
		return obj, nil
	}); err != nil {
		return nil, err
	}
	reg, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { m.apply(obj, false) },
		UpdateFunc: func(_, obj any) { m.apply(obj, false) },
		DeleteFunc: func(obj any) { m.apply(obj, true) },
	})
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() {
		defer close(m.done)
		informer.RunWithContext(runCtx)
	}()
	if !cache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
		m.close()
		return nil, fmt.Errorf("list %ss: cache not synced: %w", c.noun, context.Cause(ctx))
	}
	return m, nil
}

// apply folds one informer event into the mirror and publishes it.
func (m *mirror[T]) apply(obj any, deleted bool) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj, deleted = tomb.Obj, true
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		m.logger.Error("kubernetes: unexpected object in informer", "kind", m.c.noun, "type", fmt.Sprintf("%T", obj))
		return
	}
	name, uid := acc.GetName(), acc.GetUID()
	rv, rvErr := strconv.ParseUint(acc.GetResourceVersion(), 10, 64)

	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.notify()
	if rvErr == nil && rv > m.seen {
		m.seen = rv
	}
	prev, had := m.items[name]
	if deleted {
		delete(m.broken, name)
		if !had || prev.uid != uid {
			return
		}
		delete(m.items, name)
		// The last known state, as the port promises; the deletion's own object carries
		// the deletion's resource version instead of the last write's.
		m.hub.Publish(ports.Event[T]{Type: ports.EventDelete, Name: name, Object: prev.obj})
		return
	}
	if had && prev.uid == uid && rvErr == nil && rv <= prev.rv {
		// A relist re-delivers what the mirror already has: not a change.
		return
	}
	decoded, err := m.c.decode(obj)
	if err != nil {
		// Log the reason without the object: a Secret's values must never reach a log.
		m.logger.Error("kubernetes: object cannot be decoded; it is left out", "kind", m.c.noun, "name", name, "error", err)
		m.broken[name] = err
		if had {
			delete(m.items, name)
			m.hub.Publish(ports.Event[T]{Type: ports.EventDelete, Name: name, Object: prev.obj})
		}
		return
	}
	delete(m.broken, name)
	m.items[name] = mirrorItem[T]{obj: decoded, uid: uid, rv: rv}
	m.hub.Publish(ports.Event[T]{Type: ports.EventPut, Name: name, Object: decoded})
}

// notify wakes every waiter; m.mu is held.
func (m *mirror[T]) notify() {
	close(m.changed)
	m.changed = make(chan struct{})
}

func (m *mirror[T]) get(name string) (T, error) {
	m.mu.RLock()
	it, ok := m.items[name]
	brokenErr := m.broken[name]
	m.mu.RUnlock()
	if !ok {
		var zero T
		if brokenErr != nil {
			return zero, fmt.Errorf("get %s %s: stored object cannot be read: %w", m.c.noun, name, brokenErr)
		}
		return zero, fmt.Errorf("get %s %s: %w", m.c.noun, name, m.c.notFound)
	}
	return m.c.copy(it.obj), nil
}

// lookup returns the mirror's own copy (not to be modified) and whether it exists.
func (m *mirror[T]) lookup(name string) (mirrorItem[T], bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	it, ok := m.items[name]
	return it, ok
}

func (m *mirror[T]) list() []T {
	m.mu.RLock()
	names := slices.Sorted(maps.Keys(m.items))
	out := make([]T, len(names))
	for i, n := range names {
		out[i] = m.c.copy(m.items[n].obj)
	}
	m.mu.RUnlock()
	return out
}

func (m *mirror[T]) watch(ctx context.Context) (<-chan ports.Event[T], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The lock keeps events out between the snapshot and the subscription.
	m.mu.RLock()
	defer m.mu.RUnlock()
	snap := make([]ports.Event[T], 0, len(m.items))
	for _, n := range slices.Sorted(maps.Keys(m.items)) {
		snap = append(snap, ports.Event[T]{Type: ports.EventPut, Name: n, Object: m.items[n].obj})
	}
	ch, err := m.hub.Subscribe(ctx, snap)
	if err != nil {
		return nil, fmt.Errorf("watch %ss: %w", m.c.noun, err)
	}
	return ch, nil
}

// waitVersion returns once the mirror has delivered resource version rv (a write's
// result) or later. Resource versions are compared as numbers: the API documents them as
// opaque, but every API server backed by etcd issues etcd's increasing revisions, and
// the informer delivers them in that order.
func (m *mirror[T]) waitVersion(ctx context.Context, rv string) error {
	n, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return fmt.Errorf("resource version %q is not a number: cannot wait for it", rv)
	}
	return m.waitUntil(ctx, func() bool { return m.seen >= n })
}

// waitGone returns once the mirror no longer holds the object name with uid.
func (m *mirror[T]) waitGone(ctx context.Context, name string, uid types.UID) error {
	return m.waitUntil(ctx, func() bool {
		it, ok := m.items[name]
		return !ok || it.uid != uid
	})
}

func (m *mirror[T]) waitUntil(ctx context.Context, cond func() bool) error {
	timer := time.NewTimer(maxReadYourWritesWait)
	defer timer.Stop()
	for {
		m.mu.RLock()
		ok, ch := cond(), m.changed
		m.mu.RUnlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-timer.C:
			m.logger.Warn("kubernetes: a write did not reach the informer in time; reads may briefly miss it", "kind", m.c.noun)
			return nil
		case <-m.done:
			return fmt.Errorf("%s store closed", m.c.noun)
		}
	}
}

// close stops the informer and closes every watch channel.
func (m *mirror[T]) close() {
	m.cancel()
	<-m.done
	m.hub.Close()
}

// reservedPrefix marks the labels and annotations this adapter writes for itself.
const reservedPrefix = "appconnector.io/"

// writeNonceAnnotation forces a write whose content equals the stored object: the API
// server treats such an update as a no-op and keeps the resource version, but the ports
// promise a new version (and a watch event) on every successful write.
const writeNonceAnnotation = reservedPrefix + "write"

func hasReservedKey(m map[string]string) string {
	for k := range m {
		if strings.HasPrefix(k, reservedPrefix) {
			return k
		}
	}
	return ""
}
