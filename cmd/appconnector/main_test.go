package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// startApp runs the wired process on loopback ports and returns its addresses by server
// name, and a stop function that waits for a clean shutdown.
func startApp(t *testing.T, args ...string) (map[string]string, func()) {
	t.Helper()
	return startAppWith(t, nil, args...)
}

// startAppWith is startApp with a hook that changes the parsed Config, for what has no
// flag (the listener limits).
func startAppWith(t *testing.T, change func(*Config), args ...string) (map[string]string, func()) {
	t.Helper()
	return startAppLogging(t, change, io.Discard, args...)
}

// startAppLogging is startAppWith with the process's log written to w. The metrics
// listener is off unless args set --metrics-addr.
func startAppLogging(t *testing.T, change func(*Config), w io.Writer, args ...string) (map[string]string, func()) {
	t.Helper()
	base := []string{"--api-addr", "127.0.0.1:0", "--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0", "--connector-addr", "127.0.0.1:0", "--mtls-addr", "127.0.0.1:0",
		"--metrics-addr", ""}
	cfg, err := parseConfig(append(base, args...), func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	if change != nil {
		change(&cfg)
	}
	logger := components.NewLogger(w, cfg.LogLevel)
	app, cleanup, err := initApp(cfg, logger)
	require.NoError(t, err)

	var mu sync.Mutex
	addrs := map[string]string{}
	ready := make(chan struct{})
	app.Listening = func(name, addr string) {
		mu.Lock()
		defer mu.Unlock()
		addrs[name] = addr
		if len(addrs) == app.Servers() {
			close(ready)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("app stopped early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("app did not start")
	}
	return addrs, func() {
		cancel()
		require.NoError(t, <-done)
		cleanup()
	}
}

func do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/yaml")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestDataSurvivesRestartAndSecretsAreEncrypted(t *testing.T) {
	dir := t.TempDir()
	addrs, stop := startApp(t, "--data-dir", dir)
	api := "http://" + addrs[serverAPI]
	tokenBytes, err := os.ReadFile(filepath.Join(dir, adminTokenFile))
	require.NoError(t, err)
	token := strings.TrimSpace(string(tokenBytes))
	fi, err := os.Stat(filepath.Join(dir, adminTokenFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	code, _ := do(t, http.MethodGet, api+"/v1/applications", "", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = do(t, http.MethodGet, api+"/v1/applications", "wrong-token-wrong-token", "")
	assert.Equal(t, http.StatusUnauthorized, code)

	app, err := os.ReadFile("../../examples/application.yaml")
	require.NoError(t, err)
	code, body := do(t, http.MethodPut, api+"/v1/applications/orders-app", token, string(app))
	require.Equal(t, http.StatusCreated, code, body)
	const secretValue = "distinctive-password-value-42"
	secret := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-app-basic\nstringData:\n  username: shop-user\n  password: " + secretValue + "\n"
	code, body = do(t, http.MethodPut, api+"/v1/secrets/orders-app-basic", token, secret)
	require.Equal(t, http.StatusCreated, code, body)
	assert.NotContains(t, body, secretValue)
	stop()

	raw, err := os.ReadFile(filepath.Join(dir, "appconnector.db"))
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte(secretValue)), "db file holds a plaintext secret")

	addrs, stop = startApp(t, "--data-dir", dir)
	defer stop()
	api = "http://" + addrs[serverAPI]
	code, body = do(t, http.MethodGet, api+"/v1/applications/orders-app", token, "")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, "Orders API")
	code, body = do(t, http.MethodGet, api+"/v1/secrets/orders-app-basic", token, "")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, "password")
	assert.NotContains(t, body, secretValue)
}

func TestMemoryStoreWithTokenFile(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tokenFile, []byte("a-token-of-enough-length\n"), 0o600))
	addrs, stop := startApp(t, "--data-dir", storage.MemoryDataDir, "--admin-token-file", tokenFile)
	defer stop()
	code, body := do(t, http.MethodGet, "http://"+addrs[serverAPI]+"/v1/applications", "a-token-of-enough-length", "")
	assert.Equal(t, http.StatusOK, code, body)
}

func TestConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"APPCONNECTOR_PROXY_TIMEOUT": "3s", "APPCONNECTOR_API_ADDR": "127.0.0.1:9999"}
	cfg, err := parseConfig([]string{"--api-addr", "127.0.0.1:7777"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, cfg.ProxyTimeout, "env fallback")
	assert.Equal(t, "127.0.0.1:7777", cfg.APIAddr, "flag wins over env")
	assert.Equal(t, "./data", cfg.DataDir)
	assert.Equal(t, 10*time.Second, cfg.ProxyIdleTimeout)
	assert.False(t, cfg.AccessLog)
	cfg, err = parseConfig([]string{"--access-log"}, func(k string) string { return map[string]string{"APPCONNECTOR_PROXY_IDLE_TIMEOUT": "1m"}[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, time.Minute, cfg.ProxyIdleTimeout)
	assert.True(t, cfg.AccessLog)

	_, err = parseConfig([]string{"--proxy-timeout", "0s"}, func(string) string { return "" }, io.Discard)
	assert.ErrorContains(t, err, "--proxy-timeout")
	_, err = parseConfig(nil, func(k string) string { return map[string]string{"APPCONNECTOR_LOG_LEVEL": "loud"}[k] }, io.Discard)
	assert.ErrorContains(t, err, "log-level")
	_, err = parseConfig([]string{"--cert-subject", "O=a,OU=b,L=c,ST=d,C=DE,CN=x"}, func(string) string { return "" }, io.Discard)
	assert.ErrorContains(t, err, "must not contain CN")
	cfg, err = parseConfig([]string{"--cert-subject", "O=ACME\\, Inc.,OU=IT,L=Berlin,ST=Berlin,C=DE"}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "ACME, Inc.", cfg.CertSubject.Organization)
	assert.Equal(t, "https://127.0.0.1:8083", cfg.ConnectorURL)
	_, err = parseConfig([]string{"--ca-cert", "x.pem"}, func(string) string { return "" }, io.Discard)
	assert.ErrorContains(t, err, "--ca-key")
}

func TestAdminTokenFileRejectsLooseMode(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(p, []byte("a-token-of-enough-length"), 0o644))
	_, err := loadOrCreateAdminToken(p)
	assert.ErrorContains(t, err, "chmod 600")
}

func TestPortInUseFailsStartup(t *testing.T) {
	addrs, stop := startApp(t, "--data-dir", storage.MemoryDataDir, "--admin-token-file", filepath.Join(t.TempDir(), "tok"))
	defer stop()
	cfg, err := parseConfig([]string{"--data-dir", storage.MemoryDataDir, "--admin-token-file", filepath.Join(t.TempDir(), "tok"),
		"--api-addr", addrs[serverAPI], "--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0"},
		func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	err = serve(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	assert.ErrorContains(t, err, "address already in use")
}

func TestGatewayFollowsManagementAPIEdits(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tokenFile, []byte("a-token-of-enough-length\n"), 0o600))
	addrs, stop := startApp(t, "--data-dir", storage.MemoryDataDir, "--admin-token-file", tokenFile)
	defer stop()
	api, gw := "http://"+addrs[serverAPI], "http://"+addrs[serverGateway]
	const token = "a-token-of-enough-length"

	target := func(name string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, _ := r.BasicAuth()
			_, _ = io.WriteString(w, name+" "+r.URL.Path+" "+u+":"+p)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	one, two := target("one"), target("two")

	secret := "apiVersion: v1\nkind: Secret\nmetadata: {name: shop-basic}\nstringData: {username: u, password: p}\n"
	code, body := do(t, http.MethodPut, api+"/v1/secrets/shop-basic", token, secret)
	require.Equal(t, http.StatusCreated, code, body)
	app := func(targetURL string) string {
		return `apiVersion: applicationconnector.kyma-project.io/v1alpha1
kind: Application
metadata: {name: shop}
spec:
  services:
  - {id: "1", name: orders, displayName: Orders, description: d, providerDisplayName: p,
     entries: [{type: API, targetUrl: "` + targetURL + `", credentials: {type: Basic, secretName: shop-basic}}]}
`
	}
	code, body = do(t, http.MethodPut, api+"/v1/applications/shop", token, app(one.URL+"/api"))
	require.Equal(t, http.StatusCreated, code, body)

	get := func() string {
		code, body := do(t, http.MethodGet, gw+"/shop/orders/items", "", "")
		return strconv.Itoa(code) + " " + body
	}
	require.Eventually(t, func() bool { return get() == "200 one /api/items u:p" }, 2*time.Second, 10*time.Millisecond)

	code, body = do(t, http.MethodPut, api+"/v1/applications/shop", token, app(two.URL+"/v2"))
	require.Equal(t, http.StatusOK, code, body)
	edited := time.Now()
	require.Eventually(t, func() bool { return get() == "200 two /v2/items u:p" }, time.Second, 5*time.Millisecond,
		"an edit through the management API must reach the gateway within 1 s")
	t.Logf("edit visible after %v", time.Since(edited))

	code, body = do(t, http.MethodDelete, api+"/v1/applications/shop", token, "")
	require.Equal(t, http.StatusNoContent, code, body)
	require.Eventually(t, func() bool { return strings.HasPrefix(get(), "404 ") }, time.Second, 5*time.Millisecond)
}

func TestReadyz(t *testing.T) {
	addrs, stop := startApp(t, "--data-dir", storage.MemoryDataDir, "--admin-token-file", filepath.Join(t.TempDir(), "tok"))
	defer stop()
	require.Eventually(t, func() bool {
		code, _ := do(t, http.MethodGet, "http://"+addrs[serverAPI]+"/readyz", "", "")
		return code == http.StatusOK
	}, 2*time.Second, 10*time.Millisecond)
	code, _ := do(t, http.MethodGet, "http://"+addrs[serverAPI]+"/healthz", "", "")
	assert.Equal(t, http.StatusOK, code)
}

func TestConnectorListenersAreWired(t *testing.T) {
	dir := t.TempDir()
	addrs, stop := startApp(t, "--data-dir", dir)
	defer stop()
	token := readToken(t, dir)
	api := "http://" + addrs[serverAPI]
	app, err := os.ReadFile("../../examples/application.yaml")
	require.NoError(t, err)
	code, body := do(t, http.MethodPut, api+"/v1/applications/orders-app", token, string(app))
	require.Equal(t, http.StatusCreated, code, body)
	code, body = do(t, http.MethodPost, api+"/v1/applications/orders-app/tokens", token, "")
	require.Equal(t, http.StatusCreated, code, body)
	var issued struct{ Token string }
	require.NoError(t, json.Unmarshal([]byte(body), &issued))
	require.NotEmpty(t, issued.Token)

	// The connector listener serves TLS with a certificate from the CA in the data dir.
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get("https://" + addrs[serverConnector] + "/v1/applications/signingRequests/info?token=" + issued.Token)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	assert.Contains(t, string(b), "CN=orders-app")

	// The mTLS listener refuses a client without a certificate.
	_, err = hc.Get("https://" + addrs[serverMTLS] + "/v1/applications/management/info")
	require.Error(t, err)
}

func readToken(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, adminTokenFile))
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

// TestMemoryStoreWithoutTokenFileRefusesToStart: with nothing on disk there is no place
// the docs name for the token, so appconnector says what to pass instead of dropping
// admin.token into whatever directory it was started from.
func TestMemoryStoreWithoutTokenFileRefusesToStart(t *testing.T) {
	cwd := t.TempDir()
	t.Chdir(cwd)
	args := []string{"--data-dir", storage.MemoryDataDir, "--api-addr", "127.0.0.1:0", "--gateway-addr", "127.0.0.1:0",
		"--gateway-compass-addr", "127.0.0.1:0", "--connector-addr", "127.0.0.1:0", "--mtls-addr", "127.0.0.1:0"}
	_, err := parseConfig(args, func(string) string { return "" }, io.Discard)
	require.Error(t, err) // else run would serve
	var stderr bytes.Buffer
	assert.Equal(t, 2, run(args, func(string) string { return "" }, &stderr))
	assert.Contains(t, stderr.String(), "--data-dir :memory: keeps nothing on disk: pass --admin-token-file FILE")
	entries, err := os.ReadDir(cwd)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing may be written to the working directory")

	// The provider refuses too, for a Config built without parseConfig.
	_, err = provideAdminToken(Config{Flags: serveflags.Flags{DataDir: storage.MemoryDataDir}})
	assert.ErrorContains(t, err, "--admin-token-file")
	entries, err = os.ReadDir(cwd)
	require.NoError(t, err)
	assert.Empty(t, entries)

	var help bytes.Buffer
	assert.Equal(t, 0, run([]string{"-h"}, func(string) string { return "" }, &help))
	assert.Contains(t, help.String(), "required with --data-dir :memory:")
}
