package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/internal/realservers"
)

// TestSecretsInVaultSurviveASeal: embedded mode with --secrets-store vault. The
// Application is in the embedded store, its Basic credentials only in Vault. While Vault
// is sealed the gateway keeps proxying with the credentials it has (0 failed requests),
// readiness holds, and a Secret written through the management API gets 503 naming the
// seal; after unsealing the same write succeeds and reaches the gateway, no restart.
func TestSecretsInVaultSurviveASeal(t *testing.T) {
	v := realservers.StartVault(t)
	v.CLI(t, "kv", "put", "secret/appconnector/secrets/shop-basic", "username=u", "password=p")
	dir := t.TempDir()
	vaultToken := filepath.Join(dir, "vault-token")
	require.NoError(t, os.WriteFile(vaultToken, []byte(realservers.VaultRootToken+"\n"), 0o600))
	adminFile := filepath.Join(dir, "admin")
	const token = "a-token-of-enough-length"
	require.NoError(t, os.WriteFile(adminFile, []byte(token+"\n"), 0o600))
	const poll = 100 * time.Millisecond
	addrs, stop := startApp(t, "--data-dir", storage.MemoryDataDir, "--admin-token-file", adminFile,
		"--secrets-store", "vault", "--vault-addr", v.Addr, "--vault-token-file", vaultToken, "--vault-poll-interval", poll.String())
	defer stop()
	api, gw := "http://"+addrs[serverAPI], "http://"+addrs[serverGateway]

	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		_, _ = w.Write([]byte(u + ":" + p))
	}))
	t.Cleanup(target.Close)
	code, body := do(t, http.MethodPut, api+"/v1/applications/shop", token, `apiVersion: applicationconnector.kyma-project.io/v1alpha1
kind: Application
metadata: {name: shop}
spec:
  services:
  - {id: "1", name: orders, displayName: Orders, description: d, providerDisplayName: p,
     entries: [{type: API, targetUrl: "`+target.URL+`", credentials: {type: Basic, secretName: shop-basic}}]}
`)
	require.Equal(t, http.StatusCreated, code, body)
	get := func() string {
		code, body := do(t, http.MethodGet, gw+"/shop/orders/x", "", "")
		return strconv.Itoa(code) + " " + body
	}
	require.Eventually(t, func() bool { return get() == "200 u:p" }, 10*time.Second, 10*time.Millisecond, "credentials from Vault")
	ready := func() int {
		code, _ := do(t, http.MethodGet, api+"/readyz", "", "")
		return code
	}
	require.Equal(t, http.StatusOK, ready())

	v.Seal(t)
	// Load for several poll intervals, so the poller meets the seal more than once.
	var sent, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			client := &http.Client{Timeout: 5 * time.Second}
			for sent.Load() < 200 || time.Since(start) < 5*poll {
				sent.Add(1)
				resp, err := client.Get(gw + "/shop/orders/x")
				if err != nil {
					failed.Add(1)
					continue
				}
				var b [16]byte
				n, _ := resp.Body.Read(b[:])
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(b[:n]) != "u:p" {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d proxied requests in %v while Vault was sealed, %d failed", sent.Load(), time.Since(start).Round(time.Millisecond), failed.Load())
	require.Zero(t, failed.Load(), "requests failed while Vault was sealed")
	assert.Equal(t, http.StatusOK, ready(), "synced once: still ready while sealed")

	secret := func(password string) string {
		return "apiVersion: v1\nkind: Secret\nmetadata: {name: shop-basic}\nstringData: {username: u, password: " + password + "}\n"
	}
	code, body = do(t, http.MethodPut, api+"/v1/secrets/shop-basic", token, secret("p2-sealed"))
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	var e struct {
		Code  int    `json:"code"`
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	assert.Equal(t, http.StatusServiceUnavailable, e.Code)
	assert.Equal(t, "credential store unavailable: sealed; retry later", e.Error)
	assert.NotContains(t, body, "p2-sealed")

	v.Unseal(t)
	code, body = do(t, http.MethodPut, api+"/v1/secrets/shop-basic", token, secret("p2"))
	require.Equal(t, http.StatusOK, code, body)
	require.Eventually(t, func() bool { return get() == "200 u:p2" }, 10*time.Second, 10*time.Millisecond, "the write reaches the gateway")
	assert.Contains(t, v.CLI(t, "kv", "get", "-field=password", "secret/appconnector/secrets/shop-basic"), "p2")
}
