package gateway

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appconnector/appconnector/adapters/telemetry"
)

// cached is a value fetched from a remote endpoint (an OAuth or CSRF token) and reused
// until its refresh time. However many requests need it at once, only one fetch runs;
// the others wait for its result or for their own context. The fetch runs detached from
// any request, bounded by its own timeout, so a caller that gives up does not fail the
// others. Reads of a current value take no lock.
type cached[T any] struct {
	fetch   func(ctx context.Context, from *binding) (T, time.Time, error)
	timeout time.Duration
	now     func() time.Time
	obs     fetchObserver

	cur atomic.Pointer[entry[T]]

	mu   sync.Mutex
	call *flight[T]
	gen  uint64
}

type entry[T any] struct {
	val       T
	refreshAt time.Time
	gen       uint64
}

type flight[T any] struct {
	done chan struct{}
	e    *entry[T]
	err  error
}

// fetchObserver says how a fetch is recorded: its metric kind, and its span name on
// tracing (nil: no spans).
type fetchObserver struct {
	kind    telemetry.FetchKind
	span    string
	tracing *telemetry.Tracing
}

func newCached[T any](timeout time.Duration, now func() time.Time, obs fetchObserver, fetch func(ctx context.Context, from *binding) (T, time.Time, error)) *cached[T] {
	return &cached[T]{fetch: fetch, timeout: timeout, now: now, obs: obs}
}

// get returns the current value and its generation, fetching it if there is none or it
// is due for refresh. A fetch is counted on the route of from, the binding of the
// request that started it (a token can be shared by several routes; nil: no route),
// and traced as a child of ctx's span.
func (c *cached[T]) get(ctx context.Context, from *binding) (T, uint64, error) {
	if e := c.cur.Load(); e != nil && c.now().Before(e.refreshAt) {
		return e.val, e.gen, nil
	}
	c.mu.Lock()
	if e := c.cur.Load(); e != nil && c.now().Before(e.refreshAt) {
		c.mu.Unlock()
		return e.val, e.gen, nil
	}
	f := c.call
	if f == nil {
		f = &flight[T]{done: make(chan struct{})}
		c.call = f
		go c.run(f, c.obs.tracing.Detach(ctx), from)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			var zero T
			return zero, 0, f.err
		}
		return f.e.val, f.e.gen, nil
	case <-ctx.Done():
		var zero T
		return zero, 0, ctx.Err()
	}
}

func (c *cached[T]) run(f *flight[T], parent context.Context, from *binding) {
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	var app, service string
	var rm *telemetry.RouteMetrics
	if from != nil {
		app, service, rm = from.app, from.service, from.metrics
	}
	ctx, span := c.obs.tracing.Start(ctx, c.obs.span, app, service)
	start := time.Now()
	val, refreshAt, err := c.fetch(ctx, from)
	rm.Fetch(c.obs.kind, fetchOutcome(err), time.Since(start))
	span.End(err)
	c.mu.Lock()
	if err == nil {
		c.gen++
		f.e = &entry[T]{val: val, refreshAt: refreshAt, gen: c.gen}
		c.cur.Store(f.e)
	}
	f.err = err
	c.call = nil
	c.mu.Unlock()
	close(f.done)
}

// invalidate drops the value of generation gen, so the next get fetches a new one. A
// newer value (fetched meanwhile by another request's retry) is kept, so a burst of
// 401s causes one refetch, not one per request.
func (c *cached[T]) invalidate(gen uint64) {
	c.mu.Lock()
	if e := c.cur.Load(); e != nil && e.gen == gen {
		c.cur.Store(nil)
	}
	c.mu.Unlock()
}

// fetchOutcome is the metric outcome of a fetch's error.
func fetchOutcome(err error) telemetry.FetchOutcome {
	var se *statusError
	if errors.As(err, &se) {
		return telemetry.FetchStatus
	}
	return telemetry.ClassifyFetch(err)
}
