package porttest

import (
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/ports"
)

// RunApplicationRepository runs the conformance suite of ports.ApplicationRepository.
// newRepo is called once per subtest and must return an empty repository.
func RunApplicationRepository(t *testing.T, newRepo func(t *testing.T) ports.ApplicationRepository) {
	t.Helper()
	k := kit[application.Application]{
		notFound: application.ErrNotFound,
		conflict: application.ErrConflict,
		build: func(name string, gen int) application.Application {
			return application.Application{
				Name:   name,
				Labels: map[string]string{"gen": strconv.Itoa(gen)},
				Spec:   application.Spec{Description: "generation " + strconv.Itoa(gen)},
			}
		},
		gen:   func(a application.Application) int { return mustAtoi(a.Labels["gen"]) },
		name:  func(a application.Application) string { return a.Name },
		rv:    func(a application.Application) string { return a.ResourceVersion },
		setRV: func(a *application.Application, rv string) { a.ResourceVersion = rv },
	}
	cases := commonCases(k)
	cases = append(cases, applicationCases(k)...)
	run(t, func(t *testing.T) store[application.Application] { return newRepo(t) }, cases)
	t.Run("update", func(t *testing.T) {
		for _, tc := range updateCases() {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, newRepo(t)) })
		}
	})
}

func applicationCases(k kit[application.Application]) []testCase[application.Application] {
	return []testCase[application.Application]{
		{"put and get keep every field", func(t *testing.T, s store[application.Application]) {
			in := fullApplication("full")
			stored, created, err := s.Put(t.Context(), in)
			require.NoError(t, err)
			require.True(t, created)
			want := fullApplication("full")
			want.ResourceVersion = stored.ResourceVersion
			want.UID = stored.UID
			assert.Equal(t, want, stored)

			got, err := s.Get(t.Context(), "full")
			require.NoError(t, err)
			assert.Equal(t, want, got)

			items, err := s.List(t.Context())
			require.NoError(t, err)
			require.Len(t, items, 1)
			assert.Equal(t, want, items[0])
		}},
		{"uid is assigned on creation, kept across updates and new on re-creation", func(t *testing.T, s store[application.Application]) {
			ctx := t.Context()
			repo := s.(ports.ApplicationRepository)
			in := application.Application{Name: "app", UID: "chosen-by-the-caller"}
			created, _, err := repo.Put(ctx, in)
			require.NoError(t, err)
			require.NotEmpty(t, created.UID)
			assert.NotEqual(t, "chosen-by-the-caller", created.UID, "the repository assigns the uid")
			got, err := repo.Get(ctx, "app")
			require.NoError(t, err)
			assert.Equal(t, created.UID, got.UID)

			in.Spec.Description = "replaced"
			in.UID = ""
			replaced, isNew, err := repo.Put(ctx, in)
			require.NoError(t, err)
			require.False(t, isNew)
			assert.Equal(t, created.UID, replaced.UID, "a replace keeps the uid")
			in.UID = "another"
			replaced, _, err = repo.Put(ctx, in)
			require.NoError(t, err)
			assert.Equal(t, created.UID, replaced.UID, "a replace cannot change the uid")
			updated, err := repo.Update(ctx, "app", func(a *application.Application) error {
				a.UID = "changed-by-fn"
				a.Spec.Description = "updated"
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, created.UID, updated.UID, "an update keeps the uid")

			other, _, err := repo.Put(ctx, application.Application{Name: "other"})
			require.NoError(t, err)
			assert.NotEqual(t, created.UID, other.UID, "every Application has its own uid")

			require.NoError(t, repo.Delete(ctx, "app"))
			again, isNew, err := repo.Put(ctx, application.Application{Name: "app"})
			require.NoError(t, err)
			require.True(t, isNew)
			require.NotEmpty(t, again.UID)
			assert.NotEqual(t, created.UID, again.UID, "a re-created Application has a new uid")
		}},
		{"values handed out are copies", func(t *testing.T, s store[application.Application]) {
			ctx := t.Context()
			in := fullApplication("app")
			stored, _, err := s.Put(ctx, in)
			require.NoError(t, err)
			want := fullApplication("app")
			want.ResourceVersion = stored.ResourceVersion
			want.UID = stored.UID

			mutateApplication(&in)
			mutateApplication(&stored)
			got, err := s.Get(ctx, "app")
			require.NoError(t, err)
			assert.Equal(t, want, got, "mutating the input or the put result changed the store")

			mutateApplication(&got)
			items, err := s.List(ctx)
			require.NoError(t, err)
			require.Len(t, items, 1)
			assert.Equal(t, want, items[0], "mutating a get result changed the store")

			mutateApplication(&items[0])
			got, err = s.Get(ctx, "app")
			require.NoError(t, err)
			assert.Equal(t, want, got, "mutating a list result changed the store")
		}},
		{"watch events are copies", func(t *testing.T, s store[application.Application]) {
			ctx := t.Context()
			stored := mustPut(t, s, fullApplication("app"))
			ch := watch(t, ctx, s)
			snap := readSnapshot(t, k, ch)
			ev := snap["app"]
			mutateApplication(&ev)
			got, err := s.Get(ctx, "app")
			require.NoError(t, err)
			assert.Equal(t, stored, got, "mutating a watch event changed the store")

			other := watch(t, ctx, s)
			assert.Equal(t, stored, readSnapshot(t, k, other)["app"], "mutating one watcher's event changed another's")
		}},
	}
}

type updateCase struct {
	name string
	fn   func(t *testing.T, r ports.ApplicationRepository)
}

func updateCases() []updateCase {
	return []updateCase{
		{"missing returns not found without calling fn", func(t *testing.T, r ports.ApplicationRepository) {
			called := false
			_, err := r.Update(t.Context(), "missing", func(*application.Application) error {
				called = true
				return nil
			})
			require.ErrorIs(t, err, application.ErrNotFound)
			assert.False(t, called)
		}},
		{"applies fn and stores a new version", func(t *testing.T, r ports.ApplicationRepository) {
			ctx := t.Context()
			before, _, err := r.Put(ctx, fullApplication("app"))
			require.NoError(t, err)
			updated, err := r.Update(ctx, "app", func(a *application.Application) error {
				assert.Equal(t, before, *a, "fn sees the stored state")
				a.Spec.Description = "changed"
				a.Labels["new"] = "label"
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, "changed", updated.Spec.Description)
			assert.Equal(t, "label", updated.Labels["new"])
			assert.NotEqual(t, before.ResourceVersion, updated.ResourceVersion)

			got, err := r.Get(ctx, "app")
			require.NoError(t, err)
			assert.Equal(t, updated, got)
		}},
		{"fn cannot rename or pick the resource version", func(t *testing.T, r ports.ApplicationRepository) {
			ctx := t.Context()
			before, _, err := r.Put(ctx, fullApplication("app"))
			require.NoError(t, err)
			updated, err := r.Update(ctx, "app", func(a *application.Application) error {
				a.Name = "other"
				a.ResourceVersion = "bogus"
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, "app", updated.Name)
			assert.NotEqual(t, "bogus", updated.ResourceVersion)
			assert.NotEqual(t, before.ResourceVersion, updated.ResourceVersion)
			_, err = r.Get(ctx, "other")
			require.ErrorIs(t, err, application.ErrNotFound)
		}},
		{"fn error aborts and is returned", func(t *testing.T, r ports.ApplicationRepository) {
			ctx := t.Context()
			before, _, err := r.Put(ctx, fullApplication("app"))
			require.NoError(t, err)
			sentinel := errors.New("refused by fn")
			_, err = r.Update(ctx, "app", func(a *application.Application) error {
				a.Spec.Description = "must not be stored"
				return sentinel
			})
			require.ErrorIs(t, err, sentinel)

			got, err := r.Get(ctx, "app")
			require.NoError(t, err)
			assert.Equal(t, before, got)
		}},
		{"fn gets a copy", func(t *testing.T, r ports.ApplicationRepository) {
			ctx := t.Context()
			_, _, err := r.Put(ctx, fullApplication("app"))
			require.NoError(t, err)
			var kept *application.Application
			updated, err := r.Update(ctx, "app", func(a *application.Application) error {
				kept = a
				a.Spec.Description = "changed"
				return nil
			})
			require.NoError(t, err)
			mutateApplication(kept)
			mutateApplication(&updated)
			got, err := r.Get(ctx, "app")
			require.NoError(t, err)
			assert.Equal(t, "changed", got.Spec.Description)
			want := fullApplication("app")
			want.Spec.Description = "changed"
			want.ResourceVersion = got.ResourceVersion
			want.UID = got.UID
			assert.Equal(t, want, got, "mutating fn's argument or the result after Update changed the store")
		}},
		{"concurrent updates lose nothing", func(t *testing.T, r ports.ApplicationRepository) {
			const goroutines, increments = 20, 10
			ctx := t.Context()
			_, _, err := r.Put(ctx, application.Application{Name: "counter", Labels: map[string]string{"n": "0"}})
			require.NoError(t, err)
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for range increments {
						_, err := r.Update(ctx, "counter", func(a *application.Application) error {
							n, err := strconv.Atoi(a.Labels["n"])
							if err != nil {
								return err
							}
							// Widen the read-modify-write window so lost updates show.
							runtime.Gosched()
							a.Labels["n"] = strconv.Itoa(n + 1)
							return nil
						})
						if err != nil {
							t.Errorf("update: %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			got, err := r.Get(ctx, "counter")
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(goroutines*increments), got.Labels["n"])
		}},
		{"update is watched", func(t *testing.T, r ports.ApplicationRepository) {
			ctx := t.Context()
			_, _, err := r.Put(ctx, application.Application{Name: "app"})
			require.NoError(t, err)
			ch, err := r.Watch(ctx)
			require.NoError(t, err)
			require.Equal(t, ports.EventPut, recv(t, ch).Type)
			require.Equal(t, ports.EventSynced, recv(t, ch).Type)
			updated, err := r.Update(ctx, "app", func(a *application.Application) error {
				a.Spec.Description = "changed"
				return nil
			})
			require.NoError(t, err)
			ev := recv(t, ch)
			assert.Equal(t, ports.EventPut, ev.Type)
			assert.Equal(t, "app", ev.Name)
			assert.Equal(t, updated, ev.Object)
		}},
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
