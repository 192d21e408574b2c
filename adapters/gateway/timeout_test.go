package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/internal/testutil"
)

// closedWithin reads c until EOF or an error and reports whether the peer closed the
// connection before d passed (a read timeout means it did not).
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func TestStalledTargetResponseIsFlushedThenCut(t *testing.T) {
	const idle = time.Second
	e := newEnv(t, func(c *gateway.Config) { c.BodyIdleTimeout = idle })
	upstream := make(chan net.Conn, 1)
	target := newFaultServer(t, func(c net.Conn) {
		readRequest(c)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nX-Target: yes\r\n\r\npartial")
		upstream <- c // and stall
	})
	t.Cleanup(target.close)
	e.put(t, app("stall", target.url(), nil))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.standalone.URL+"/stall/orders-api/x", nil)
	require.NoError(t, err)
	start := time.Now()
	resp, err := e.client.Do(req)
	require.NoError(t, err, "status and headers must reach the client before the target finishes")
	headers := time.Since(start)
	assert.Less(t, headers, idle, "headers are flushed as soon as the target sent them")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "yes", resp.Header.Get("X-Target"))

	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	total := time.Since(start)
	assert.Equal(t, "partial", string(b))
	require.Error(t, err, "a cut-off body must not look complete")
	assert.GreaterOrEqual(t, total, idle*9/10, "cut by the idle timeout, not before")
	t.Logf("headers after %s, body cut after %s", headers, total)

	// The gateway let go of the target's connection.
	c := <-upstream
	assert.True(t, closedWithin(c, 5*time.Second), "the gateway must close the stalled target's connection")
}

// endless is a request body that never ends on its own.
type endless struct{ n int64 }

func (r *endless) Read(p []byte) (int, error) {
	if r.n > 1<<30 {
		return 0, io.EOF // a safety stop; the gateway must cut long before
	}
	clear(p)
	r.n += int64(len(p))
	return len(p), nil
}

func TestTargetThatStopsReadingRequestBodyIsCut(t *testing.T) {
	const idle = 500 * time.Millisecond
	e := newEnv(t, func(c *gateway.Config) { c.BodyIdleTimeout = idle })
	upstream := make(chan net.Conn, 1)
	target := newFaultServer(t, func(c net.Conn) {
		readRequest(c) // the head only; the body is never read
		upstream <- c
	})
	t.Cleanup(target.close)
	e.put(t, app("sink", target.url(), nil))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", e.standalone.URL+"/sink/orders-api/upload", &endless{})
	require.NoError(t, err)
	start := time.Now()
	resp, err := e.client.Do(req)
	if err == nil {
		msg := errorBody(t, resp, http.StatusGatewayTimeout)
		assert.Contains(t, msg, "stopped reading")
	} else {
		// The gateway answered while the client was still sending; the client may see the
		// closed connection instead of the answer.
		require.NoError(t, ctx.Err(), "the upload must be cut by the gateway, not by the test's deadline: %v", err)
	}
	t.Logf("upload cut after %s (err %v)", time.Since(start), err)
	c := <-upstream
	assert.True(t, closedWithin(c, 5*time.Second), "the gateway must close the connection to the target")
}

// rawPost opens a connection to the gateway and sends a POST head announcing length bytes.
func rawPost(t *testing.T, addr, path string, length int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\n\r\n", path, length)
	require.NoError(t, err)
	return c
}

// trickle sends body one byte per gap.
func trickle(c net.Conn, body string, gap time.Duration) error {
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for i := range len(body) {
		<-tick.C
		if _, err := c.Write([]byte{body[i]}); err != nil {
			return err
		}
	}
	return nil
}

func TestSlowClientUpload(t *testing.T) {
	const idle = 400 * time.Millisecond
	e := newEnv(t, func(c *gateway.Config) { c.BodyIdleTimeout = idle })
	up := newEcho(t)
	e.put(t, app("echo", up.URL, nil))
	addr := strings.TrimPrefix(e.standalone.URL, "http://")

	t.Run("trickle faster than the idle timeout keeps working", func(t *testing.T) {
		c := rawPost(t, addr, "/echo/orders-api", 8)
		start := time.Now()
		require.NoError(t, trickle(c, "abcdefgh", idle/4))
		require.Greater(t, time.Since(start), idle, "the whole upload takes longer than the idle timeout")
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		got := readEcho(t, resp)
		assert.Equal(t, "abcdefgh", got.Body)
	})

	t.Run("client silent longer than the idle timeout is cut", func(t *testing.T) {
		released := make(chan error, 1)
		target := newFaultServer(t, func(c net.Conn) {
			req, err := http.ReadRequest(bufio.NewReader(c))
			if err == nil {
				_, err = io.Copy(io.Discard, req.Body)
			}
			released <- err
		})
		t.Cleanup(target.close)
		e.put(t, app("slow", target.url(), nil))
		c := rawPost(t, addr, "/slow/orders-api", 100000)
		start := time.Now()
		_, err := c.Write([]byte("abc"))
		require.NoError(t, err)
		// Silent from now on: the gateway answers 408 and closes, or just closes.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
			_ = resp.Body.Close()
		} else {
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "the gateway kept the stalled client's connection open")
		}
		assert.True(t, closedWithin(c, 5*time.Second), "the gateway must close the stalled client's connection")
		assert.GreaterOrEqual(t, time.Since(start), idle*9/10)
		select {
		case err := <-released:
			assert.Error(t, err, "the target must see the request cut short")
		case <-time.After(5 * time.Second):
			t.Fatal("the target connection was not released")
		}
	})
}

// logRecords collects JSON log records.
type logRecords struct{ buf testutil.SyncBuffer }

func (l *logRecords) requests(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		if m["msg"] == "request" && m["app"] != "zz-sync" {
			out = append(out, m)
		}
	}
	return out
}

func TestRequestLog(t *testing.T) {
	up := newEcho(t)
	for _, tc := range []struct {
		name      string
		accessLog bool
		level     slog.Level
		want      bool
	}{
		{"debug level logs requests", false, slog.LevelDebug, true},
		{"info level without access log is quiet", false, slog.LevelInfo, false},
		{"access log at info level", true, slog.LevelInfo, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs logRecords
			logger := slog.New(slog.NewJSONHandler(&logs.buf, &slog.HandlerOptions{Level: tc.level}))
			e := newEnvWithLogger(t, func(c *gateway.Config) { c.AccessLog = tc.accessLog }, logger)
			e.put(t, app("shop", up.URL, nil))
			readEcho(t, e.do(t, "POST", "/shop/orders-api/orders?token=s3cret-query", strings.NewReader("body"), "Authorization", "Bearer s3cret-header"))
			body(t, e.do(t, "GET", "/nope/orders-api/x?token=s3cret-query", nil))
			assert.NotContains(t, logs.buf.String(), "s3cret")
			reqs := logs.requests(t)
			if !tc.want {
				assert.Empty(t, reqs)
				return
			}
			require.Len(t, reqs, 2, logs.buf.String())
			ok, missing := reqs[0], reqs[1]
			wantLevel := "DEBUG"
			if tc.accessLog {
				wantLevel = "INFO"
			}
			assert.Equal(t, wantLevel, ok["level"])
			assert.Equal(t, "POST", ok["method"])
			assert.Equal(t, "shop", ok["app"])
			assert.Equal(t, "orders-api", ok["service"])
			assert.EqualValues(t, http.StatusOK, ok["status"])
			assert.Contains(t, ok, "duration")
			assert.Equal(t, "nope", missing["app"])
			assert.EqualValues(t, http.StatusNotFound, missing["status"])
		})
	}
}

func TestNewServerLimits(t *testing.T) {
	srv := gateway.NewServer("127.0.0.1:0", http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	assert.Positive(t, srv.ReadHeaderTimeout)
	assert.Positive(t, srv.IdleTimeout)
	assert.Positive(t, srv.MaxHeaderBytes)
	assert.LessOrEqual(t, srv.MaxHeaderBytes, 1<<20)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	// Headers larger than the limit are refused.
	req, err := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
	require.NoError(t, err)
	req.Header.Set("X-Big", strings.Repeat("x", 2<<20))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}

func TestBodyIdleTimeoutConfig(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	_, err := gateway.New(gateway.Config{BodyIdleTimeout: -time.Second}, memory.NewApplicationRepository(), memory.NewSecretStore(), logger)
	require.Error(t, err)
	assert.Equal(t, gateway.DefaultConfig().ProxyTimeout, gateway.DefaultConfig().BodyIdleTimeout)
}

func TestClientThatStopsReadingIsCut(t *testing.T) {
	const idle = 500 * time.Millisecond
	e := newEnv(t, func(c *gateway.Config) { c.BodyIdleTimeout = idle })
	targetDone := make(chan error, 1)
	up := httptestServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		var err error
		for i := 0; i < 1<<14 && err == nil; i++ { // at most 1 GiB; the gateway must cut long before
			_, err = w.Write(chunk)
		}
		targetDone <- err
	}))
	t.Cleanup(up.Close)
	e.put(t, app("big", up.URL, nil))

	c, err := net.Dial("tcp", strings.TrimPrefix(e.standalone.URL, "http://"))
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET /big/orders-api HTTP/1.1\r\nHost: gw\r\n\r\n")
	require.NoError(t, err)
	// The client reads nothing more: once the buffers on the way are full, the gateway's
	// writes stall.
	select {
	case err := <-targetDone:
		assert.Error(t, err, "the target's connection must be closed while it is still sending")
	case <-time.After(10 * time.Second):
		t.Fatal("a client that stopped reading still holds the target")
	}
	assert.True(t, closedWithin(c, 5*time.Second), "the gateway must close the client's connection")
}

// TestSilentClientToUnreachableTarget: the target is never reached, so nothing reads the
// request body; the server still drains it before answering, which must not wait for a
// client that sends nothing.
func TestSilentClientToUnreachableTarget(t *testing.T) {
	const idle = 500 * time.Millisecond
	e := newEnv(t, func(c *gateway.Config) { c.BodyIdleTimeout = idle })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	e.put(t, app("dead", dead, nil))
	c := rawPost(t, strings.TrimPrefix(e.standalone.URL, "http://"), "/dead/orders-api", 100000)
	_, err = c.Write([]byte("abc"))
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err, "the gateway must answer without waiting for the rest of the body")
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	_ = resp.Body.Close()
	assert.True(t, closedWithin(c, 5*time.Second))
}
