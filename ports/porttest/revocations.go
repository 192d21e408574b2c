package porttest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

// RunRevocationList runs the conformance suite of ports.RevocationList. newList is
// called once per subtest and must return an empty list.
func RunRevocationList(t *testing.T, newList func(t *testing.T) ports.RevocationList) {
	t.Helper()
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	fp := func(s string) certificate.Fingerprint { return certificate.FingerprintOf([]byte(s)) }
	cases := []struct {
		name string
		fn   func(t *testing.T, l ports.RevocationList)
	}{
		{"revoke then is revoked", func(t *testing.T, l ports.RevocationList) {
			ok, err := l.IsRevoked(t.Context(), fp("a"))
			require.NoError(t, err)
			assert.False(t, ok)
			require.NoError(t, l.Revoke(t.Context(), fp("a"), now.Add(time.Hour)))
			ok, err = l.IsRevoked(t.Context(), fp("a"))
			require.NoError(t, err)
			assert.True(t, ok)
			ok, err = l.IsRevoked(t.Context(), fp("b"))
			require.NoError(t, err)
			assert.False(t, ok)
		}},
		{"revoke is idempotent and keeps the later expiry", func(t *testing.T, l ports.RevocationList) {
			require.NoError(t, l.Revoke(t.Context(), fp("a"), now.Add(2*time.Hour)))
			require.NoError(t, l.Revoke(t.Context(), fp("a"), now.Add(time.Hour)))
			list, err := l.List(t.Context())
			require.NoError(t, err)
			require.Len(t, list, 1)
			assert.Equal(t, fp("a"), list[0].Fingerprint)
			assert.True(t, list[0].ExpiresAt.Equal(now.Add(2*time.Hour)), "got %v", list[0].ExpiresAt)
			assert.False(t, list[0].RevokedAt.IsZero())

			require.NoError(t, l.Revoke(t.Context(), fp("a"), time.Time{}))
			list, err = l.List(t.Context())
			require.NoError(t, err)
			assert.True(t, list[0].ExpiresAt.IsZero(), "a zero expiry means forever and wins")
		}},
		{"list is sorted by fingerprint", func(t *testing.T, l ports.RevocationList) {
			for _, s := range []string{"c", "a", "b", "d"} {
				require.NoError(t, l.Revoke(t.Context(), fp(s), now.Add(time.Hour)))
			}
			list, err := l.List(t.Context())
			require.NoError(t, err)
			require.Len(t, list, 4)
			for i := 1; i < len(list); i++ {
				assert.Less(t, list[i-1].Fingerprint.String(), list[i].Fingerprint.String())
			}
		}},
		{"purge removes expired entries only", func(t *testing.T, l ports.RevocationList) {
			require.NoError(t, l.Revoke(t.Context(), fp("short"), now.Add(time.Minute)))
			require.NoError(t, l.Revoke(t.Context(), fp("long"), now.Add(time.Hour)))
			require.NoError(t, l.Revoke(t.Context(), fp("forever"), time.Time{}))
			n, err := l.Purge(t.Context(), now.Add(2*time.Minute))
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			for s, want := range map[string]bool{"short": false, "long": true, "forever": true} {
				ok, err := l.IsRevoked(t.Context(), fp(s))
				require.NoError(t, err)
				assert.Equal(t, want, ok, s)
			}
		}},
		{"concurrent revocations are all kept", func(t *testing.T, l ports.RevocationList) {
			var wg sync.WaitGroup
			for i := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					assert.NoError(t, l.Revoke(t.Context(), fp(string(rune('A'+i))), now.Add(time.Hour)))
					ok, err := l.IsRevoked(t.Context(), fp(string(rune('A'+i))))
					assert.NoError(t, err)
					assert.True(t, ok)
				}()
			}
			wg.Wait()
			list, err := l.List(t.Context())
			require.NoError(t, err)
			assert.Len(t, list, 32)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newList(t)) })
	}
}
