package porttest

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

// RunSecretStore runs the conformance suite of ports.SecretStore. newStore is called
// once per subtest and must return an empty store.
func RunSecretStore(t *testing.T, newStore func(t *testing.T) ports.SecretStore) {
	t.Helper()
	k := kit[credential.Secret]{
		notFound: credential.ErrNotFound,
		conflict: credential.ErrConflict,
		build: func(name string, gen int) credential.Secret {
			return credential.Secret{
				Name: name,
				Data: map[string][]byte{"gen": []byte(strconv.Itoa(gen)), "password": []byte("pw")},
			}
		},
		gen:   func(s credential.Secret) int { return mustAtoi(string(s.Data["gen"])) },
		name:  func(s credential.Secret) string { return s.Name },
		rv:    func(s credential.Secret) string { return s.ResourceVersion },
		setRV: func(s *credential.Secret, rv string) { s.ResourceVersion = rv },
	}
	cases := commonCases(k)
	cases = append(cases, secretCases(k)...)
	run(t, func(t *testing.T) store[credential.Secret] { return newStore(t) }, cases)
}

func secretCases(k kit[credential.Secret]) []testCase[credential.Secret] {
	return []testCase[credential.Secret]{
		{"put and get keep labels and binary data", func(t *testing.T, s store[credential.Secret]) {
			stored, created, err := s.Put(t.Context(), fullSecret("sec"))
			require.NoError(t, err)
			require.True(t, created)
			want := fullSecret("sec")
			want.ResourceVersion = stored.ResourceVersion
			assertSecretEqual(t, want, stored)

			got, err := s.Get(t.Context(), "sec")
			require.NoError(t, err)
			assertSecretEqual(t, want, got)

			items, err := s.List(t.Context())
			require.NoError(t, err)
			require.Len(t, items, 1)
			assertSecretEqual(t, want, items[0])
		}},
		{"secret without data round-trips", func(t *testing.T, s store[credential.Secret]) {
			stored := mustPut(t, s, credential.Secret{Name: "empty"})
			got, err := s.Get(t.Context(), "empty")
			require.NoError(t, err)
			assertSecretEqual(t, stored, got)
			assert.Empty(t, got.Data)
		}},
		{"values handed out are copies", func(t *testing.T, s store[credential.Secret]) {
			ctx := t.Context()
			in := fullSecret("sec")
			stored, _, err := s.Put(ctx, in)
			require.NoError(t, err)
			want := fullSecret("sec")
			want.ResourceVersion = stored.ResourceVersion

			mutateSecret(&in)
			mutateSecret(&stored)
			got, err := s.Get(ctx, "sec")
			require.NoError(t, err)
			assertSecretEqual(t, want, got)

			mutateSecret(&got)
			items, err := s.List(ctx)
			require.NoError(t, err)
			require.Len(t, items, 1)
			assertSecretEqual(t, want, items[0])

			mutateSecret(&items[0])
			got, err = s.Get(ctx, "sec")
			require.NoError(t, err)
			assertSecretEqual(t, want, got)
		}},
		{"watch events are copies", func(t *testing.T, s store[credential.Secret]) {
			ctx := t.Context()
			stored := mustPut(t, s, fullSecret("sec"))
			ch := watch(t, ctx, s)
			ev := readSnapshot(t, k, ch)["sec"]
			assertSecretEqual(t, stored, ev)
			mutateSecret(&ev)
			got, err := s.Get(ctx, "sec")
			require.NoError(t, err)
			assertSecretEqual(t, stored, got)

			other := watch(t, ctx, s)
			assertSecretEqual(t, stored, readSnapshot(t, k, other)["sec"])
		}},
	}
}

// assertSecretEqual compares Secrets without caring whether an absent map or value is
// nil or empty, which differs between stores and is not observable through the API.
func assertSecretEqual(t *testing.T, want, got credential.Secret) {
	t.Helper()
	assert.Equal(t, want.Name, got.Name, "name")
	assert.Equal(t, want.ResourceVersion, got.ResourceVersion, "resource version")
	if len(want.Labels) > 0 || len(got.Labels) > 0 {
		assert.Equal(t, want.Labels, got.Labels, "labels")
	}
	// Only key names are printed, never values.
	wantKeys := slices.Sorted(maps.Keys(want.Data))
	gotKeys := slices.Sorted(maps.Keys(got.Data))
	if !assert.Equal(t, wantKeys, gotKeys, "data keys") {
		return
	}
	for _, key := range wantKeys {
		assert.True(t, bytes.Equal(want.Data[key], got.Data[key]), "value of key %q differs", key)
	}
}
