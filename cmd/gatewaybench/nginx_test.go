//go:build nginx

// The nginx check runs where nginx is: `make bench-gateway` runs it (tag nginx) after
// hack/nginx.sh has found or installed nginx, and fails there without it. `make test`
// leaves it out rather than skip it on machines that have Go and nothing else.

package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The nginx row is only comparable if nginx proxies the way the configuration says:
// the Basic header set, the upstream connection kept alive (one connection for many
// requests), HTTP/1.1. Needs an nginx binary (hack/nginx.sh installs it).
func TestNginxProxiesWithBasicOverKeepAlive(t *testing.T) {
	bin := findNginx()
	require.NotEmpty(t, bin, "no nginx binary: run hack/nginx.sh")
	var conns atomic.Int64
	var auth, proto atomic.Value
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		proto.Store(r.Proto)
		_, _ = w.Write([]byte("ok"))
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)

	ngx, err := startNginx(bin, filepath.Join(t.TempDir(), "nginx"), strings.TrimPrefix(up.URL, "http://"))
	require.NoError(t, err)
	t.Cleanup(ngx.stop)
	before := conns.Load()
	for range 50 {
		resp, err := http.Get("http://" + ngx.addr + "/items")
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	assert.Equal(t, basicAuth(), auth.Load())
	assert.Equal(t, "HTTP/1.1", proto.Load())
	assert.LessOrEqual(t, conns.Load()-before, int64(1), "nginx must reuse its upstream connection")

	assert.Len(t, children(ngx.cmd.Process.Pid), 1, "one worker under the master, whose CPU time counts")
	_, err = ngx.cpuTime()
	require.NoError(t, err)
	_, writes := ngx.syscalls()
	assert.GreaterOrEqual(t, writes, int64(50), "the worker's writes are counted: at least one per response")
}
