package compass

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	dc "github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/mocks"
	"github.com/appconnector/appconnector/ports"
)

// Pairing from nothing: the connection is created, the credentials are stored under
// the reference's names and keys, and the same round synchronises.
func TestPairingCreatesConnectionAndSecrets(t *testing.T) {
	f := newFixture(t)
	f.compass.SetApplications(directorApp("a1", "orders"))
	f.putConfig()

	require.NoError(t, f.agent.Reconcile(t.Context()))

	c := f.requireState(dc.StateSynchronized)
	assert.Equal(t, dc.ConnectionName, c.Name)
	assert.Equal(t, dc.ManagementInfo{ConnectorURL: certConnectorURL, DirectorURL: directorURL}, c.Spec.ManagementInfo)
	cs := c.Status.ConnectionStatus
	require.NotNil(t, cs)
	assert.Equal(t, t0, *cs.Established)
	assert.Equal(t, t0, *cs.CertificateStatus.Acquired)
	assert.Equal(t, t0.Add(90*24*time.Hour), *cs.CertificateStatus.NotAfter)
	assert.Empty(t, cs.Error)

	certs := f.secret(dc.ClusterCertificatesSecretName)
	cert := parseCert(t, certs.Data[dc.KeyClientCertificate])
	assert.Equal(t, testRuntimeID, cert.Subject.CommonName)
	assert.True(t, strings.HasPrefix(string(certs.Data[dc.KeyCertificateChain]), string(certs.Data[dc.KeyClientCertificate])))
	kb, _ := pem.Decode(certs.Data[dc.KeyClientKey])
	require.NotNil(t, kb)
	assert.Equal(t, "RSA PRIVATE KEY", kb.Type)
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	require.NoError(t, err)
	assert.True(t, key.PublicKey.Equal(cert.PublicKey), "the stored key is the certificate's")
	assert.Equal(t, 2048, key.N.BitLen(), "keyAlgorithm rsa2048 from the Connector")
	assert.Equal(t, f.compass.caPEM, f.secret(dc.CACertificatesSecretName).Data[dc.KeyCACertificate])

	// One token call, then the CSR signed with the token the Connector returned (the
	// fake refuses any other), then the Director.
	assert.Equal(t, 1, f.compass.Calls(opTokenConfiguration))
	assert.Equal(t, 1, f.compass.Calls(opTokenSign))
	assert.Equal(t, 0, f.compass.Calls(opCertConfiguration))
	f.app("orders")
	assert.ElementsMatch(t, []string{LabelEventServiceURL + "=" + eventsURL, LabelConsoleURL + "=" + consoleURL}, f.compass.SetLabelCalls())

	// Every call of the round carries one x-request-id, <runtimeID>_<uuid>.
	ids := f.compass.RequestIDs()
	require.NotEmpty(t, ids)
	assert.Regexp(t, `^runtime-1_[0-9a-f-]{36}$`, ids[0])
	for _, id := range ids {
		assert.Equal(t, ids[0], id)
	}
	require.NoError(t, f.round())
	later := f.compass.RequestIDs()
	assert.NotEqual(t, ids[0], later[len(later)-1], "a new round, a new request id")
}

// The Secret names are configurable.
func TestPairingUsesConfiguredSecretNames(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.ConfigSecret, c.CertificateSecret, c.CASecret = "agent-config", "runtime-certs", "compass-ca"
	})
	f.pair()
	f.secret("runtime-certs")
	f.secret("compass-ca")
	f.noSecret(dc.ClusterCertificatesSecretName)
	f.noSecret(dc.CACertificatesSecretName)
}

// A missing configuration Secret or key gives ConnectionFailed with a message naming
// it; once it is there the agent pairs.
func TestPairingWithoutConfiguration(t *testing.T) {
	f := newFixture(t)

	err := f.agent.Reconcile(t.Context())
	require.Error(t, err)
	c := f.requireState(dc.StateConnectionFailed)
	assert.Contains(t, c.Status.ConnectionStatus.Error, `Secret "compass-agent-configuration" does not exist`)

	f.putSecret(dc.ConfigurationSecretName, map[string]string{dc.ConfigKeyConnectorURL: tokenURL, dc.ConfigKeyRuntimeID: testRuntimeID})
	require.Error(t, f.round())
	c = f.requireState(dc.StateConnectionFailed)
	assert.Contains(t, c.Status.ConnectionStatus.Error, `"compass-agent-configuration" has no TOKEN`)
	assert.Equal(t, 0, f.compass.Calls(opTokenConfiguration))

	f.putConfig()
	require.NoError(t, f.round())
	c = f.requireState(dc.StateSynchronized)
	assert.Empty(t, c.Status.ConnectionStatus.Error)
	assert.Equal(t, c.UID, f.conn().UID)
}

// A re-pairing retry is rate-limited like every round.
func TestPairingRetryIsRateLimited(t *testing.T) {
	f := newFixture(t)
	f.putConfig()
	f.compass.Fail(opTokenConfiguration, errors.New("connector down"))
	require.Error(t, f.agent.Reconcile(t.Context()))
	f.clock.Advance(5 * time.Second)
	require.NoError(t, f.agent.Reconcile(t.Context()))
	assert.Equal(t, 1, f.compass.Calls(opTokenConfiguration))
	f.compass.Heal(opTokenConfiguration)
	require.NoError(t, f.round())
	f.requireState(dc.StateSynchronized)
}

// certOnly matches certificate-secured Connector endpoints: with it, a strict mock
// fails the test on any call with a token (a restarted agent must not pair again).
type certOnly struct{}

func (certOnly) Matches(x any) bool {
	ep, ok := x.(ports.ConnectorEndpoint)
	return ok && ep.Token == "" && ep.Credentials != nil
}
func (certOnly) String() string { return "a certificate-secured endpoint" }

// Restart: a new Agent over the same stores uses the stored connection and
// credentials, without pairing.
func TestRestartKeepsConnection(t *testing.T) {
	f := newFixture(t)
	f.compass.SetApplications(directorApp("a1", "orders"))
	before := f.pair()
	certPEM := f.secret(dc.ClusterCertificatesSecretName).Data[dc.KeyClientCertificate]

	ctrl := gomock.NewController(t)
	conn := mocks.NewMockCompassConnector(ctrl)
	conn.EXPECT().Configuration(gomock.Any(), certOnly{}).DoAndReturn(
		func(ctx context.Context, ep ports.ConnectorEndpoint) (dc.Configuration, error) {
			assert.Equal(t, certPEM, ep.Credentials.CertificatePEM, "the certificate from the Secret")
			return f.compass.Configuration(ctx, ep)
		}).Times(1)
	restarted := f.newAgent(conn, f.director)

	f.clock.Advance(time.Minute)
	require.NoError(t, restarted.Reconcile(t.Context()))
	after := f.requireState(dc.StateSynchronized)
	assert.Equal(t, before.UID, after.UID)
	assert.Equal(t, *before.Status.ConnectionStatus.Established, *after.Status.ConnectionStatus.Established)
	assert.Equal(t, certPEM, f.secret(dc.ClusterCertificatesSecretName).Data[dc.KeyClientCertificate])
	assert.Equal(t, t0.Add(time.Minute), *after.Status.SynchronizationStatus.LastSuccessfulApplication)
	assert.Equal(t, 1, f.compass.Calls(opTokenConfiguration), "no pairing after the restart")
}

// A connection deleted by the user is paired again with the Secret's token.
func TestDeletedConnectionPairsAgain(t *testing.T) {
	f := newFixture(t)
	first := f.pair()
	require.NoError(t, f.conns.Delete(t.Context()))

	f.putConfig()
	require.NoError(t, f.agent.Reconcile(t.Context()))
	c := f.requireState(dc.StateSynchronized)
	assert.NotEqual(t, first.UID, c.UID)
	assert.Equal(t, 2, f.compass.Calls(opTokenConfiguration))
}

// A token the Connector accepted is used up: the agent does not send it again and
// says what to do.
func TestUsedTokenIsNotSentAgain(t *testing.T) {
	f := newFixture(t)
	f.putConfig()
	f.compass.Fail(opTokenSign, errors.New("signing failed"))
	require.Error(t, f.agent.Reconcile(t.Context()))
	c := f.requireState(dc.StateConnectionFailed)
	assert.Contains(t, c.Status.ConnectionStatus.Error, "signing failed")
	f.compass.Heal(opTokenSign)

	require.Error(t, f.round())
	c = f.requireState(dc.StateConnectionFailed)
	assert.Contains(t, c.Status.ConnectionStatus.Error, "already used; put a new one-time token from Compass into its TOKEN key")
	assert.Equal(t, 1, f.compass.Calls(opTokenConfiguration))

	f.putConfig()
	require.NoError(t, f.round())
	f.requireState(dc.StateSynchronized)
}
