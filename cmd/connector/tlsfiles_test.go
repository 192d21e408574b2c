package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
)

// writePair writes a self-signed server certificate for 127.0.0.1 with serial, and its
// key, to dir's tls.crt and tls.key, each replaced in one rename as a rotation would.
func writePair(t *testing.T, dir string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "connector"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	for name, data := range map[string][]byte{
		"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"tls.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".tmp"), data, 0o600))
		require.NoError(t, os.Rename(filepath.Join(dir, name+".tmp"), filepath.Join(dir, name)))
	}
}

// servedSerial answers the serial of the certificate a new handshake with addr sees; on
// the mTLS listener the handshake then fails for want of a client certificate, which
// does not matter here.
func servedSerial(addr string) int64 {
	var got atomic.Int64
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, //nolint:gosec // reads whatever certificate is served
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if c, err := x509.ParseCertificate(raw[0]); err == nil {
				got.Store(c.SerialNumber.Int64())
			}
			return nil
		}})
	if err == nil {
		conn.Close()
	}
	return got.Load()
}

// TestTLSCertificateFromRotatedFiles: with --tls-cert/--tls-key both TLS listeners serve
// the files' certificate, and a rotated pair from the next check on, without a restart.
func TestTLSCertificateFromRotatedFiles(t *testing.T) {
	dir := t.TempDir()
	writePair(t, dir, 1)
	const interval = 100 * time.Millisecond
	addrs := componenttest.Start(t, binary, "--data-dir", ":memory:", "--connector-addr", "127.0.0.1:0", "--mtls-addr", "127.0.0.1:0",
		"--health-addr", "127.0.0.1:0", "--tls-cert", filepath.Join(dir, "tls.crt"), "--tls-key", filepath.Join(dir, "tls.key"),
		"--tls-reload-interval", interval.String(), "--metrics-addr", "")
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
	listeners := []string{addrs[components.ServerConnector], addrs[components.ServerMTLS]}
	for _, a := range listeners {
		assert.EqualValues(t, 1, servedSerial(a), a)
	}

	writePair(t, dir, 2)
	for _, a := range listeners {
		require.Eventually(t, func() bool { return servedSerial(a) == 2 }, interval+500*time.Millisecond, 5*time.Millisecond,
			"%s must serve the rotated certificate within the interval", a)
	}
}

func TestTLSFilesFlags(t *testing.T) {
	env := func(string) string { return "" }
	_, err := parseConfig([]string{"--tls-cert", "a.crt"}, env, nil)
	assert.ErrorContains(t, err, "--tls-cert and --tls-key go together")
	_, err = parseConfig([]string{"--tls-cert", "a.crt", "--tls-key", "a.key", "--connector-tls=false", "--trust-xfcc"}, env, nil)
	assert.ErrorContains(t, err, "--tls-cert is for TLS listeners")
	_, err = parseConfig([]string{"--tls-reload-interval", "0s"}, env, nil)
	assert.ErrorContains(t, err, "--tls-reload-interval must be positive")
}
