package certificate

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRequestAndTemplate(t *testing.T) {
	testKeys(t)
	der := csrDER(t, rsa2048, DefaultSubject.ForApplication("app").Name())
	csr, err := DecodeCSR(encodeCSR(der))
	require.NoError(t, err)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

	req := NewRequest(csr, DefaultSubject.ForApplication("app"), now, 0)
	assert.Equal(t, now.Add(-time.Minute), req.NotBefore)
	assert.Equal(t, now.Add(DefaultValidity), req.NotAfter)
	assert.Equal(t, der, req.CSR, "the original CSR, for signers that sign it as it is")
	req = NewRequest(csr, DefaultSubject.ForApplication("app"), now, time.Hour)
	assert.Equal(t, now.Add(time.Hour), req.NotAfter)

	serial, err := RandomSerial(rand.Reader)
	require.NoError(t, err)
	tmpl := Template(req, serial)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, tmpl.ExtKeyUsage)
	assert.Equal(t, x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment, tmpl.KeyUsage)
	assert.False(t, tmpl.IsCA)
	assert.Equal(t, "app", tmpl.Subject.CommonName)

	testKeys(t)
	ecReq := req
	ecReq.PublicKey = &p256.PublicKey
	assert.Equal(t, x509.KeyUsageDigitalSignature, Template(ecReq, serial).KeyUsage)
}

func TestRandomSerial(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, err := RandomSerial(rand.Reader)
		require.NoError(t, err)
		assert.Positive(t, s.Sign())
		assert.LessOrEqual(t, s.BitLen(), 128)
		assert.False(t, seen[s.String()], "serial repeated")
		seen[s.String()] = true
	}
	_, err := RandomSerial(bytes.NewReader(make([]byte, 1024)))
	assert.ErrorContains(t, err, "only zeros")
	_, err = RandomSerial(bytes.NewReader(nil))
	assert.Error(t, err)
}
