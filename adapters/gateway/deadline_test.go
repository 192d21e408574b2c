package gateway_test

import (
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
)

// The write deadline the gateway sets on a client connection while proxying a response
// stays on the connection after the request. A later request on the same keep-alive
// connection must not inherit it: neither the gateway's own answer (404 here) nor a
// proxied one may fail because the previous response's idle limit has run out since.
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
