package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/certificate"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func clientRequest(t testing.TB, validity time.Duration) certificate.Request {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	return certificate.Request{
		PublicKey: &key.PublicKey,
		Subject:   certificate.DefaultSubject.ForApplication("app"),
		NotBefore: now.Add(-time.Minute),
		NotAfter:  now.Add(validity),
	}
}

func TestGeneratedInDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c, err := Open(Config{DataDir: dir}, discard())
	require.NoError(t, err)

	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.True(t, c.Certificate().IsCA)

	again, err := Open(Config{DataDir: dir}, discard())
	require.NoError(t, err)
	assert.Equal(t, c.Certificate().Raw, again.Certificate().Raw, "the CA is reused across starts")

	require.NoError(t, os.Remove(filepath.Join(dir, CertFileName)))
	_, err = Open(Config{DataDir: dir}, discard())
	assert.ErrorContains(t, err, "only one of")
}

func TestSign(t *testing.T) {
	c, err := Open(Config{}, discard())
	require.NoError(t, err)
	issued, err := c.Sign(t.Context(), clientRequest(t, time.Hour))
	require.NoError(t, err)
	cert := issued.Certificate
	assert.Equal(t, "app", cert.Subject.CommonName)
	assert.Equal(t, []string{"Organization"}, cert.Subject.Organization)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cert.ExtKeyUsage)
	assert.False(t, cert.IsCA)
	_, err = cert.Verify(x509.VerifyOptions{Roots: c.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
	_, err = cert.Verify(x509.VerifyOptions{Roots: c.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	assert.Error(t, err, "a client certificate must not serve TLS")
	require.Len(t, issued.CAChain, 1)
	assert.Equal(t, c.Certificate().Raw, issued.CAChain[0].Raw)

	other, err := c.Sign(t.Context(), clientRequest(t, time.Hour))
	require.NoError(t, err)
	assert.NotEqual(t, cert.SerialNumber, other.Certificate.SerialNumber)
	assert.Greater(t, cert.SerialNumber.BitLen(), 64, "serial numbers are random, not 2")

	long, err := c.Sign(t.Context(), clientRequest(t, 100*365*24*time.Hour))
	require.NoError(t, err)
	assert.False(t, long.Certificate.NotAfter.After(c.Certificate().NotAfter), "validity capped at the CA's")

	chain, err := c.CACertificates(t.Context())
	require.NoError(t, err)
	assert.Equal(t, c.Certificate().Raw, chain[0].Raw)
}

func writeCA(t *testing.T, dir string, isCA bool, keyPEMType string) (certPath, keyPath string, key *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ext ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		BasicConstraintsValid: true, IsCA: isCA, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	certPath = filepath.Join(dir, "ext.crt")
	keyPath = filepath.Join(dir, "ext.key")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	var keyDER []byte
	if keyPEMType == "RSA PRIVATE KEY" {
		keyDER = x509.MarshalPKCS1PrivateKey(key)
	} else {
		keyDER, err = x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
	}
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: keyPEMType, Bytes: keyDER}), 0o600))
	return certPath, keyPath, key
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, _ := writeCA(t, dir, true, "RSA PRIVATE KEY")
	c, err := Open(Config{CertFile: certPath, KeyFile: keyPath, DataDir: t.TempDir()}, discard())
	require.NoError(t, err)
	assert.Equal(t, "ext ca", c.Certificate().Subject.CommonName)
	issued, err := c.Sign(t.Context(), clientRequest(t, 24*time.Hour))
	require.NoError(t, err)
	assert.False(t, issued.Certificate.NotAfter.After(c.Certificate().NotAfter))

	_, err = Open(Config{CertFile: certPath}, discard())
	assert.ErrorContains(t, err, "together")

	_, otherKey, _ := writeCA(t, t.TempDir(), true, "PRIVATE KEY")
	_, err = Open(Config{CertFile: certPath, KeyFile: otherKey}, discard())
	assert.ErrorContains(t, err, "does not match")

	notCA, notCAKey, _ := writeCA(t, t.TempDir(), false, "PRIVATE KEY")
	_, err = Open(Config{CertFile: notCA, KeyFile: notCAKey}, discard())
	assert.ErrorContains(t, err, "not a CA")

	garbage := filepath.Join(dir, "garbage")
	require.NoError(t, os.WriteFile(garbage, []byte("nope"), 0o600))
	_, err = Open(Config{CertFile: garbage, KeyFile: keyPath}, discard())
	assert.ErrorContains(t, err, "no PEM certificate")
	_, err = Open(Config{CertFile: certPath, KeyFile: garbage}, discard())
	assert.ErrorContains(t, err, "no PEM private key")
	_, err = Open(Config{CertFile: filepath.Join(dir, "missing"), KeyFile: keyPath}, discard())
	assert.Error(t, err)
}

func TestServerCertificate(t *testing.T) {
	c, err := Open(Config{}, discard())
	require.NoError(t, err)
	sc, err := c.ServerCertificate([]string{"connector.example", "10.0.0.1"}, 0)
	require.NoError(t, err)

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{sc}})
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			_ = conn.(*tls.Conn).Handshake()
			_ = conn.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: c.Pool(), ServerName: "localhost"})
	require.NoError(t, err, "a client trusting the CA verifies the listener")
	_ = conn.Close()

	assert.Contains(t, sc.Leaf.DNSNames, "connector.example")
	assert.True(t, sc.Leaf.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")))
	_, err = sc.Leaf.Verify(x509.VerifyOptions{Roots: c.Pool(), DNSName: "10.0.0.1"})
	assert.NoError(t, err)
}

// BenchmarkSign measures client certificates signed per second by the generated
// (ECDSA P-256) CA.
func BenchmarkSign(b *testing.B) {
	c, err := Open(Config{}, discard())
	require.NoError(b, err)
	req := clientRequest(b, 90*24*time.Hour)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if _, err := c.Sign(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "signings/s")
}

// A CA key that group or others can read is refused, like the admin token and
// secret.key, with the fix in the message; after chmod 600 it loads.
func TestKeyReadableByOthersIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, err := Open(Config{DataDir: dir}, discard())
	require.NoError(t, err)
	keyPath := filepath.Join(dir, KeyFileName)

	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		require.NoError(t, os.Chmod(keyPath, mode))
		_, err = Open(Config{DataDir: dir}, discard())
		require.Error(t, err, "mode %04o", mode)
		assert.ErrorContains(t, err, "chmod 600 "+keyPath)
		_, err = Open(Config{CertFile: filepath.Join(dir, CertFileName), KeyFile: keyPath}, discard())
		assert.ErrorContains(t, err, "chmod 600 "+keyPath, "explicit --ca-key too")
	}

	require.NoError(t, os.Chmod(keyPath, 0o600))
	_, err = Open(Config{DataDir: dir}, discard())
	require.NoError(t, err)
}

// TestFromPEM: a CA held in memory (a Kubernetes Secret) signs like one from files, and
// gets the same checks.
func TestFromPEM(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, _ := writeCA(t, dir, true, "PRIVATE KEY")
	certPEM, err := os.ReadFile(certPath)
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(keyPath)
	require.NoError(t, err)
	c, err := FromPEM(certPEM, keyPEM, discard())
	require.NoError(t, err)
	issued, err := c.Sign(t.Context(), clientRequest(t, time.Hour))
	require.NoError(t, err)
	_, err = issued.Certificate.Verify(x509.VerifyOptions{Roots: c.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	assert.NoError(t, err)

	_, otherKey, _ := writeCA(t, t.TempDir(), true, "PRIVATE KEY")
	otherPEM, err := os.ReadFile(otherKey)
	require.NoError(t, err)
	_, err = FromPEM(certPEM, otherPEM, discard())
	assert.ErrorContains(t, err, "does not match")
}
