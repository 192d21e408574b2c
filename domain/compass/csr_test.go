package compass

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/credential"
)

const subject = "O=Org,OU=OrgUnit,L=Locality,ST=State,C=PL,CN=runtime-1"

func decodeCSR(t *testing.T, csrPEM []byte) *x509.CertificateRequest {
	t.Helper()
	block, rest := pem.Decode(csrPEM)
	require.NotNil(t, block)
	assert.Empty(t, rest)
	assert.Equal(t, "CERTIFICATE REQUEST", block.Type)
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	require.NoError(t, err)
	require.NoError(t, csr.CheckSignature())
	return csr
}

func TestNewCSR(t *testing.T) {
	csrPEM, keyPEM, err := NewCSR(rand.Reader, subject, "rsa2048")
	require.NoError(t, err)
	csr := decodeCSR(t, csrPEM)
	assert.Equal(t, "runtime-1", csr.Subject.CommonName)
	assert.Equal(t, []string{"Org"}, csr.Subject.Organization)
	assert.Equal(t, []string{"OrgUnit"}, csr.Subject.OrganizationalUnit)
	assert.Equal(t, []string{"Locality"}, csr.Subject.Locality)
	assert.Equal(t, []string{"State"}, csr.Subject.Province)
	assert.Equal(t, []string{"PL"}, csr.Subject.Country)
	pub, ok := csr.PublicKey.(*rsa.PublicKey)
	require.True(t, ok)
	assert.Equal(t, 2048, pub.N.BitLen())

	block, _ := pem.Decode(keyPEM)
	require.NotNil(t, block)
	assert.Equal(t, "RSA PRIVATE KEY", block.Type)
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	require.NoError(t, err)
	assert.True(t, key.PublicKey.Equal(pub), "the key is the CSR's")

	// What the Connector does with it: the CSR passes its checks against the announced subject.
	want := certificate.Subject{Organization: "Org", OrganizationalUnit: "OrgUnit", Locality: "Locality", Province: "State", Country: "PL", CommonName: "runtime-1"}
	parsed, err := certificate.DecodeCSR(string(csrPEM))
	require.NoError(t, err)
	require.NoError(t, certificate.ValidateCSRSubject(parsed, want))

	// A second call makes a new key.
	_, keyPEM2, err := NewCSR(rand.Reader, subject, "rsa2048")
	require.NoError(t, err)
	assert.NotEqual(t, keyPEM, keyPEM2)
}

func TestNewCSRDefaultsToRSA4096(t *testing.T) {
	// Kyma always used RSA 4096; anything but "rsa2048" keeps that.
	csrPEM, keyPEM, err := NewCSR(rand.Reader, "CN=runtime-1", "")
	require.NoError(t, err)
	pub := decodeCSR(t, csrPEM).PublicKey.(*rsa.PublicKey)
	assert.Equal(t, 4096, pub.N.BitLen())
	key, err := credential.ParsePrivateKey(keyPEM)
	require.NoError(t, err)
	assert.True(t, credential.KeyMatches(key, pub))
}

func TestNewCSRBadSubject(t *testing.T) {
	for _, s := range []string{"", "O=Org", "O=Org,garbage", "CN="} {
		_, _, err := NewCSR(rand.Reader, s, "rsa2048")
		assert.ErrorIs(t, err, ErrInvalid, s)
	}
}

func TestCertificateInfoFromPEM(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	notBefore := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := notBefore.Add(90 * 24 * time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "runtime-1"},
		NotBefore: notBefore, NotAfter: notAfter,
	}, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ca"}}, &key.PublicKey, key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	other := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not read")})
	want := CertificateInfo{NotBefore: notBefore, NotAfter: notAfter}

	for name, in := range map[string][]byte{
		"certificate":                 certPEM,
		"chain: the first one counts": append(append([]byte{}, certPEM...), other...),
		"other blocks before it":      append(append([]byte{}, keyPEM...), certPEM...),
		"text around it":              append(append([]byte("subject=CN=runtime-1\n"), certPEM...), "\ntrailer"...),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := CertificateInfoFromPEM(in)
			require.NoError(t, err)
			assert.True(t, want.NotBefore.Equal(got.NotBefore))
			assert.True(t, want.NotAfter.Equal(got.NotAfter))
		})
	}
	for name, in := range map[string][]byte{
		"empty":      nil,
		"no PEM":     []byte("hello"),
		"only a key": keyPEM,
		"broken DER": other,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := CertificateInfoFromPEM(in)
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}
