package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The nginx row is only comparable if nginx proxies the way the configuration says:
// the Basic header set, the upstream connection kept alive (one connection for many
// requests), HTTP/1.1. Needs an nginx binary (hack/nginx.sh installs it).
func TestNginxProxiesWithBasicOverKeepAlive(t *testing.T) {
	bin := findNginx()
	if bin == "" {
		t.Skip("no nginx binary: run hack/nginx.sh (the load test leaves the nginx row out without it)")
	}
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

// The CPU and system-call counters read a process tree from /proc: here a child that
// burns CPU and writes, and this test's process as its parent.
func TestProcCountersIncludeChildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo x; done >/dev/null; read _")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, stdin: stdin}
	t.Cleanup(s.stop)
	// Wait for the loop to have run: its writes show in /proc/<pid>/io.
	require.Eventually(t, func() bool { _, w := s.syscalls(); return w >= 20000 }, 20*time.Second, 10*time.Millisecond)
	cpu, err := s.cpuTime()
	require.NoError(t, err)
	assert.Positive(t, cpu)

	self := &server{cmd: &exec.Cmd{Process: &os.Process{Pid: os.Getpid()}}}
	require.Contains(t, children(os.Getpid()), cmd.Process.Pid)
	_, selfWrites := self.syscalls()
	assert.GreaterOrEqual(t, selfWrites, int64(20000), "the parent's count includes the child's")
}

func TestMedianAndPerRound(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
	assert.Equal(t, 0.0, median(nil))
	a := []result{{cpuPerRq: 10}, {cpuPerRq: 20}, {cpuPerRq: 30}}
	b := []result{{cpuPerRq: 20}, {cpuPerRq: 20}}
	got := perRound(a, b, func(x, y result) float64 { return float64(x.cpuPerRq) / float64(y.cpuPerRq) })
	assert.Equal(t, []float64{0.5, 1}, got, "rounds are paired by index; an unpaired round is left out")
}
