package main

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

// TestKubernetesApplicationsWithCredentialsInVault: the Application is a Kyma custom
// resource in the API server, its Basic credentials only in Vault (no Kubernetes Secret
// at all); the gateway is ready once both are read, proxies with Vault's credentials,
// and a change made in Vault with its CLI takes effect within the poll interval.
func TestKubernetesApplicationsWithCredentialsInVault(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	v := realservers.StartVault(t)
	v.CLI(t, "kv", "put", "secret/gw/shop-basic", "username=u", "password=p")
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(target.Close)
	app := ns
	componenttest.CreateApplication(t, k, app, map[string]any{"description": "shop", "services": []any{map[string]any{
		"id": "1", "name": "orders", "displayName": "Orders", "description": "d", "providerDisplayName": "p",
		"entries": []any{map[string]any{"type": "API", "targetUrl": target.URL,
			"credentials": map[string]any{"type": "Basic", "secretName": "shop-basic"}}},
	}}})
	tokenFile := filepath.Join(t.TempDir(), "vault-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(realservers.VaultRootToken), 0o600))

	const poll = 200 * time.Millisecond
	addrs := componenttest.Start(t, binary, append(componenttest.KubeArgs(t, k, ns),
		"--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0",
		"--secrets-store", "vault", "--vault-addr", v.Addr, "--vault-token-file", tokenFile, "--vault-prefix", "gw",
		"--vault-poll-interval", poll.String())...)
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
	get := func() string {
		code, body := componenttest.Get(t, "http://"+addrs[components.ServerGateway]+"/"+app+"/orders/x", "")
		return strconv.Itoa(code) + " " + body
	}
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	assert.Equal(t, "200 "+basic("u", "p"), get(), "ready means the credentials from Vault are loaded")

	v.CLI(t, "kv", "put", "secret/gw/shop-basic", "username=u2", "password=p2")
	changed := time.Now()
	require.Eventually(t, func() bool { return get() == "200 "+basic("u2", "p2") }, 10*poll, 10*time.Millisecond)
	t.Logf("a change made in Vault was used after %v (poll interval %v)", time.Since(changed).Round(time.Millisecond), poll)
}
