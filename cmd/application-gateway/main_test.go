package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{"APPCONNECTOR_PROXY_TIMEOUT": "3s", "APPCONNECTOR_RETRY_ON_AUTH_FAILURE": "false", "APPCONNECTOR_GATEWAY_ADDR": "env:1"}
	cfg, err := parseConfig([]string{"--gateway-addr", "flag:1", "--retry-body-limit=42"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, cfg.ProxyTimeout)
	assert.False(t, cfg.RetryOnAuthFailure)
	assert.Equal(t, "flag:1", cfg.GatewayAddr, "flags win over the environment")
	assert.Equal(t, int64(42), cfg.RetryBodyLimit)
	assert.Equal(t, "127.0.0.1:8082", cfg.GatewayCompassAddr)
	assert.Equal(t, slog.LevelInfo, cfg.LogLevel)

	for _, args := range [][]string{{"--proxy-timeout=0s"}, {"--retry-body-limit=-1"}, {"--log-level=loud"}, {"extra"}, {"--data-dir="}} {
		_, err := parseConfig(args, func(string) string { return "" }, io.Discard)
		assert.Error(t, err, args)
	}
	_, err = parseConfig(nil, func(k string) string {
		if k == "APPCONNECTOR_PROXY_TIMEOUT" {
			return "soon"
		}
		return ""
	}, io.Discard)
	assert.ErrorContains(t, err, "APPCONNECTOR_PROXY_TIMEOUT")
}

func TestRunServesFromTheDataDir(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.URL.Path + " " + r.Header.Get("Authorization")))
	}))
	t.Cleanup(up.Close)

	dir := t.TempDir()
	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	ctx := context.Background()
	_, _, err = bolt.NewSecretStore(db).Put(ctx, credential.Secret{Name: "shop-basic", Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}})
	require.NoError(t, err)
	_, _, err = bolt.NewApplicationRepository(db).Put(ctx, application.Application{Name: "shop", Spec: application.Spec{Services: []application.Service{{
		ID: "1", Name: "orders", DisplayName: "Orders",
		Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "v1", TargetURL: up.URL + "/api",
			Credentials: &application.Credentials{Type: application.CredentialBasic, SecretName: "shop-basic"}}},
	}}}})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	addrs := make(chan [2]string, 1)
	go func() {
		done <- run(rctx, []string{"--data-dir", dir, "--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0", "--metrics-addr="},
			func(string) string { return "" }, io.Discard, addrs)
	}()
	var a [2]string
	select {
	case a = <-addrs:
	case err := <-done:
		t.Fatalf("run ended: %v", err)
	}
	want := "/api/x Basic " + base64.StdEncoding.EncodeToString([]byte("u:p"))
	for i, url := range []string{"http://" + a[0] + "/shop/orders/x", "http://" + a[1] + "/shop/orders/v1/x"} {
		require.Eventually(t, func() bool {
			resp, err := http.Get(url)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode == 200 && string(b) == want
		}, 5*time.Second, 20*time.Millisecond, "listener %d", i)
	}
	cancel()
	require.NoError(t, <-done)
}

func TestGatewayFlagsOfIssue7(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig([]string{"--access-log"}, func(k string) string {
		return map[string]string{"APPCONNECTOR_PROXY_IDLE_TIMEOUT": "90s"}[k]
	}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, cfg.ProxyIdleTimeout)
	assert.True(t, cfg.AccessLog)
}

// TestHelpTellsTheTruthAboutTheDataDir: bbolt locks its file, so the data dir of a
// running appconnector cannot be shared; -h says so, and a start on it fails clearly.
func TestHelpTellsTheTruthAboutTheDataDir(t *testing.T) {
	var help bytes.Buffer
	require.ErrorIs(t, run(context.Background(), []string{"-h"}, func(string) string { return "" }, &help, nil), flagHelp)
	assert.NotContains(t, help.String(), "shared with appconnector")
	assert.Contains(t, help.String(), "a data dir a running appconnector uses is refused as in use")
	assert.Contains(t, help.String(), ":memory: starts empty")
	assert.Contains(t, help.String(), "-proxy-idle-timeout")
	assert.Contains(t, help.String(), "-access-log")

	dir := t.TempDir()
	db, err := bolt.Open(dir, nil) // appconnector running on dir
	require.NoError(t, err)
	defer db.Close()
	err = run(context.Background(), []string{"--data-dir", dir, "--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0", "--metrics-addr="},
		func(string) string { return "" }, io.Discard, nil)
	assert.ErrorIs(t, err, bolt.ErrInUse)
}
