package tlsfiles_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/tlsfiles"
)

// syncBuffer is a log sink the Run goroutine writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pair makes a self-signed server certificate for 127.0.0.1 with the given serial, as
// PEM.
func pair(t *testing.T, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "server"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// secretVolume lays the files out as the kubelet does for a mounted Secret: tls.crt and
// tls.key are symlinks through ..data to a timestamped directory, and an update swaps
// ..data atomically to a new directory.
type secretVolume struct {
	t   *testing.T
	dir string
	n   int
}

func newSecretVolume(t *testing.T, certPEM, keyPEM []byte) *secretVolume {
	v := &secretVolume{t: t, dir: t.TempDir()}
	v.update(certPEM, keyPEM)
	for _, f := range []string{"tls.crt", "tls.key"} {
		require.NoError(t, os.Symlink(filepath.Join("..data", f), filepath.Join(v.dir, f)))
	}
	return v
}

func (v *secretVolume) update(certPEM, keyPEM []byte) {
	v.n++
	ts := filepath.Join(v.dir, "..ts"+string(rune('0'+v.n)))
	require.NoError(v.t, os.Mkdir(ts, 0o755))
	require.NoError(v.t, os.WriteFile(filepath.Join(ts, "tls.crt"), certPEM, 0o600))
	require.NoError(v.t, os.WriteFile(filepath.Join(ts, "tls.key"), keyPEM, 0o600))
	tmp := filepath.Join(v.dir, "..data_tmp")
	require.NoError(v.t, os.Symlink(filepath.Base(ts), tmp))
	require.NoError(v.t, os.Rename(tmp, filepath.Join(v.dir, "..data")))
}

// serial answers the serial number of the certificate a new TLS handshake with addr
// sees.
func serial(t *testing.T, addr string) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the test reads the served certificate, whatever it is
	require.NoError(t, err)
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestRotatedFilesAreServedWithinTheInterval(t *testing.T) {
	c1, k1 := pair(t, 1)
	vol := newSecretVolume(t, c1, k1)
	logs := &syncBuffer{}
	const interval = 100 * time.Millisecond
	// One interval, plus room for a loaded machine to schedule the check and the handshake.
	const within = interval + 500*time.Millisecond
	r, err := tlsfiles.New(tlsfiles.Config{CertFile: filepath.Join(vol.dir, "tls.crt"), KeyFile: filepath.Join(vol.dir, "tls.key"), Interval: interval},
		slog.New(slog.NewJSONHandler(logs, nil)))
	require.NoError(t, err)

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate})
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = conn.(*tls.Conn).Handshake(); conn.Close() }()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := ln.Addr().String()
	require.EqualValues(t, 1, serial(t, addr))

	// Rotated as cert-manager and the kubelet do it: a new pair behind the same paths.
	c2, k2 := pair(t, 2)
	vol.update(c2, k2)
	rotated := time.Now()
	require.Eventually(t, func() bool { return serial(t, addr) == 2 }, within, 5*time.Millisecond,
		"a new handshake must see the rotated certificate within the interval")
	t.Logf("rotated certificate served after %v (interval %v)", time.Since(rotated), interval)
	assert.Contains(t, logs.String(), "TLS certificate reloaded")

	// A broken pair (the key of another certificate) keeps serving the last good one.
	_, k3 := pair(t, 3)
	c3, _ := pair(t, 3)
	vol.update(c3, k3)
	require.Eventually(t, func() bool { return bytes.Contains([]byte(logs.String()), []byte("keeping the previous certificate")) },
		within, 5*time.Millisecond, "a broken pair is logged as an error")
	assert.EqualValues(t, 2, serial(t, addr), "the previous certificate stays in use")
	assert.Contains(t, logs.String(), `"level":"ERROR"`)
	assert.NotContains(t, logs.String(), "PRIVATE KEY", "no key material in the log")
	assert.Equal(t, 1, bytes.Count([]byte(logs.String()), []byte("keeping the previous certificate")), "reported once, not at every check")

	// Fixed again: served again.
	c4, k4 := pair(t, 4)
	vol.update(c4, k4)
	require.Eventually(t, func() bool { return serial(t, addr) == 4 }, within, 5*time.Millisecond)
}

func TestNewRefusesAMissingOrBrokenPair(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	dir := t.TempDir()
	_, err := tlsfiles.New(tlsfiles.Config{CertFile: filepath.Join(dir, "no.crt"), KeyFile: filepath.Join(dir, "no.key")}, logger)
	assert.ErrorContains(t, err, "tls certificate file")

	c, _ := pair(t, 1)
	_, k := pair(t, 2)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tls.crt"), c, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tls.key"), k, 0o600))
	_, err = tlsfiles.New(tlsfiles.Config{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}, logger)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tls.crt")
	assert.NotContains(t, err.Error(), "PRIVATE KEY")

	_, err = tlsfiles.New(tlsfiles.Config{CertFile: filepath.Join(dir, "tls.crt")}, logger)
	assert.ErrorContains(t, err, "both a certificate and a key file")
}
