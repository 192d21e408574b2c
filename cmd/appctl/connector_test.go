package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/connectorapi"
	connclient "github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/eventing"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
)

// connectorServer runs the management API with the connector routes, the connector
// API and the mTLS API over real TLS, events going to the embedded log. Its data dir
// holds ca.crt as a local server's does.
type connectorServer struct {
	mgmtURL, connectorURL string
	dataDir               string
}

func newConnectorServer(t *testing.T) connectorServer {
	t.Helper()
	logger := discardLogger()
	apps := memory.NewApplicationRepository()
	_, _, err := apps.Put(t.Context(), application.Application{Name: "orders-app"})
	require.NoError(t, err)
	authority, err := ca.Open(ca.Config{}, logger)
	require.NoError(t, err)
	log := memory.NewEventLog(100)
	svc, err := connector.New(connector.Config{Subject: certificate.DefaultSubject}, connector.Deps{
		Applications: apps, Tokens: memory.NewTokenStore(), Signer: authority, Revocations: memory.NewRevocationList(),
		Sink: eventing.NewLogSink(log), EventLog: log, Logger: logger,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = svc.Run(ctx) }()

	serverCert, err := authority.ServerCertificate(nil, 0)
	require.NoError(t, err)
	conn := httptest.NewUnstartedServer(nil)
	conn.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}}
	mtls := httptest.NewUnstartedServer(nil)
	mtls.TLS = connectorapi.MTLSConfig(serverCert, authority.Pool())
	conn.StartTLS()
	mtls.StartTLS()
	t.Cleanup(conn.Close)
	t.Cleanup(mtls.Close)
	cfg := connectorapi.Config{ConnectorURL: conn.URL, MTLSURL: mtls.URL}
	conn.Config.Handler, err = connectorapi.NewConnectorHandler(cfg, svc, logger)
	require.NoError(t, err)
	mtls.Config.Handler, err = connectorapi.NewMTLSHandler(cfg, svc, logger)
	require.NoError(t, err)
	routes, err := connectorapi.NewManagementRoutes(cfg, svc, logger)
	require.NoError(t, err)
	mgmt := httptest.NewServer(httpapi.NewServer(httpapi.Config{AdminToken: testToken},
		registry.NewService(apps, memory.NewSecretStore(), logger), logger, httpapi.ExtraRoutes{routes}).Handler())
	t.Cleanup(mgmt.Close)

	dataDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dataDir, "ca.crt"), certificate.EncodePEM(authority.Certificate()), 0o644))
	return connectorServer{mgmtURL: mgmt.URL, connectorURL: conn.URL, dataDir: dataDir}
}

func (s connectorServer) appctl(t *testing.T, args ...string) result {
	t.Helper()
	return runAppctl(t, "", append([]string{"--server", s.mgmtURL, "--token", testToken, "--data-dir", s.dataDir}, args...)...)
}

func postEvent(t *testing.T, dir string) int {
	t.Helper()
	creds, info, err := connclient.ReadFiles(dir)
	require.NoError(t, err)
	hc, err := creds.HTTPClient()
	require.NoError(t, err)
	resp, err := hc.Post(info.EventsURL, "application/json", strings.NewReader(
		`{"event-type":"order.created","event-type-version":"v1","event-time":"2024-01-02T03:04:05Z","data":{"id":7}}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode
}

func TestConnectFlow(t *testing.T) {
	s := newConnectorServer(t)

	r := s.appctl(t, "token", "orders-app", "-o", "url")
	require.Equal(t, 0, r.code, r.stderr)
	tokenURL := strings.TrimSpace(r.stdout)
	assert.True(t, strings.HasPrefix(tokenURL, s.connectorURL+schema.PathSigningInfo+"?token="))

	dir := filepath.Join(t.TempDir(), "certs")
	r = s.appctl(t, "connect", "--token", tokenURL, "--out", dir, "--key-type", "ecdsa-p256")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "connected orders-app")
	for _, f := range []string{connclient.FileKey, connclient.FileCert, connclient.FileChain, connclient.FileCA, connclient.FileInfo} {
		fi, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), f)
	}
	assert.Equal(t, http.StatusOK, postEvent(t, dir))

	r = s.appctl(t, "connect", "--token", tokenURL, "--out", t.TempDir())
	assert.Equal(t, 1, r.code, "a token works once")
	assert.Contains(t, r.stderr, "403")

	r = s.appctl(t, "events")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "orders-app")
	assert.Contains(t, r.stdout, "ordersapp.order.created.v1")
	r = s.appctl(t, "events", "-o", "json", "--app", "orders-app")
	require.Equal(t, 0, r.code, r.stderr)
	var list schema.EventList
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list.Events, 1)

	before, _, err := connclient.ReadFiles(dir)
	require.NoError(t, err)
	r = s.appctl(t, "renew", "--dir", dir, "--key-type", "ecdsa-p256")
	require.Equal(t, 0, r.code, r.stderr)
	after, _, err := connclient.ReadFiles(dir)
	require.NoError(t, err)
	assert.NotEqual(t, before.ClientPEM, after.ClientPEM)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 5, "renew leaves exactly the five files, no temporary ones")
	assert.Equal(t, http.StatusOK, postEvent(t, dir))

	r = s.appctl(t, "revoke", "--dir", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, http.StatusForbidden, postEvent(t, dir))
}

func TestConnectWithBareTokenAndErrors(t *testing.T) {
	s := newConnectorServer(t)
	r := s.appctl(t, "token", "orders-app", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var tok schema.TokenResponse
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tok))

	r = s.appctl(t, "connect", "--token", tok.Token, "--out", t.TempDir())
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--connector-url")

	r = s.appctl(t, "connect", "--token", tok.Token, "--out", t.TempDir(), "--connector-url", s.connectorURL, "--key-type", "ecdsa-p384")
	require.Equal(t, 0, r.code, r.stderr)

	r = s.appctl(t, "token", "missing-app")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "404")

	r = s.appctl(t, "revoke")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "exactly one")
	r = s.appctl(t, "revoke", "--hash", "nothex")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "400")
	r = s.appctl(t, "revoke", "--hash", strings.Repeat("ab", 32))
	assert.Equal(t, 0, r.code, r.stderr)

	// Without the CA (an empty data dir) the connector's certificate is not trusted.
	r = runAppctl(t, "", "--server", s.mgmtURL, "--token", testToken, "--data-dir", t.TempDir(),
		"connect", "--token", s.connectorURL+schema.PathSigningInfo+"?token=x", "--out", t.TempDir())
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "certificate")
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestQuickstartCertsAreIgnored: the README's quickstart writes a private key to
// ./orders-certs; git must not offer to commit it.
func TestQuickstartCertsAreIgnored(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	if err := exec.Command("git", "-C", "../..", "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("not a git checkout")
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	require.Contains(t, string(readme), "--out ./orders-certs")
	for _, f := range []string{connclient.FileKey, connclient.FileCert, connclient.FileChain, connclient.FileCA, connclient.FileInfo} {
		err := exec.Command("git", "-C", "../..", "check-ignore", "-q", "orders-certs/"+f).Run()
		assert.NoError(t, err, "orders-certs/%s is not ignored by git", f)
	}
}
