package porttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/ports"
)

// waitTimeout bounds every wait for an event, so a broken adapter fails instead of hanging.
const waitTimeout = 10 * time.Second

// store is the method set ApplicationRepository and SecretStore share, so that the
// tests every port must pass are written once.
type store[T any] interface {
	Get(ctx context.Context, name string) (T, error)
	List(ctx context.Context) ([]T, error)
	Put(ctx context.Context, obj T) (T, bool, error)
	Delete(ctx context.Context, name string) error
	Watch(ctx context.Context) (<-chan ports.Event[T], error)
}

// kit teaches the shared tests about one object type.
type kit[T any] struct {
	notFound error
	conflict error
	// build returns an object named name whose content encodes gen.
	build func(name string, gen int) T
	// gen reads back what build encoded.
	gen   func(T) int
	name  func(T) string
	rv    func(T) string
	setRV func(*T, string)
}

type testCase[T any] struct {
	name string
	fn   func(t *testing.T, s store[T])
}

func run[T any](t *testing.T, newStore func(t *testing.T) store[T], cases []testCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func mustPut[T any](t *testing.T, s store[T], obj T) T {
	t.Helper()
	stored, _, err := s.Put(t.Context(), obj)
	require.NoError(t, err)
	return stored
}

func watch[T any](t *testing.T, ctx context.Context, s store[T]) <-chan ports.Event[T] {
	t.Helper()
	ch, err := s.Watch(ctx)
	require.NoError(t, err)
	require.NotNil(t, ch)
	return ch
}

func recv[T any](t *testing.T, ch <-chan ports.Event[T]) ports.Event[T] {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "watch channel closed unexpectedly")
		return ev
	case <-time.After(waitTimeout):
		require.FailNow(t, "no watch event", "waited %s", waitTimeout)
	}
	return ports.Event[T]{}
}

// RequireClosed drains ch (undelivered values may still arrive) until it is closed, and
// fails t if that takes longer than the suites wait for any event: a channel that is
// never closed fails the test instead of hanging it.
func RequireClosed[T any](t testing.TB, ch <-chan T) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			require.FailNow(t, "channel not closed", "waited %s", waitTimeout)
		}
	}
}

func requireQuiet[T any](t *testing.T, ch <-chan ports.Event[T], d time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			require.FailNow(t, "unexpected watch event", "%s %s", ev.Type, ev.Name)
		}
		require.FailNow(t, "watch channel closed unexpectedly")
	case <-time.After(d):
	}
}

// readSnapshot reads EventPuts until EventSynced and returns them by name.
func readSnapshot[T any](t *testing.T, k kit[T], ch <-chan ports.Event[T]) map[string]T {
	t.Helper()
	got := map[string]T{}
	for {
		ev := recv(t, ch)
		if ev.Type == ports.EventSynced {
			require.Empty(t, ev.Name, "EventSynced carries no name")
			return got
		}
		require.Equal(t, ports.EventPut, ev.Type, "snapshot holds only EventPut before EventSynced")
		require.Equal(t, ev.Name, k.name(ev.Object), "event name matches object name")
		require.NotContains(t, got, ev.Name, "snapshot delivers each object once")
		got[ev.Name] = ev.Object
	}
}

// fingerprint reduces a set of objects to name -> "rv/gen", what two views of a store
// must agree on.
func fingerprint[T any](k kit[T], objs map[string]T) map[string]string {
	out := make(map[string]string, len(objs))
	for n, o := range objs {
		out[n] = fmt.Sprintf("%s/%d", k.rv(o), k.gen(o))
	}
	return out
}

func listFingerprint[T any](t *testing.T, k kit[T], s store[T]) map[string]string {
	t.Helper()
	items, err := s.List(t.Context())
	require.NoError(t, err)
	m := make(map[string]T, len(items))
	for _, it := range items {
		m[k.name(it)] = it
	}
	return fingerprint(k, m)
}
