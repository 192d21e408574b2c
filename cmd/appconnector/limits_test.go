package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/slowclient"
)

// shortLimits makes every listener's limits short enough for a test to watch them act.
func shortLimits(c *Config) {
	c.RequestLimits.ReadHeaderTimeout, c.RequestLimits.ReadTimeout = 300*time.Millisecond, 600*time.Millisecond
	c.GatewayLimits.ReadHeaderTimeout = 300 * time.Millisecond
}

func TestEveryListenerCutsSlowClients(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "tok")
	addrs, stop := startAppWith(t, shortLimits, "--data-dir", storage.MemoryDataDir, "--admin-token-file", tokenFile, "--validator-addr", "127.0.0.1:0")
	t.Cleanup(stop) // after the parallel subtests
	require.Len(t, addrs, 6)
	for name, addr := range addrs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now() // before the server can start its clock
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			done := make(chan struct{})
			defer close(done)
			if name != serverConnector && name != serverMTLS {
				// Headers that never end, each byte well within any per-read timeout.
				_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
				require.NoError(t, err)
				go slowclient.Trickle(c, strings.Repeat("X-Slow: a\r\n", 1000), 1, 20*time.Millisecond, done)
			} // TLS listeners: a client that never starts its handshake.
			slowclient.WaitClosed(t, c, 5*time.Second)
			assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
		})
	}
}

// TestReadTimeoutOnTheAPIButNotTheGateway: a request body that takes longer than the
// ReadTimeout is cut on the management API, and streams through the gateway.
func TestReadTimeoutOnTheAPIButNotTheGateway(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tokenFile, []byte("a-token-of-enough-length\n"), 0o600))
	addrs, stop := startAppWith(t, shortLimits, "--data-dir", storage.MemoryDataDir, "--admin-token-file", tokenFile)
	defer stop()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "got "+strconv.FormatInt(n, 10))
	}))
	defer target.Close()
	app := `apiVersion: applicationconnector.kyma-project.io/v1alpha1
kind: Application
metadata: {name: shop}
spec:
  services:
  - {id: "1", name: up, displayName: Up, description: d, providerDisplayName: p,
     entries: [{type: API, targetUrl: "` + target.URL + `"}]}
`
	code, body := do(t, http.MethodPut, "http://"+addrs[serverAPI]+"/v1/applications/shop", "a-token-of-enough-length", app)
	require.Equal(t, http.StatusCreated, code, body)
	gw := "http://" + addrs[serverGateway]
	require.Eventually(t, func() bool { code, _ := do(t, http.MethodGet, gw+"/shop/up/x", "", ""); return code == http.StatusOK },
		2*time.Second, 10*time.Millisecond)

	// A document the API accepts when it arrives in time, sent in 20 pieces over 1 s,
	// past the 600 ms ReadTimeout.
	const slowApp = `{"apiVersion": "applicationconnector.kyma-project.io/v1alpha1", "kind": "Application", "metadata": {"name": "slow"}}`
	code, body = do(t, http.MethodPut, "http://"+addrs[serverAPI]+"/v1/applications/fast", "a-token-of-enough-length", strings.Replace(slowApp, "slow", "fast", 1))
	require.Equal(t, http.StatusCreated, code, body)
	post := func(addr, path string) string {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		_, err = fmt.Fprintf(c, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a-token-of-enough-length\r\n"+
			"Content-Type: application/yaml\r\nConnection: close\r\nContent-Length: %d\r\n\r\n", path, len(slowApp))
		require.NoError(t, err)
		done := make(chan struct{})
		defer close(done)
		go slowclient.Trickle(c, slowApp, (len(slowApp)+19)/20, 50*time.Millisecond, done)
		return slowclient.WaitClosed(t, c, 10*time.Second)
	}
	resp := post(addrs[serverGateway], "/shop/up/x")
	assert.True(t, strings.HasPrefix(resp, "HTTP/1.1 200 "), resp)
	assert.True(t, strings.HasSuffix(resp, "got "+strconv.Itoa(len(slowApp))), resp)
	resp = post(addrs[serverAPI], "/v1/applications/slow")
	assert.False(t, strings.HasPrefix(resp, "HTTP/1.1 2"), "the management API read a body slower than its ReadTimeout: %s", resp)
}
