package porttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/ports"
)

// commonCases are the tests every storage port passes, whatever it stores.
func commonCases[T any](k kit[T]) []testCase[T] {
	return []testCase[T]{
		{"get missing returns not found", func(t *testing.T, s store[T]) {
			_, err := s.Get(t.Context(), "missing")
			require.ErrorIs(t, err, k.notFound)
		}},
		{"delete missing returns not found", func(t *testing.T, s store[T]) {
			require.ErrorIs(t, s.Delete(t.Context(), "missing"), k.notFound)
		}},
		{"put creates then replaces", func(t *testing.T, s store[T]) {
			ctx := t.Context()
			first, created, err := s.Put(ctx, k.build("alpha", 1))
			require.NoError(t, err)
			assert.True(t, created, "first put creates")
			assert.NotEmpty(t, k.rv(first), "stored object has a resource version")
			assert.Equal(t, "alpha", k.name(first))
			assert.Equal(t, 1, k.gen(first))

			got, err := s.Get(ctx, "alpha")
			require.NoError(t, err)
			assert.Equal(t, k.rv(first), k.rv(got))
			assert.Equal(t, 1, k.gen(got))

			second, created, err := s.Put(ctx, k.build("alpha", 2))
			require.NoError(t, err)
			assert.False(t, created, "second put replaces")
			assert.Equal(t, 2, k.gen(second))

			got, err = s.Get(ctx, "alpha")
			require.NoError(t, err)
			assert.Equal(t, k.rv(second), k.rv(got))
			assert.Equal(t, 2, k.gen(got))
		}},
		{"put without name fails", func(t *testing.T, s store[T]) {
			_, _, err := s.Put(t.Context(), k.build("", 1))
			require.Error(t, err)
			items, err := s.List(t.Context())
			require.NoError(t, err)
			assert.Empty(t, items)
		}},
		{"resource version changes on every write", func(t *testing.T, s store[T]) {
			ctx := t.Context()
			seen := map[string]bool{}
			note := func(obj T) {
				t.Helper()
				rv := k.rv(obj)
				require.NotEmpty(t, rv)
				require.False(t, seen[rv], "resource version %q reused", rv)
				seen[rv] = true
			}
			note(mustPut(t, s, k.build("a", 1)))
			note(mustPut(t, s, k.build("a", 1))) // identical content is still a write
			note(mustPut(t, s, k.build("b", 1)))
			require.NoError(t, s.Delete(ctx, "a"))
			// A recreated object must not look unchanged to a cache holding the old one.
			note(mustPut(t, s, k.build("a", 1)))
		}},
		{"put with current resource version succeeds", func(t *testing.T, s store[T]) {
			stored := mustPut(t, s, k.build("a", 1))
			next := k.build("a", 2)
			k.setRV(&next, k.rv(stored))
			updated, created, err := s.Put(t.Context(), next)
			require.NoError(t, err)
			assert.False(t, created)
			assert.NotEqual(t, k.rv(stored), k.rv(updated))
			assert.Equal(t, 2, k.gen(updated))
		}},
		{"put with stale resource version conflicts", func(t *testing.T, s store[T]) {
			ctx := t.Context()
			stale := mustPut(t, s, k.build("a", 1))
			current := mustPut(t, s, k.build("a", 2))
			next := k.build("a", 3)
			k.setRV(&next, k.rv(stale))
			_, _, err := s.Put(ctx, next)
			require.ErrorIs(t, err, k.conflict)

			got, err := s.Get(ctx, "a")
			require.NoError(t, err)
			assert.Equal(t, k.rv(current), k.rv(got), "a conflicting put changes nothing")
			assert.Equal(t, 2, k.gen(got))
		}},
		{"put with resource version of missing object conflicts", func(t *testing.T, s store[T]) {
			ctx := t.Context()
			obj := k.build("ghost", 1)
			k.setRV(&obj, "1")
			_, _, err := s.Put(ctx, obj)
			require.ErrorIs(t, err, k.conflict)
			_, err = s.Get(ctx, "ghost")
			require.ErrorIs(t, err, k.notFound, "a conflicting put creates nothing")
		}},
		{"delete removes", func(t *testing.T, s store[T]) {
			ctx := t.Context()
			mustPut(t, s, k.build("a", 1))
			mustPut(t, s, k.build("b", 1))
			require.NoError(t, s.Delete(ctx, "a"))

			_, err := s.Get(ctx, "a")
			require.ErrorIs(t, err, k.notFound)
			items, err := s.List(ctx)
			require.NoError(t, err)
			require.Len(t, items, 1)
			assert.Equal(t, "b", k.name(items[0]))
			require.ErrorIs(t, s.Delete(ctx, "a"), k.notFound)

			_, created, err := s.Put(ctx, k.build("a", 2))
			require.NoError(t, err)
			assert.True(t, created, "put after delete creates")
		}},
		{"list is empty on a new store", func(t *testing.T, s store[T]) {
			items, err := s.List(t.Context())
			require.NoError(t, err)
			assert.Empty(t, items)
		}},
		{"list is sorted by name", func(t *testing.T, s store[T]) {
			names := []string{"delta", "alpha", "charlie", "echo", "bravo", "a-1", "a", "z9"}
			for i, n := range names {
				mustPut(t, s, k.build(n, i))
			}
			items, err := s.List(t.Context())
			require.NoError(t, err)
			got := make([]string, len(items))
			for i, it := range items {
				got[i] = k.name(it)
			}
			want := slices.Clone(names)
			slices.Sort(want)
			assert.Equal(t, want, got)
			for i, n := range names {
				idx := slices.Index(got, n)
				assert.Equal(t, i, k.gen(items[idx]), "content of %s", n)
			}
		}},
		{"watch on empty store starts with synced", func(t *testing.T, s store[T]) {
			ch := watch(t, t.Context(), s)
			ev := recv(t, ch)
			assert.Equal(t, ports.EventSynced, ev.Type)
		}},
		{"watch delivers snapshot, synced, then changes in order", func(t *testing.T, s store[T]) {
			ctx := t.Context()
			a := mustPut(t, s, k.build("a", 1))
			b := mustPut(t, s, k.build("b", 2))
			ch := watch(t, ctx, s)

			snap := readSnapshot(t, k, ch)
			assert.Equal(t, fingerprint(k, map[string]T{"a": a, "b": b}), fingerprint(k, snap))

			c := mustPut(t, s, k.build("c", 3))
			a2 := mustPut(t, s, k.build("a", 4))
			require.NoError(t, s.Delete(ctx, "b"))

			want := []struct {
				typ  ports.EventType
				name string
				rv   string
				gen  int
			}{
				{ports.EventPut, "c", k.rv(c), 3},
				{ports.EventPut, "a", k.rv(a2), 4},
				{ports.EventDelete, "b", k.rv(b), 2},
			}
			for i, w := range want {
				ev := recv(t, ch)
				assert.Equal(t, w.typ, ev.Type, "event %d type", i)
				assert.Equal(t, w.name, ev.Name, "event %d name", i)
				assert.Equal(t, w.name, k.name(ev.Object), "event %d object name", i)
				assert.Equal(t, w.rv, k.rv(ev.Object), "event %d resource version", i)
				assert.Equal(t, w.gen, k.gen(ev.Object), "event %d content", i)
			}
			requireQuiet(t, ch, 50*time.Millisecond)
		}},
		{"watch does not drop events for a slow reader", func(t *testing.T, s store[T]) {
			const n = 300
			ch := watch(t, t.Context(), s)
			// Nothing is read while the writes happen: a store that buffers a bounded
			// number of events, or blocks writers on readers, fails here.
			rvs := make([]string, n)
			for i := range n {
				rvs[i] = k.rv(mustPut(t, s, k.build(fmt.Sprintf("obj-%d", i%7), i)))
			}
			require.NoError(t, s.Delete(t.Context(), "obj-0"))
			require.Equal(t, ports.EventSynced, recv(t, ch).Type)
			for i := range n {
				ev := recv(t, ch)
				require.Equal(t, ports.EventPut, ev.Type)
				require.Equal(t, i, k.gen(ev.Object), "event %d out of order", i)
				require.Equal(t, rvs[i], k.rv(ev.Object))
			}
			ev := recv(t, ch)
			assert.Equal(t, ports.EventDelete, ev.Type)
			assert.Equal(t, "obj-0", ev.Name)
		}},
		{"two watchers both get every event", func(t *testing.T, s store[T]) {
			ctx := t.Context()
			mustPut(t, s, k.build("pre", 0))
			w1 := watch(t, ctx, s)
			w2 := watch(t, ctx, s)
			for i := 1; i <= 20; i++ {
				mustPut(t, s, k.build("obj", i))
			}
			require.NoError(t, s.Delete(ctx, "pre"))
			// Drain w2 first so that w1's queue has to hold everything meanwhile.
			for _, ch := range []<-chan ports.Event[T]{w2, w1} {
				snap := readSnapshot(t, k, ch)
				require.Contains(t, snap, "pre")
				for i := 1; i <= 20; i++ {
					ev := recv(t, ch)
					require.Equal(t, ports.EventPut, ev.Type)
					require.Equal(t, i, k.gen(ev.Object))
				}
				ev := recv(t, ch)
				require.Equal(t, ports.EventDelete, ev.Type)
				require.Equal(t, "pre", ev.Name)
			}
		}},
		{"cancelling the context closes the watch channel", func(t *testing.T, s store[T]) {
			ctx, cancel := context.WithCancel(t.Context())
			ch := watch(t, ctx, s)
			require.Equal(t, ports.EventSynced, recv(t, ch).Type)
			mustPut(t, s, k.build("unread", 1))
			cancel()
			RequireClosed(t, ch)
			// The store keeps working for others after a watcher left.
			mustPut(t, s, k.build("after", 1))
			other := watch(t, t.Context(), s)
			assert.Len(t, readSnapshot(t, k, other), 2)
		}},
		{"cancelling before reading anything closes the watch channel", func(t *testing.T, s store[T]) {
			mustPut(t, s, k.build("a", 1))
			ctx, cancel := context.WithCancel(t.Context())
			ch := watch(t, ctx, s)
			cancel()
			RequireClosed(t, ch)
		}},
		{"concurrent writers: watchers converge on list", func(t *testing.T, s store[T]) {
			concurrentWriters(t, k, s)
		}},
	}
}

// concurrentWriters runs several writers on distinct and shared objects while one
// watcher is open from the start and another joins midway. Replaying either watcher's
// events must give exactly what List returns once the writers are done: a gap between
// snapshot and live events, a reordering, or a lost event shows up as a difference.
func concurrentWriters[T any](t *testing.T, k kit[T], s store[T]) {
	const writers, ops = 4, 40
	ctx := t.Context()
	early := watch(t, ctx, s)

	var (
		wg       sync.WaitGroup
		lateOnce sync.Once
		late     <-chan ports.Event[T]
		lateErr  error
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for i := range ops {
				if i == ops/2 {
					lateOnce.Do(func() { late, lateErr = s.Watch(ctx) })
				}
				gen := w*1000 + i
				var err error
				switch r := rng.IntN(10); {
				case r < 4:
					_, _, err = s.Put(ctx, k.build(fmt.Sprintf("w%d-%d", w, rng.IntN(5)), gen))
				case r < 8:
					_, _, err = s.Put(ctx, k.build(fmt.Sprintf("shared-%d", rng.IntN(2)), gen))
				default:
					err = s.Delete(ctx, fmt.Sprintf("w%d-%d", w, rng.IntN(5)))
					if errors.Is(err, k.notFound) {
						err = nil
					}
				}
				if err != nil {
					t.Errorf("writer %d op %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	require.NoError(t, lateErr)
	require.NotNil(t, late)

	want := listFingerprint(t, k, s)
	for name, ch := range map[string]<-chan ports.Event[T]{"early": early, "late": late} {
		state := readSnapshot(t, k, ch)
		for !assert.ObjectsAreEqual(want, fingerprint(k, state)) {
			ev := recv(t, ch)
			require.Equal(t, ev.Name, k.name(ev.Object), "%s watcher: event name matches object", name)
			switch ev.Type {
			case ports.EventPut:
				state[ev.Name] = ev.Object
			case ports.EventDelete:
				require.Contains(t, state, ev.Name, "%s watcher: delete of an object it never saw", name)
				delete(state, ev.Name)
			default:
				require.FailNow(t, "unexpected event", "%s watcher: %s", name, ev.Type)
			}
		}
		requireQuiet(t, ch, 50*time.Millisecond)
	}
}
