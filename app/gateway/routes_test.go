package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	dgw "github.com/appconnector/appconnector/domain/gateway"
	"github.com/appconnector/appconnector/mocks"
	"github.com/appconnector/appconnector/ports"
)

// fakeBinder counts binds and unbinds per endpoint.
type fakeBinder struct {
	mu      sync.Mutex
	bound   map[*Endpoint]int
	failFor string
}

func (b *fakeBinder) Bind(ep *Endpoint) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ep.EntryName == b.failFor && b.failFor != "" {
		return errors.New("bind failed")
	}
	b.bound[ep]++
	ep.Runtime = "runtime"
	return nil
}

func (b *fakeBinder) Unbind(ep *Endpoint) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bound[ep]--
	if b.bound[ep] == 0 {
		delete(b.bound, ep)
	}
}

func (b *fakeBinder) live() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.bound)
}

type harness struct {
	routes *Routes
	apps   chan ports.Event[application.Application]
	secs   chan ports.Event[credential.Secret]
	binder *fakeBinder
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T) *harness {
	ctrl := gomock.NewController(t)
	repo := mocks.NewMockApplicationRepository(ctrl)
	store := mocks.NewMockSecretStore(ctrl)
	h := &harness{
		apps:   make(chan ports.Event[application.Application], 16),
		secs:   make(chan ports.Event[credential.Secret], 16),
		binder: &fakeBinder{bound: map[*Endpoint]int{}},
		done:   make(chan error, 1),
	}
	repo.EXPECT().Watch(gomock.Any()).Return(h.apps, nil)
	store.EXPECT().Watch(gomock.Any()).Return(h.secs, nil)
	h.routes = NewRoutes(repo, store, h.binder, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.routes.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-h.done)
	})
	return h
}

func (h *harness) putApp(a application.Application) {
	h.apps <- ports.Event[application.Application]{Type: ports.EventPut, Name: a.Name, Object: a}
}

func (h *harness) putSecret(s credential.Secret) {
	h.secs <- ports.Event[credential.Secret]{Type: ports.EventPut, Name: s.Name, Object: s}
}

func (h *harness) sync(t *testing.T) {
	h.apps <- ports.Event[application.Application]{Type: ports.EventSynced}
	h.secs <- ports.Event[credential.Secret]{Type: ports.EventSynced}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, h.routes.WaitReady(ctx))
}

// eventually waits until the standalone lookup of path satisfies ok.
func (h *harness) eventually(t *testing.T, path string, ok func(*Endpoint, error) bool) {
	t.Helper()
	p, err := dgw.ParsePath(path, dgw.Standalone)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return ok(h.routes.Lookup(p, dgw.Standalone)) }, 2*time.Second, time.Millisecond)
}

func basicApp(name, target, secret string) application.Application {
	return application.Application{Name: name, Spec: application.Spec{Services: []application.Service{{
		ID: "s1", Name: "orders", DisplayName: "Orders API",
		Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "v1", TargetURL: target,
			Credentials: &application.Credentials{Type: application.CredentialBasic, SecretName: secret}}},
	}}}}
}

func basicSecret(name, user string) credential.Secret {
	return credential.Secret{Name: name, Data: map[string][]byte{"username": []byte(user), "password": []byte("pw")}}
}

func lookup(t *testing.T, r *Routes, path string, m dgw.Mode) (*Endpoint, error) {
	t.Helper()
	p, err := dgw.ParsePath(path, m)
	require.NoError(t, err)
	return r.Lookup(p, m)
}

func TestRoutesNotReadyUntilBothSynced(t *testing.T) {
	h := newHarness(t)
	_, err := lookup(t, h.routes, "/a/b", dgw.Standalone)
	require.ErrorIs(t, err, ErrNotReady)
	h.putApp(basicApp("shop", "http://h/api", "shop-basic"))
	h.apps <- ports.Event[application.Application]{Type: ports.EventSynced}
	time.Sleep(20 * time.Millisecond)
	assert.False(t, h.routes.Ready(), "must wait for the secrets snapshot too")
	h.putSecret(basicSecret("shop-basic", "u1"))
	h.secs <- ports.Event[credential.Secret]{Type: ports.EventSynced}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, h.routes.WaitReady(ctx))

	ep, err := lookup(t, h.routes, "/shop/orders-api/x", dgw.Standalone)
	require.NoError(t, err)
	require.NoError(t, ep.Err)
	assert.Equal(t, "u1", ep.Credentials.Basic.Username)
	assert.Equal(t, "runtime", ep.Runtime)
	assert.True(t, ep.EncodeURL)
	assert.Equal(t, EntryKey{App: "shop", Service: 0, Entry: 0}, ep.Key)

	ep2, err := lookup(t, h.routes, "/shop/orders-api/v1/x", dgw.Compass)
	require.NoError(t, err)
	assert.Same(t, ep, ep2)
}

func TestRoutesLookupErrors(t *testing.T) {
	h := newHarness(t)
	app := basicApp("shop", "http://h/api", "shop-basic")
	app.Spec.Services = append(app.Spec.Services,
		application.Service{ID: "s2", Name: "dup-a", DisplayName: "Dup", Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "one", TargetURL: "http://h/1"}}},
		application.Service{ID: "s3", Name: "dup-b", DisplayName: "dup!", Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "two", TargetURL: "http://h/2"}}},
		application.Service{ID: "s4", Name: "ev", DisplayName: "Events", Entries: []application.Entry{{Type: application.EntryTypeEvents}}},
	)
	h.putApp(app)
	h.sync(t)

	_, err := lookup(t, h.routes, "/nope/orders-api", dgw.Standalone)
	var anf *AppNotFoundError
	require.ErrorAs(t, err, &anf)
	assert.ErrorIs(t, err, application.ErrNotFound)

	_, err = lookup(t, h.routes, "/shop/unknown", dgw.Standalone)
	var rnf *application.RouteNotFoundError
	require.ErrorAs(t, err, &rnf)
	assert.Equal(t, "service with name unknown not found", err.Error())

	_, err = lookup(t, h.routes, "/shop/events", dgw.Standalone)
	require.ErrorAs(t, err, &rnf, "events entries are not routable")

	_, err = lookup(t, h.routes, "/shop/dup", dgw.Standalone)
	var amb *application.AmbiguousRouteError
	require.ErrorAs(t, err, &amb)
	assert.Contains(t, err.Error(), "multiple services found")

	ep, err := lookup(t, h.routes, "/shop/dup/two", dgw.Compass)
	require.NoError(t, err)
	assert.Equal(t, "s3", ep.ServiceID)

	ep, err = lookup(t, h.routes, "/shop/orders-api", dgw.Standalone)
	require.NoError(t, err)
	require.ErrorIs(t, ep.Err, ErrUnusable)
	require.ErrorIs(t, ep.Err, credential.ErrNotFound)
	assert.Equal(t, "failed to read API for Orders API service: secret shop-basic not found", ep.Err.Error())
	assert.Nil(t, ep.Runtime)
}

func TestRoutesFollowChanges(t *testing.T) {
	h := newHarness(t)
	h.putApp(basicApp("shop", "http://h/api", "shop-basic"))
	h.putSecret(basicSecret("shop-basic", "u1"))
	h.sync(t)
	require.Equal(t, 1, h.binder.live())

	// A Secret change rebuilds the Applications that use it.
	h.putSecret(basicSecret("shop-basic", "u2"))
	h.eventually(t, "/shop/orders-api", func(ep *Endpoint, err error) bool {
		return err == nil && ep.Err == nil && ep.Credentials.Basic.Username == "u2"
	})
	// A bad Secret makes the entry unusable with a message naming the key, never a value.
	h.putSecret(credential.Secret{Name: "shop-basic", Data: map[string][]byte{"username": []byte("topsecret")}})
	h.eventually(t, "/shop/orders-api", func(ep *Endpoint, err error) bool {
		return err == nil && ep.Err != nil && !contains(ep.Err.Error(), "topsecret") && contains(ep.Err.Error(), `"password"`)
	})
	// An edited Application takes effect.
	h.putSecret(basicSecret("shop-basic", "u1"))
	h.putApp(basicApp("shop", "http://other/api", "shop-basic"))
	h.eventually(t, "/shop/orders-api", func(ep *Endpoint, err error) bool {
		return err == nil && ep.Err == nil && ep.Target.Host == "other"
	})
	// Deleting the Secret, then the Application.
	h.secs <- ports.Event[credential.Secret]{Type: ports.EventDelete, Name: "shop-basic"}
	h.eventually(t, "/shop/orders-api", func(ep *Endpoint, err error) bool {
		return err == nil && errors.Is(ep.Err, credential.ErrNotFound)
	})
	h.apps <- ports.Event[application.Application]{Type: ports.EventDelete, Name: "shop"}
	h.eventually(t, "/shop/orders-api", func(_ *Endpoint, err error) bool {
		return errors.Is(err, application.ErrNotFound)
	})
	require.Eventually(t, func() bool { return h.binder.live() == 0 }, time.Second, time.Millisecond,
		"every bound endpoint is released once replaced")
}

func TestRoutesBindFailureMakesEntryUnusable(t *testing.T) {
	h := newHarness(t)
	h.binder.failFor = "v1"
	h.putApp(basicApp("shop", "http://h/api", "shop-basic"))
	h.putSecret(basicSecret("shop-basic", "u1"))
	h.sync(t)
	ep, err := lookup(t, h.routes, "/shop/orders-api", dgw.Standalone)
	require.NoError(t, err)
	require.ErrorIs(t, ep.Err, ErrUnusable)
	assert.Contains(t, ep.Err.Error(), "bind failed")
}

func TestRoutesRunEndsWhenWatchCloses(t *testing.T) {
	ctrl := gomock.NewController(t)
	repo := mocks.NewMockApplicationRepository(ctrl)
	store := mocks.NewMockSecretStore(ctrl)
	apps := make(chan ports.Event[application.Application])
	repo.EXPECT().Watch(gomock.Any()).Return(apps, nil)
	store.EXPECT().Watch(gomock.Any()).Return(make(chan ports.Event[credential.Secret]), nil)
	r := NewRoutes(repo, store, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	close(apps)
	err := r.Run(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "watch closed")
}

func TestRoutesWatchError(t *testing.T) {
	ctrl := gomock.NewController(t)
	repo := mocks.NewMockApplicationRepository(ctrl)
	store := mocks.NewMockSecretStore(ctrl)
	repo.EXPECT().Watch(gomock.Any()).Return(nil, errors.New("boom"))
	r := NewRoutes(repo, store, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.ErrorContains(t, r.Run(context.Background()), "watch applications: boom")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Error(t, r.WaitReady(ctx))
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
