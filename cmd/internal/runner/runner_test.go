package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/cmd/internal/slowclient"
)

func TestGroupServesAndShutsDown(t *testing.T) {
	t.Parallel()
	g := New(slog.New(slog.NewTextHandler(io.Discard, nil)), time.Second)
	g.AddServer("hello", "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") }), RequestLimits())
	loopStopped := make(chan struct{})
	g.AddLoop(func(ctx context.Context) error { <-ctx.Done(); close(loopStopped); return nil })
	var mu sync.Mutex
	var addr string
	started := make(chan struct{})
	g.Listening = func(_, a string) { mu.Lock(); addr = a; mu.Unlock(); close(started) }

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	<-started
	mu.Lock()
	resp, err := http.Get("http://" + addr)
	mu.Unlock()
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "hi", string(b))
	cancel()
	require.NoError(t, <-done)
	<-loopStopped
}

func TestGroupFailsOnPortInUseAndLoopError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	g := New(logger, time.Second)
	g.AddServer("first", "127.0.0.1:0", http.NotFoundHandler(), RequestLimits())
	g.AddServer("taken", ln.Addr().String(), http.NotFoundHandler(), RequestLimits())
	assert.ErrorContains(t, g.Run(context.Background()), "listen for taken")

	g = New(logger, time.Second)
	g.AddServer("s", "127.0.0.1:0", http.NotFoundHandler(), RequestLimits())
	boom := errors.New("boom")
	g.AddLoop(func(context.Context) error { return boom })
	assert.ErrorIs(t, g.Run(context.Background()), boom)
}

// serve runs one server with limits l on a loopback port until the test ends.
func serve(t *testing.T, l Limits, h http.Handler) string {
	t.Helper()
	g := New(slog.New(slog.NewTextHandler(io.Discard, nil)), time.Second)
	g.AddServer("s", "127.0.0.1:0", h, l)
	addrs := make(chan string, 1)
	g.Listening = func(_, a string) { addrs <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	select {
	case a := <-addrs:
		return a
	case err := <-done:
		t.Fatalf("group stopped: %v", err)
		return ""
	}
}

// readBody reads the whole body and answers with its length.
var readBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	_, _ = io.WriteString(w, strconv.FormatInt(n, 10))
})

func TestSlowHeadersAreCutOffAfterReadHeaderTimeout(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]Limits{"streaming": StreamingLimits(), "request": RequestLimits()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l.ReadHeaderTimeout = 300 * time.Millisecond
			var served atomic.Bool
			addr := serve(t, l, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served.Store(true) }))
			start := time.Now() // before the server can start its clock
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
			require.NoError(t, err)
			stop := make(chan struct{})
			defer close(stop)
			// Each byte arrives well within any per-read timeout; only a deadline on the
			// whole header read stops this.
			go slowclient.Trickle(c, strings.Repeat("X-Slow: a\r\n", 1000), 1, 20*time.Millisecond, stop)
			slowclient.WaitClosed(t, c, 5*time.Second)
			assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
			assert.False(t, served.Load(), "a request whose headers never ended reached the handler")
		})
	}
}

func TestReadTimeoutBoundsRequestBodiesButNotStreams(t *testing.T) {
	t.Parallel()
	const body = "0123456789abcdefghij"
	send := func(t *testing.T, l Limits) string {
		addr := serve(t, l, readBody)
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		_, err = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 20\r\n\r\n")
		require.NoError(t, err)
		stop := make(chan struct{})
		defer close(stop)
		go slowclient.Trickle(c, body, 1, 50*time.Millisecond, stop) // 1 s for the body
		return slowclient.WaitClosed(t, c, 10*time.Second)
	}
	t.Run("request", func(t *testing.T) {
		t.Parallel()
		l := RequestLimits()
		l.ReadHeaderTimeout, l.ReadTimeout = 200*time.Millisecond, 400*time.Millisecond
		assert.NotContains(t, send(t, l), "\r\n\r\n20", "a body slower than ReadTimeout was read to the end")
	})
	t.Run("streaming", func(t *testing.T) {
		t.Parallel()
		l := StreamingLimits()
		l.ReadHeaderTimeout = 200 * time.Millisecond
		resp := send(t, l)
		assert.True(t, strings.HasPrefix(resp, "HTTP/1.1 200 OK"), resp)
		assert.True(t, strings.HasSuffix(resp, "\r\n\r\n20"), resp)
	})
}

func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	l := StreamingLimits()
	l.IdleTimeout = 300 * time.Millisecond
	addr := serve(t, l, readBody)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	idle := time.Now() // the server's idle clock starts after it reads this request
	_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp := slowclient.WaitClosed(t, c, 5*time.Second)
	assert.True(t, strings.HasPrefix(resp, "HTTP/1.1 200 OK"), resp)
	assert.GreaterOrEqual(t, time.Since(idle), 300*time.Millisecond)
}

func TestDefaultLimits(t *testing.T) {
	t.Parallel()
	assert.Zero(t, StreamingLimits().ReadTimeout, "the gateway streams: no deadline on the whole request")
	assert.Positive(t, RequestLimits().ReadTimeout)
	for name, l := range map[string]Limits{"streaming": StreamingLimits(), "request": RequestLimits()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addr := serve(t, l, readBody)
			get := func(headerBytes int) int {
				req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
				require.NoError(t, err)
				req.Header.Set("X-Big", strings.Repeat("a", headerBytes))
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				return resp.StatusCode
			}
			assert.Equal(t, http.StatusOK, get(32<<10))
			assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, get(128<<10))
			assert.Positive(t, l.ReadHeaderTimeout)
			assert.Positive(t, l.IdleTimeout)
		})
	}
}

func TestZeroLimitsTakeTheDefaults(t *testing.T) {
	t.Parallel()
	g := New(slog.New(slog.NewTextHandler(io.Discard, nil)), time.Second)
	srv := g.AddServer("s", "127.0.0.1:0", http.NotFoundHandler(), Limits{})
	d := StreamingLimits()
	assert.Equal(t, d.ReadHeaderTimeout, srv.ReadHeaderTimeout)
	assert.Equal(t, d.IdleTimeout, srv.IdleTimeout)
	assert.Equal(t, d.MaxHeaderBytes, srv.MaxHeaderBytes)
	assert.Zero(t, srv.ReadTimeout)
	assert.Zero(t, srv.WriteTimeout)
}
