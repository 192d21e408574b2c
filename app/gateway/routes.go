package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	dgw "github.com/appconnector/appconnector/domain/gateway"
	"github.com/appconnector/appconnector/ports"
)

// ErrNotReady is returned by Lookup before the first complete table is published.
var ErrNotReady = errors.New("gateway is starting: route table not synced yet")

// Binder attaches runtime resources to compiled endpoints. Bind is called for every
// usable endpoint before it is published and sets ep.Runtime (an error makes the endpoint
// unusable with that error); Unbind is called once the endpoint is no longer published,
// so shared resources can be reference-counted. Both are called from the watch goroutine
// only, one at a time.
type Binder interface {
	Bind(ep *Endpoint) error
	Unbind(ep *Endpoint)
}

// maxBatch bounds how many queued watch events are folded into one table rebuild.
const maxBatch = 1024

// Routes is the gateway's in-memory route table. Run keeps it current; Lookup is safe
// for any number of concurrent readers and never blocks.
type Routes struct {
	apps    ports.ApplicationRepository
	secrets ports.SecretStore
	binder  Binder
	logger  *slog.Logger

	current atomic.Pointer[table]
	ready   chan struct{}

	// Owned by the Run goroutine.
	appObjs    map[string]application.Application
	secretObjs map[string]credential.Secret
	bySecret   map[string]map[string]struct{}
}

// NewRoutes returns a route table fed by the two stores' watches. binder may be nil
// (endpoints then carry no runtime resources). Lookup fails with ErrNotReady until Run
// has published the first table.
func NewRoutes(apps ports.ApplicationRepository, secrets ports.SecretStore, binder Binder, logger *slog.Logger) *Routes {
	if apps == nil || secrets == nil || logger == nil {
		panic("gateway.NewRoutes: nil dependency")
	}
	return &Routes{
		apps: apps, secrets: secrets, binder: binder, logger: logger,
		ready:      make(chan struct{}),
		appObjs:    map[string]application.Application{},
		secretObjs: map[string]credential.Secret{},
		bySecret:   map[string]map[string]struct{}{},
	}
}

// Lookup returns the endpoint the parsed path names on listener m, or an error:
// *AppNotFoundError or *application.RouteNotFoundError (404),
// *application.AmbiguousRouteError (400), ErrNotReady (503). An endpoint with Err set is
// returned as is; the caller answers 500 with Err. It allocates only for 404s.
func (r *Routes) Lookup(p dgw.Path, m dgw.Mode) (*Endpoint, error) {
	t := r.current.Load()
	if t == nil {
		return nil, ErrNotReady
	}
	return t.lookup(p, m)
}

// Ready reports whether the first complete table has been published.
func (r *Routes) Ready() bool { return r.current.Load() != nil }

// WaitReady blocks until the first table is published or ctx is done.
func (r *Routes) WaitReady(ctx context.Context) error {
	select {
	case <-r.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for gateway routes: %w", ctx.Err())
	}
}

// Run watches both stores and keeps the table current until ctx is done (then it returns
// nil) or a watch ends on its own (then it returns an error). Run must be called once.
func (r *Routes) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	appCh, err := r.apps.Watch(ctx)
	if err != nil {
		return fmt.Errorf("watch applications: %w", err)
	}
	secCh, err := r.secrets.Watch(ctx)
	if err != nil {
		return fmt.Errorf("watch secrets: %w", err)
	}
	defer r.releaseAll()

	appsSynced, secretsSynced := false, false
	dirty := map[string]struct{}{}
	for {
		// Block for one event, then fold whatever else is queued into the same rebuild.
		for n := 0; n < maxBatch; n++ {
			var ok bool
			if n == 0 {
				select {
				case <-ctx.Done():
					return nil
				case ev, open := <-appCh:
					ok = open
					if open {
						appsSynced = r.onApp(ev, dirty) || appsSynced
					}
				case ev, open := <-secCh:
					ok = open
					if open {
						secretsSynced = r.onSecret(ev, dirty) || secretsSynced
					}
				}
			} else {
				select {
				case ev, open := <-appCh:
					ok = open
					if open {
						appsSynced = r.onApp(ev, dirty) || appsSynced
					}
				case ev, open := <-secCh:
					ok = open
					if open {
						secretsSynced = r.onSecret(ev, dirty) || secretsSynced
					}
				default:
					n, ok = maxBatch, true
				}
			}
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("gateway routes: store watch closed")
			}
		}
		if !appsSynced || !secretsSynced {
			continue // keep collecting the initial snapshot
		}
		if len(dirty) > 0 || r.current.Load() == nil {
			r.publish(dirty)
			clear(dirty)
		}
	}
}

// onApp applies an Application event to the state and marks what must be rebuilt. It
// reports whether the event was EventSynced.
func (r *Routes) onApp(ev ports.Event[application.Application], dirty map[string]struct{}) bool {
	switch ev.Type {
	case ports.EventSynced:
		return true
	case ports.EventPut:
		if old, ok := r.appObjs[ev.Name]; ok {
			r.unindex(&old)
		}
		app := ev.Object
		r.appObjs[ev.Name] = app
		for _, s := range app.SecretNames() {
			if r.bySecret[s] == nil {
				r.bySecret[s] = map[string]struct{}{}
			}
			r.bySecret[s][ev.Name] = struct{}{}
		}
	case ports.EventDelete:
		if old, ok := r.appObjs[ev.Name]; ok {
			r.unindex(&old)
			delete(r.appObjs, ev.Name)
		}
	}
	dirty[ev.Name] = struct{}{}
	return false
}

func (r *Routes) unindex(app *application.Application) {
	for _, s := range app.SecretNames() {
		delete(r.bySecret[s], app.Name)
		if len(r.bySecret[s]) == 0 {
			delete(r.bySecret, s)
		}
	}
}

// onSecret applies a Secret event and marks every Application that refers to it.
func (r *Routes) onSecret(ev ports.Event[credential.Secret], dirty map[string]struct{}) bool {
	switch ev.Type {
	case ports.EventSynced:
		return true
	case ports.EventPut:
		r.secretObjs[ev.Name] = ev.Object
	case ports.EventDelete:
		delete(r.secretObjs, ev.Name)
	}
	for app := range r.bySecret[ev.Name] {
		dirty[app] = struct{}{}
	}
	return false
}

// publish rebuilds the dirty Applications (all of them for the first table), swaps the
// snapshot and then releases the endpoints it replaced.
func (r *Routes) publish(dirty map[string]struct{}) {
	old := r.current.Load()
	next := &table{apps: make(map[string]*appRoutes, len(r.appObjs))}
	if old == nil {
		for name := range r.appObjs {
			next.apps[name] = r.compile(name)
		}
	} else {
		for name, ar := range old.apps {
			if _, ok := dirty[name]; !ok {
				next.apps[name] = ar
			}
		}
		for name := range dirty {
			if _, ok := r.appObjs[name]; ok {
				next.apps[name] = r.compile(name)
			}
		}
	}
	r.current.Store(next)
	if old == nil {
		close(r.ready)
		r.logger.Info("gateway routes synced", "applications", len(next.apps))
		return
	}
	for name := range dirty {
		if ar, ok := old.apps[name]; ok {
			r.release(ar)
		}
	}
	r.logger.Debug("gateway routes updated", "changed", len(dirty), "applications", len(next.apps))
}

func (r *Routes) compile(name string) *appRoutes {
	app := r.appObjs[name]
	ar := compileApp(&app, r.secretObjs)
	for _, ep := range ar.endpoints {
		if ep.Err == nil && r.binder != nil {
			if err := r.binder.Bind(ep); err != nil {
				ep.Err = &unusableError{service: ep.ServiceDisplayName, cause: err}
			}
		}
		if ep.Err != nil {
			r.logger.Warn("api entry unusable", "app", name, "service", ep.ServiceDisplayName,
				"entry", ep.EntryName, "error", ep.Err)
		}
	}
	return ar
}

func (r *Routes) release(ar *appRoutes) {
	if r.binder == nil {
		return
	}
	for _, ep := range ar.endpoints {
		if ep.Err == nil {
			r.binder.Unbind(ep)
		}
	}
}

func (r *Routes) releaseAll() {
	if t := r.current.Load(); t != nil {
		for _, ar := range t.apps {
			r.release(ar)
		}
	}
}
