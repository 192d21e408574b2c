package kubernetes_test

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/realservers"
)

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestReadsDoNotCallTheAPIServer: the gateway resolves every proxied request and the
// validator checks every client certificate with Get and IsRevoked, so those must be
// served from the informers.
func TestReadsDoNotCallTheAPIServer(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	noApplications(t, k)
	var calls atomic.Int64
	cfg := k.Config()
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{next: rt, n: &calls} })
	ctx := t.Context()
	ns := k.Namespace(t)

	apps, err := kubernetes.NewApplicationRepository(ctx, cfg, discard())
	require.NoError(t, err)
	t.Cleanup(apps.Close)
	secrets, err := kubernetes.NewSecretStore(ctx, cfg, ns, discard())
	require.NoError(t, err)
	t.Cleanup(secrets.Close)
	revoked, err := kubernetes.NewRevocationList(ctx, cfg, ns, discard())
	require.NoError(t, err)
	t.Cleanup(revoked.Close)

	for i := range 5 {
		_, _, err := apps.Put(ctx, application.Application{Name: "app-" + strconv.Itoa(i)})
		require.NoError(t, err)
		_, _, err = secrets.Put(ctx, credential.Secret{Name: "sec-" + strconv.Itoa(i), Data: map[string][]byte{"password": []byte("pw")}})
		require.NoError(t, err)
	}
	fp := certificate.FingerprintOf([]byte("revoked"))
	require.NoError(t, revoked.Revoke(ctx, fp, time.Now().Add(time.Hour)))
	before := calls.Load()
	require.Positive(t, before, "the counter sees the client's requests")

	for range 200 {
		_, err := apps.Get(ctx, "app-3")
		require.NoError(t, err)
		_, err = apps.Get(ctx, "missing")
		require.ErrorIs(t, err, application.ErrNotFound)
		l, err := apps.List(ctx)
		require.NoError(t, err)
		require.Len(t, l, 5)
		_, err = secrets.Get(ctx, "sec-1")
		require.NoError(t, err)
		_, err = secrets.List(ctx)
		require.NoError(t, err)
		ok, err := revoked.IsRevoked(ctx, fp)
		require.NoError(t, err)
		require.True(t, ok)
		_, err = revoked.List(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, before, calls.Load(), "reads made API calls")

	// And the counter does count: a write goes to the API server.
	_, _, err = apps.Put(ctx, application.Application{Name: "app-0"})
	require.NoError(t, err)
	assert.Greater(t, calls.Load(), before)
}
