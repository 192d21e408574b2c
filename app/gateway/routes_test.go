package gateway

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/memory"
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

var discard = slog.New(slog.DiscardHandler)

// harness runs Routes over the memory adapters: the table must follow what is stored.
type harness struct {
	routes  *Routes
	apps    *memory.ApplicationRepository
	secrets *memory.SecretStore
	binder  *fakeBinder
}

// newHarness returns the route table over empty stores; start runs it.
func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{
		apps:    memory.NewApplicationRepository(),
		secrets: memory.NewSecretStore(),
		binder:  &fakeBinder{bound: map[*Endpoint]int{}},
	}
	h.routes = NewRoutes(h.apps, h.secrets, h.binder, discard)
	return h
}

// start runs the table over what is stored so far and waits for its first publication.
func (h *harness) start(t *testing.T) {
	t.Helper()
	runInBackground(t, h.routes)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, h.routes.WaitReady(ctx))
}

func runInBackground(t *testing.T, r *Routes) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

func (h *harness) putApp(t *testing.T, a application.Application) {
	t.Helper()
	_, _, err := h.apps.Put(t.Context(), a)
	require.NoError(t, err)
}

func (h *harness) putSecret(t *testing.T, s credential.Secret) {
	t.Helper()
	_, _, err := h.secrets.Put(t.Context(), s)
	require.NoError(t, err)
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

// The order in which the two snapshots arrive is the point here, so the watches are
// channels the test feeds; they are unbuffered, so a send returns only once Run took the
// event, after it had handled every earlier one.
func TestRoutesNotReadyUntilBothSynced(t *testing.T) {
	ctrl := gomock.NewController(t)
	repo := mocks.NewMockApplicationRepository(ctrl)
	store := mocks.NewMockSecretStore(ctrl)
	apps := make(chan ports.Event[application.Application])
	secs := make(chan ports.Event[credential.Secret])
	repo.EXPECT().Watch(gomock.Any()).Return(apps, nil)
	store.EXPECT().Watch(gomock.Any()).Return(secs, nil)
	routes := NewRoutes(repo, store, &fakeBinder{bound: map[*Endpoint]int{}}, discard)
	runInBackground(t, routes)

	_, err := lookup(t, routes, "/a/b", dgw.Standalone)
	require.ErrorIs(t, err, ErrNotReady)
	app := basicApp("shop", "http://h/api", "shop-basic")
	apps <- ports.Event[application.Application]{Type: ports.EventPut, Name: app.Name, Object: app}
	apps <- ports.Event[application.Application]{Type: ports.EventSynced}
	sec := basicSecret("shop-basic", "u1")
	secs <- ports.Event[credential.Secret]{Type: ports.EventPut, Name: sec.Name, Object: sec}
	// Run has handled the Applications' EventSynced: only the Secrets' is missing.
	assert.False(t, routes.Ready(), "must wait for the secrets snapshot too")
	_, err = lookup(t, routes, "/shop/orders-api/x", dgw.Standalone)
	require.ErrorIs(t, err, ErrNotReady)

	secs <- ports.Event[credential.Secret]{Type: ports.EventSynced}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, routes.WaitReady(ctx))

	ep, err := lookup(t, routes, "/shop/orders-api/x", dgw.Standalone)
	require.NoError(t, err)
	require.NoError(t, ep.Err)
	assert.Equal(t, "u1", ep.Credentials.Basic.Username)
	assert.Equal(t, "runtime", ep.Runtime)
	assert.True(t, ep.EncodeURL)
	assert.Equal(t, EntryKey{App: "shop", Service: 0, Entry: 0}, ep.Key)

	ep2, err := lookup(t, routes, "/shop/orders-api/v1/x", dgw.Compass)
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
	h.putApp(t, app)
	h.start(t)

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
	h.putApp(t, basicApp("shop", "http://h/api", "shop-basic"))
	h.putSecret(t, basicSecret("shop-basic", "u1"))
	h.start(t)
	require.Equal(t, 1, h.binder.live())

	// A Secret change rebuilds the Applications that use it.
	h.putSecret(t, basicSecret("shop-basic", "u2"))
	h.eventually(t, "/shop/orders-api", func(ep *Endpoint, err error) bool {
		return err == nil && ep.Err == nil && ep.Credentials.Basic.Username == "u2"
	})
	// A bad Secret makes the entry unusable with a message naming the key, never a value.
	h.putSecret(t, credential.Secret{Name: "shop-basic", Data: map[string][]byte{"username": []byte("topsecret")}})
	h.eventually(t, "/shop/orders-api", func(ep *Endpoint, err error) bool {
		return err == nil && ep.Err != nil && !contains(ep.Err.Error(), "topsecret") && contains(ep.Err.Error(), `"password"`)
	})
	// An edited Application takes effect.
	h.putSecret(t, basicSecret("shop-basic", "u1"))
	h.putApp(t, basicApp("shop", "http://other/api", "shop-basic"))
	h.eventually(t, "/shop/orders-api", func(ep *Endpoint, err error) bool {
		return err == nil && ep.Err == nil && ep.Target.Host == "other"
	})
	// Deleting the Secret, then the Application.
	require.NoError(t, h.secrets.Delete(t.Context(), "shop-basic"))
	h.eventually(t, "/shop/orders-api", func(ep *Endpoint, err error) bool {
		return err == nil && errors.Is(ep.Err, credential.ErrNotFound)
	})
	require.NoError(t, h.apps.Delete(t.Context(), "shop"))
	h.eventually(t, "/shop/orders-api", func(_ *Endpoint, err error) bool {
		return errors.Is(err, application.ErrNotFound)
	})
	require.Eventually(t, func() bool { return h.binder.live() == 0 }, time.Second, time.Millisecond,
		"every bound endpoint is released once replaced")
}

func TestRoutesBindFailureMakesEntryUnusable(t *testing.T) {
	h := newHarness(t)
	h.binder.failFor = "v1"
	h.putApp(t, basicApp("shop", "http://h/api", "shop-basic"))
	h.putSecret(t, basicSecret("shop-basic", "u1"))
	h.start(t)
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
	r := NewRoutes(repo, store, nil, discard)
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
	r := NewRoutes(repo, store, nil, discard)
	require.ErrorContains(t, r.Run(context.Background()), "watch applications: boom")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Error(t, r.WaitReady(ctx))
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
