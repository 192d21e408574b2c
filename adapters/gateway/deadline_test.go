package gateway_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
)

// The gateway moves the client connection's write deadline while it proxies a response.
// A later request on the same keep-alive connection must not inherit it: neither the
// gateway's own answer (404 here) nor a proxied one may fail because the previous
// response's idle limit has run out since.
func TestKeepAliveConnectionOutlivesPreviousWriteDeadline(t *testing.T) {
	const idle = 200 * time.Millisecond
	e := newEnv(t, func(c *gateway.Config) { c.BodyIdleTimeout = idle })
	echo := newEcho(t)
	e.put(t, app("shop", echo.URL, nil))
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
	t.Cleanup(client.CloseIdleConnections)

	get := func(path string) (*http.Response, bool) {
		t.Helper()
		var reused bool
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", e.standalone.URL+path, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err, "the gateway must answer on the kept-alive connection")
		_ = body(t, resp)
		return resp, reused
	}
	resp, _ := get("/shop/orders-api/first")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// Wait until the limit set for the first response lies in the past.
	expired := time.Now().Add(2 * idle)
	require.Eventually(t, func() bool { return time.Now().After(expired) }, 10*time.Second, idle/4)

	resp, reused := get("/unknown/orders-api/x")
	assert.True(t, reused, "the second request must use the first one's connection")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	expired = time.Now().Add(2 * idle)
	require.Eventually(t, func() bool { return time.Now().After(expired) }, 10*time.Second, idle/4)
	resp, reused = get("/shop/orders-api/third")
	assert.True(t, reused)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// The gateway no longer flushes before every read of the target's body, only when a
// read waits. What it received must still reach the client while the target stalls:
// the head and the first body bytes arrive long before the idle timeout, while the
// target is still holding the rest back.
func TestBodyReceivedSoFarReachesClientWhileTargetStalls(t *testing.T) {
	e := newEnv(t, nil) // default idle timeout: 10 s
	release := make(chan struct{})
	target := newFaultServer(t, func(c net.Conn) {
		readRequest(c)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\npartial")
		<-release
		_, _ = io.WriteString(c, " rest")
	})
	t.Cleanup(target.close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	e.put(t, app("stall", target.url(), nil))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.standalone.URL+"/stall/orders-api/x", nil)
	require.NoError(t, err)
	start := time.Now()
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	got := make([]byte, len("partial"))
	_, err = io.ReadFull(resp.Body, got)
	require.NoError(t, err)
	assert.Equal(t, "partial", string(got))
	assert.Less(t, time.Since(start), 5*time.Second, "received bytes are flushed while the target stalls, not at the idle timeout")

	close(release)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, " rest", string(rest))
}
