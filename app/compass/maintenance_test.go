package compass

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	dc "github.com/appconnector/appconnector/domain/compass"
)

func (f *fixture) clientCert() []byte {
	return f.secret(f.cfg.withDefaults().CertificateSecret).Data[dc.KeyClientCertificate]
}

// The certificate is renewed once less than 30 % of its validity is left, not before.
func TestRenewalBelowThreshold(t *testing.T) {
	f := newFixture(t)
	f.compass.validity = 100 * time.Hour
	f.pair()
	first := f.clientCert()

	f.clock.Advance(69 * time.Hour) // 31 % left
	require.NoError(t, f.agent.Reconcile(t.Context()))
	assert.Equal(t, 0, f.compass.Calls(opCertSign))
	assert.Equal(t, first, f.clientCert())
	assert.Equal(t, 1, f.compass.Calls(opCertConfiguration))

	f.clock.Advance(2 * time.Hour) // 29 % left
	now := f.clock.Now()
	require.NoError(t, f.agent.Reconcile(t.Context()))
	assert.Equal(t, 1, f.compass.Calls(opCertSign))
	renewed := f.clientCert()
	assert.NotEqual(t, first, renewed)
	c := f.requireState(dc.StateSynchronized)
	cs := c.Status.ConnectionStatus
	assert.Equal(t, now, *cs.Renewed)
	assert.Equal(t, now.Add(100*time.Hour), *cs.CertificateStatus.NotAfter)
	assert.Equal(t, t0, *cs.Established, "renewal is not a new pairing")
	assert.Equal(t, 1, f.compass.Calls(opTokenConfiguration))

	// The new certificate is the one used from now on, and it is not renewed again.
	f.compass.Revoke(first)
	require.NoError(t, f.round())
	f.requireState(dc.StateSynchronized)
	assert.Equal(t, 1, f.compass.Calls(opCertSign))
}

// refreshCredentialsNow renews at once, bypassing the rate limit, and is reset.
func TestRefreshCredentialsNow(t *testing.T) {
	f := newFixture(t)
	f.pair()
	first := f.clientCert()

	f.clock.Advance(time.Second)
	f.editSpec(func(s *dc.Spec) { s.RefreshCredentialsNow = true })
	require.NoError(t, f.agent.Reconcile(t.Context()))
	assert.Equal(t, 1, f.compass.Calls(opCertSign))
	assert.NotEqual(t, first, f.clientCert())
	c := f.conn()
	assert.False(t, c.Spec.RefreshCredentialsNow)
	assert.Equal(t, t0.Add(time.Second), *c.Status.ConnectionStatus.Renewed)

	require.NoError(t, f.round())
	assert.Equal(t, 1, f.compass.Calls(opCertSign), "renewed once")
}

// A certificate Secret or CA Secret that lost a key is restored by a renewal (Kyma
// only checks the CA Secret).
func TestRenewalWhenCredentialsIncomplete(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(f *fixture)
	}{
		{"chain missing", func(f *fixture) {
			s := f.secret(dc.ClusterCertificatesSecretName)
			delete(s.Data, dc.KeyCertificateChain)
			_, _, err := f.secrets.Put(context.Background(), s)
			require.NoError(f.t, err)
		}},
		{"CA Secret missing", func(f *fixture) {
			require.NoError(f.t, f.secrets.Delete(context.Background(), dc.CACertificatesSecretName))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.pair()
			tc.damage(f)
			require.NoError(t, f.round())
			assert.Equal(t, 1, f.compass.Calls(opCertSign))
			s := f.secret(dc.ClusterCertificatesSecretName)
			for _, k := range []string{dc.KeyClientCertificate, dc.KeyClientKey, dc.KeyCertificateChain} {
				assert.NotEmpty(t, s.Data[k], k)
			}
			assert.Equal(t, f.compass.caPEM, f.secret(dc.CACertificatesSecretName).Data[dc.KeyCACertificate])
			f.requireState(dc.StateSynchronized)
		})
	}
}

// Without the certificate nothing can be renewed: the connection fails, saying so,
// and the next round pairs again with the Secret's token.
func TestLostCertificatePairsAgain(t *testing.T) {
	f := newFixture(t)
	f.pair()
	require.NoError(t, f.secrets.Delete(t.Context(), dc.ClusterCertificatesSecretName))

	require.Error(t, f.round())
	c := f.requireState(dc.StateConnectionFailed)
	assert.Contains(t, c.Status.ConnectionStatus.Error, `Secret "cluster-client-certificates" does not exist`)

	f.putConfig()
	require.NoError(t, f.round())
	f.requireState(dc.StateSynchronized)
	f.secret(dc.ClusterCertificatesSecretName)
}

// A revoked certificate: ConnectionFailed with the way out; the old token is not
// tried; a new token in the Secret pairs again.
func TestRevokedCertificateNeedsNewToken(t *testing.T) {
	f := newFixture(t)
	f.compass.SetApplications(directorApp("a1", "orders"))
	first := f.pair()
	f.compass.Revoke(f.clientCert())

	require.Error(t, f.round())
	c := f.requireState(dc.StateConnectionFailed)
	assert.Contains(t, c.Status.ConnectionStatus.Error, "revoked")
	assert.Contains(t, c.Status.ConnectionStatus.Error, "put a new one-time token from Compass")
	f.app("orders") // Applications stay while the connection is down

	require.Error(t, f.round())
	f.requireState(dc.StateConnectionFailed)
	assert.Equal(t, 1, f.compass.Calls(opTokenConfiguration), "the used token is not sent again")

	f.putConfig()
	require.NoError(t, f.round())
	c = f.requireState(dc.StateSynchronized)
	assert.Equal(t, first.UID, c.UID, "the connection is updated, not re-created")
	assert.Equal(t, f.clock.Now(), *c.Status.ConnectionStatus.Established)
	assert.Empty(t, c.Status.ConnectionStatus.Error)
}

// An expired certificate is detected before calling Compass.
func TestExpiredCertificate(t *testing.T) {
	f := newFixture(t)
	f.compass.validity = time.Hour
	f.pair()
	f.clock.Advance(time.Hour)
	calls := f.compass.Calls(opCertConfiguration)

	require.Error(t, f.agent.Reconcile(t.Context()))
	c := f.requireState(dc.StateConnectionFailed)
	assert.Contains(t, c.Status.ConnectionStatus.Error, "expired")
	assert.Contains(t, c.Status.ConnectionStatus.Error, "put a new one-time token from Compass")
	assert.Equal(t, calls, f.compass.Calls(opCertConfiguration))

	f.putConfig()
	require.NoError(t, f.round())
	f.requireState(dc.StateSynchronized)
}

// New URLs from the Connector go into spec.managementInfo (Kyma leaves the spec
// stale) and are used at once.
func TestManagementURLsChanged(t *testing.T) {
	f := newFixture(t)
	f.pair()
	f.compass.mu.Lock()
	f.compass.directorURL = "https://new-director.test/graphql"
	f.compass.mu.Unlock()

	// The fake checks that the Director is called at its new URL.
	require.NoError(t, f.round())
	c := f.requireState(dc.StateSynchronized)
	assert.Equal(t, "https://new-director.test/graphql", c.Spec.ManagementInfo.DirectorURL)
	assert.Equal(t, certConnectorURL, c.Spec.ManagementInfo.ConnectorURL)
}
