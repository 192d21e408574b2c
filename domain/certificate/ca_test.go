package certificate_test

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/certificate"
)

func TestNewSelfSignedCA(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	certPEM, keyPEM, err := certificate.NewSelfSignedCA(rand.Reader, "test CA", now, 48*time.Hour)
	require.NoError(t, err)
	block, _ := pem.Decode(certPEM)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.True(t, cert.IsCA)
	assert.True(t, cert.MaxPathLenZero, "signs leaves only")
	assert.Equal(t, "test CA", cert.Subject.CommonName)
	assert.Equal(t, now.Add(-time.Hour), cert.NotBefore.UTC())
	assert.Equal(t, now.Add(48*time.Hour), cert.NotAfter.UTC())
	require.NoError(t, cert.CheckSignatureFrom(cert), "self-signed")
	kb, _ := pem.Decode(keyPEM)
	require.NotNil(t, kb)
	assert.Equal(t, "PRIVATE KEY", kb.Type)
	_, err = x509.ParsePKCS8PrivateKey(kb.Bytes)
	require.NoError(t, err)
}
