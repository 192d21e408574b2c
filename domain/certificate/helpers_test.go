package certificate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	keysOnce sync.Once
	rsa2048  *rsa.PrivateKey
	rsa1024  *rsa.PrivateKey
	p256     *ecdsa.PrivateKey
)

func testKeys(t testing.TB) {
	keysOnce.Do(func() {
		var err error
		rsa2048, err = rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		rsa1024, err = rsa.GenerateKey(rand.Reader, 1024)
		require.NoError(t, err)
		p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
	})
}

func csrDER(t testing.TB, key crypto.Signer, name pkix.Name) []byte {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: name}, key)
	require.NoError(t, err)
	return der
}

func encodeCSR(der []byte) string {
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}
