package porttest

import (
	"crypto/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

// RunTokenStore runs the conformance suite of ports.TokenStore. newStore is called once
// per subtest and must return an empty store.
func RunTokenStore(t *testing.T, newStore func(t *testing.T) ports.TokenStore) {
	t.Helper()
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	newToken := func(t *testing.T, app string, ttl time.Duration) (string, pairing.Token) {
		t.Helper()
		secret, tok, err := pairing.New(rand.Reader, app, now, ttl)
		require.NoError(t, err)
		tok.ApplicationUID = "uid-of-" + app
		return secret, tok
	}
	cases := []struct {
		name string
		fn   func(t *testing.T, s ports.TokenStore)
	}{
		{"lookup returns what was put", func(t *testing.T, s ports.TokenStore) {
			_, tok := newToken(t, "app", time.Minute)
			require.NoError(t, s.Put(t.Context(), tok))
			got, err := s.Lookup(t.Context(), tok.Digest, now)
			require.NoError(t, err)
			assertSameToken(t, tok, got)
			got, err = s.Lookup(t.Context(), tok.Digest, now)
			require.NoError(t, err, "lookup must not consume")
			assertSameToken(t, tok, got)
		}},
		{"unknown digest is not found", func(t *testing.T, s ports.TokenStore) {
			_, tok := newToken(t, "app", time.Minute)
			_, err := s.Lookup(t.Context(), tok.Digest, now)
			assert.ErrorIs(t, err, pairing.ErrNotFound)
			_, err = s.Consume(t.Context(), tok.Digest, now)
			assert.ErrorIs(t, err, pairing.ErrNotFound)
		}},
		{"consume is single use", func(t *testing.T, s ports.TokenStore) {
			_, tok := newToken(t, "app", time.Minute)
			require.NoError(t, s.Put(t.Context(), tok))
			got, err := s.Consume(t.Context(), tok.Digest, now)
			require.NoError(t, err)
			assertSameToken(t, tok, got)
			_, err = s.Consume(t.Context(), tok.Digest, now)
			assert.ErrorIs(t, err, pairing.ErrNotFound)
			_, err = s.Lookup(t.Context(), tok.Digest, now)
			assert.ErrorIs(t, err, pairing.ErrNotFound)
		}},
		{"expired token", func(t *testing.T, s ports.TokenStore) {
			_, tok := newToken(t, "app", time.Minute)
			require.NoError(t, s.Put(t.Context(), tok))
			later := now.Add(time.Minute)
			_, err := s.Lookup(t.Context(), tok.Digest, later)
			assert.ErrorIs(t, err, pairing.ErrExpired)
			_, err = s.Consume(t.Context(), tok.Digest, later)
			assert.ErrorIs(t, err, pairing.ErrExpired)
			_, err = s.Consume(t.Context(), tok.Digest, now)
			assert.ErrorIs(t, err, pairing.ErrNotFound, "an expired token is removed when consumed")
		}},
		{"tokens are independent", func(t *testing.T, s ports.TokenStore) {
			_, a := newToken(t, "a", time.Minute)
			_, b := newToken(t, "b", time.Minute)
			require.NoError(t, s.Put(t.Context(), a))
			require.NoError(t, s.Put(t.Context(), b))
			_, err := s.Consume(t.Context(), a.Digest, now)
			require.NoError(t, err)
			got, err := s.Lookup(t.Context(), b.Digest, now)
			require.NoError(t, err)
			assert.Equal(t, "b", got.Application)
		}},
		{"purge removes only expired tokens", func(t *testing.T, s ports.TokenStore) {
			_, short1 := newToken(t, "a", time.Minute)
			_, short2 := newToken(t, "b", time.Minute)
			_, long := newToken(t, "c", time.Hour)
			for _, tok := range []pairing.Token{short1, short2, long} {
				require.NoError(t, s.Put(t.Context(), tok))
			}
			n, err := s.Purge(t.Context(), now)
			require.NoError(t, err)
			assert.Equal(t, 0, n)
			n, err = s.Purge(t.Context(), now.Add(2*time.Minute))
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			_, err = s.Lookup(t.Context(), short1.Digest, now)
			assert.ErrorIs(t, err, pairing.ErrNotFound)
			_, err = s.Lookup(t.Context(), long.Digest, now)
			assert.NoError(t, err)
		}},
		{"concurrent consume succeeds once", func(t *testing.T, s ports.TokenStore) {
			for range 20 {
				_, tok := newToken(t, "app", time.Minute)
				require.NoError(t, s.Put(t.Context(), tok))
				var wins atomic.Int32
				var wg sync.WaitGroup
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := s.Consume(t.Context(), tok.Digest, now)
						if err == nil {
							wins.Add(1)
						} else {
							assert.ErrorIs(t, err, pairing.ErrNotFound)
						}
					}()
				}
				wg.Wait()
				require.Equal(t, int32(1), wins.Load())
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func assertSameToken(t *testing.T, want, got pairing.Token) {
	t.Helper()
	assert.Equal(t, want.Digest, got.Digest)
	assert.Equal(t, want.Application, got.Application)
	assert.Equal(t, want.ApplicationUID, got.ApplicationUID)
	assert.True(t, want.IssuedAt.Equal(got.IssuedAt), "issuedAt %v != %v", want.IssuedAt, got.IssuedAt)
	assert.True(t, want.ExpiresAt.Equal(got.ExpiresAt), "expiresAt %v != %v", want.ExpiresAt, got.ExpiresAt)
}
