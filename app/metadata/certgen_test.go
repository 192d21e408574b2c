package metadata

import (
	"crypto/rsa"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

func TestGenerateClientCertificate(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	keyPEM, certPEM, err := generateClientCertificate("orders-client", now)
	require.NoError(t, err)

	// The gateway must accept it as a CertificateGen credential.
	creds, err := credential.Parse(
		application.Credentials{Type: application.CredentialCertificateGen, SecretName: "s"},
		credential.Secret{Name: "s", Data: map[string][]byte{"key": keyPEM, "crt": certPEM}})
	require.NoError(t, err)
	leaf := creds.Certificate.Leaf

	assert.Equal(t, "orders-client", leaf.Subject.CommonName)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, leaf.ExtKeyUsage)
	assert.Equal(t, now.Add(365*24*time.Hour), leaf.NotAfter)
	assert.True(t, leaf.NotBefore.Before(now))
	pub, ok := leaf.PublicKey.(*rsa.PublicKey)
	require.True(t, ok)
	assert.Equal(t, 2048, pub.N.BitLen())
	require.NoError(t, leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature), "self-signed")
	assert.Equal(t, leaf.Subject.String(), leaf.Issuer.String())
	assert.Contains(t, string(keyPEM), "BEGIN RSA PRIVATE KEY")

	_, certPEM2, err := generateClientCertificate("orders-client", now)
	require.NoError(t, err)
	leaf2, err := credential.ParseCertificateChain(certPEM2)
	require.NoError(t, err)
	assert.NotEqual(t, leaf.SerialNumber, leaf2.SerialNumber, "serials are random, not Kyma's constant 2")
}

func TestNewService(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { NewService(nil, nil, Config{}, nil) })
	f := newFixture(t)
	s := NewService(f.apps, f.secrets, Config{}, f.svc.logger)
	assert.Equal(t, DefaultCentralGatewayURL, s.gatewayURL)
	assert.Equal(t, "http://gw.local:8080", f.svc.gatewayURL, "trailing slash trimmed")
}
