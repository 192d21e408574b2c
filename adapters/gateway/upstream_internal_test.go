package gateway

import (
	"bufio"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/internal/testutil"
)

// waitFor bounds every wait of these tests for a state the client or target reaches.
const waitFor = 2 * time.Second

// upOpts tunes the upstream under test; zero fields take the gateway's defaults.
type upOpts struct {
	headerTimeout time.Duration
	idleTimeout   time.Duration
	maxIdle       int
	roots         *x509.CertPool
	proxy         func(*http.Request) (*url.URL, error)
}

// testUpstream is an upstream built as resources.transport builds it, with its two
// dialers counted: fastDials are the HTTP/1.1 client's, stdDials http.Transport's.
type testUpstream struct {
	*upstream
	fastDials atomic.Int32
	stdDials  atomic.Int32
}

func newTestUpstream(t *testing.T, o upOpts) *testUpstream {
	t.Helper()
	cfg := DefaultConfig()
	if o.headerTimeout > 0 {
		cfg.ProxyTimeout = o.headerTimeout
	}
	if o.idleTimeout > 0 {
		cfg.IdleConnTimeout = o.idleTimeout
	}
	if o.maxIdle > 0 {
		cfg.MaxIdleConnsPerHost = o.maxIdle
	}
	cfg.RootCAs = o.roots
	r := newResources(&cfg, slog.New(slog.DiscardHandler))
	std := r.newTransport(false, nil)
	if o.proxy != nil {
		std.Proxy = o.proxy
	}
	tu := &testUpstream{}
	stdDial := std.DialContext
	std.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		tu.stdDials.Add(1)
		return stdDial(ctx, network, addr)
	}
	dial := r.dialer().DialContext
	tu.upstream = newUpstream(std, func(ctx context.Context, network, addr string) (net.Conn, error) {
		tu.fastDials.Add(1)
		return dial(ctx, network, addr)
	}, cfg.ProxyTimeout, cfg.IdleConnTimeout, cfg.MaxIdleConnsPerHost)
	t.Cleanup(tu.CloseIdleConnections)
	return tu
}

// pooled is the number of idle connections to host in the HTTP/1.1 client's pool.
func (tu *testUpstream) pooled(host string, tls bool) int {
	tu.mu.Lock()
	defer tu.mu.Unlock()
	return len(tu.idle[connKey{tls: tls, host: host}])
}

// newReq builds a request bounded by the test's deadline.
func newReq(t *testing.T, method, rawURL string) *http.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	require.NoError(t, err)
	return req
}

// roundTrip sends a GET for path and returns the body read to its end.
func (tu *testUpstream) get(t *testing.T, rawURL string) string {
	t.Helper()
	resp, err := tu.RoundTrip(newReq(t, http.MethodGet, rawURL))
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return string(b)
}

// rawServer is a TCP target with control of the wire: handle runs for each accepted
// connection on its own goroutine. It counts connections, request heads, and the
// connections it saw the client close.
type rawServer struct {
	ln       net.Listener
	handle   func(c *rawConn)
	accepted atomic.Int32
	requests atomic.Int32
	closed   atomic.Int32
	heads    chan *reqHead

	mu      sync.Mutex
	conns   []net.Conn
	perConn map[int]int
	wg      sync.WaitGroup
}

func startRaw(t *testing.T, handle func(c *rawConn)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &rawServer{ln: ln, handle: handle, heads: make(chan *reqHead, 64), perConn: map[int]int{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(s.accepted.Add(1))
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.handle(&rawConn{Conn: c, s: s, n: n, br: bufio.NewReader(c)})
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) host() string { return s.ln.Addr().String() }
func (s *rawServer) url() string  { return "http://" + s.host() }

func (s *rawServer) requestsOn(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perConn[n]
}

// waitClosed waits until the server has seen n connections closed by the client.
func (s *rawServer) waitClosed(t *testing.T, n int32) {
	t.Helper()
	testutil.Eventually(t, waitFor, "the target sees the connection closed", func() (bool, string) {
		got := s.closed.Load()
		return got >= n, fmt.Sprintf("%d closed", got)
	})
}

// rawConn is one accepted connection; n counts them from 1.
type rawConn struct {
	net.Conn
	s  *rawServer
	n  int
	br *bufio.Reader
}

// reqHead is a request head as it was on the wire: its request line and its header
// lines by name exactly as sent (not canonicalised), values in the order sent.
type reqHead struct {
	line   string
	header map[string][]string
	body   string
}

// readHead reads one request head (and a Content-Length body). An error means the
// client closed the connection (or reset it), which the server counts.
func (c *rawConn) readHead() (*reqHead, error) {
	line, err := c.br.ReadString('\n')
	if err != nil {
		c.s.closed.Add(1)
		return nil, err
	}
	h := &reqHead{line: strings.TrimSuffix(line, "\r\n"), header: map[string][]string{}}
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			c.s.closed.Add(1)
			return nil, err
		}
		l = strings.TrimSuffix(l, "\r\n")
		if l == "" {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		h.header[k] = append(h.header[k], strings.TrimPrefix(v, " "))
	}
	if cl := h.header["Content-Length"]; len(cl) == 1 {
		n, _ := strconv.Atoi(cl[0])
		b := make([]byte, n)
		if _, err := io.ReadFull(c.br, b); err != nil {
			c.s.closed.Add(1)
			return nil, err
		}
		h.body = string(b)
	}
	c.s.requests.Add(1)
	c.s.mu.Lock()
	c.s.perConn[c.n]++
	c.s.mu.Unlock()
	select {
	case c.s.heads <- h:
	default:
	}
	return h, nil
}

// waitClose blocks until the client closes the connection, and counts it.
func (c *rawConn) waitClose() {
	_, _ = io.Copy(io.Discard, c.br)
	c.s.closed.Add(1)
}

// answer returns a handler that answers every request on a connection with resp.
func answer(resp string) func(c *rawConn) {
	return func(c *rawConn) {
		for {
			if _, err := c.readHead(); err != nil {
				return
			}
			if _, err := io.WriteString(c, resp); err != nil {
				return
			}
		}
	}
}

const okResp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

// afterFirstHead serves a target's first connection with first, once a request head
// has arrived on it, and answers every later connection with okResp.
func afterFirstHead(first func(c *rawConn)) func(c *rawConn) {
	return func(c *rawConn) {
		if c.n > 1 {
			answer(okResp)(c)
			return
		}
		if _, err := c.readHead(); err != nil {
			return
		}
		first(c)
	}
}

// TestUpstreamWireParity sends the same requests through the upstream's HTTP/1.1
// client and through http.Transport and compares the request heads the target
// receives: the request line and every header line (as a set: order may differ).
func TestUpstreamWireParity(t *testing.T) {
	srv := startRaw(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	tu := newTestUpstream(t, upOpts{})
	plain := &http.Transport{DisableCompression: true}
	t.Cleanup(plain.CloseIdleConnections)

	tests := []struct {
		name   string
		method string
		path   string
		mod    func(r *http.Request)
		// closes: the request asks for the connection to be closed, so it is not pooled.
		closes bool
	}{
		{name: "GET with query", method: "GET", path: "/p/q?a=1&b=%20x&c"},
		{name: "ForceQuery", method: "GET", path: "/fq?"},
		{name: "escaped path needing RawPath", method: "GET", path: "/a%2Fb/c%20d"},
		{name: "empty path", method: "GET", path: ""},
		{name: "HEAD", method: "HEAD", path: "/h"},
		{name: "OPTIONS", method: "OPTIONS", path: "/o"},
		{name: "TRACE", method: "TRACE", path: "/t"},
		{name: "User-Agent present", method: "GET", path: "/", mod: func(r *http.Request) { r.Header.Set("User-Agent", "agent/1.0") }},
		{name: "User-Agent spaced", method: "GET", path: "/", mod: func(r *http.Request) { r.Header.Set("User-Agent", "  agent/2.0\t") }},
		{name: "User-Agent multi-valued", method: "GET", path: "/", mod: func(r *http.Request) { r.Header["User-Agent"] = []string{"first", "second"} }},
		{name: "User-Agent empty", method: "GET", path: "/", mod: func(r *http.Request) { r.Header["User-Agent"] = []string{""} }},
		{name: "User-Agent only spaces", method: "GET", path: "/", mod: func(r *http.Request) { r.Header.Set("User-Agent", "   ") }},
		{name: "User-Agent no values", method: "GET", path: "/", mod: func(r *http.Request) { r.Header["User-Agent"] = []string{} }},
		{name: "Close", method: "GET", path: "/", mod: func(r *http.Request) { r.Close = true }, closes: true},
		{name: "Close with Connection header", method: "GET", path: "/", mod: func(r *http.Request) {
			r.Close = true
			r.Header.Set("Connection", "close")
		}, closes: true},
		{name: "multi-valued headers", method: "GET", path: "/", mod: func(r *http.Request) {
			r.Header.Add("X-Multi", "a")
			r.Header.Add("X-Multi", "b")
			r.Header.Add("Accept", "text/plain")
			r.Header.Add("Accept", "application/json")
		}},
		{name: "values with spaces", method: "GET", path: "/", mod: func(r *http.Request) {
			r.Header["X-Spaced"] = []string{"  lead", "trail  ", "\tboth\t", "in side"}
		}},
		{name: "empty value and non-canonical name", method: "GET", path: "/", mod: func(r *http.Request) {
			r.Header["X-Empty"] = []string{""}
			r.Header["x-lower"] = []string{"v"}
		}},
		{name: "headers written by the body writer are not copied", method: "GET", path: "/", mod: func(r *http.Request) {
			r.Header.Set("Content-Length", "10")
			r.Header.Set("Host", "ignored.example")
		}},
		{name: "Host override", method: "GET", path: "/", mod: func(r *http.Request) { r.Host = "virtual.example:8443" }},
		{name: "Host with IPv6 zone", method: "GET", path: "/", mod: func(r *http.Request) { r.Host = "[fe80::1%25eth0]:80" }},
		{name: "Host not valid as a header", method: "GET", path: "/", mod: func(r *http.Request) { r.Host = `a"b/c` }},
		{name: "Host non-ASCII", method: "GET", path: "/", mod: func(r *http.Request) { r.Host = "bücher.example" }},
		{name: "Accept-Encoding passes as is", method: "GET", path: "/", mod: func(r *http.Request) { r.Header.Set("Accept-Encoding", "br") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			send := func(rt http.RoundTripper) *reqHead {
				t.Helper()
				req := newReq(t, tc.method, srv.url()+tc.path)
				if tc.mod != nil {
					tc.mod(req)
				}
				resp, err := rt.RoundTrip(req)
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, resp.Body)
				require.NoError(t, resp.Body.Close())
				select {
				case h := <-srv.heads:
					return h
				case <-time.After(waitFor):
					t.Fatal("the target received no request")
					return nil
				}
			}
			got := send(tu)
			assert.Zero(t, tu.stdDials.Load(), "served by the HTTP/1.1 client, not http.Transport")
			if tc.closes {
				assert.Zero(t, tu.pooled(srv.host(), false), "a request with Close is not pooled")
			} else {
				assert.Equal(t, 1, tu.pooled(srv.host(), false), "the HTTP/1.1 client pooled its connection")
			}
			want := send(plain)
			assert.Equal(t, want.line, got.line, "request line")
			assert.Equal(t, want.header, got.header, "header lines")
		})
	}

	t.Run("a body goes through http.Transport", func(t *testing.T) {
		fast := tu.fastDials.Load()
		req := newReq(t, http.MethodPost, srv.url()+"/post")
		req.Body = io.NopCloser(strings.NewReader("payload"))
		req.ContentLength = int64(len("payload"))
		resp, err := tu.RoundTrip(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		h := <-srv.heads
		assert.Equal(t, "POST /post HTTP/1.1", h.line)
		assert.Equal(t, "payload", h.body)
		assert.Equal(t, int32(1), tu.stdDials.Load(), "http.Transport dialed")
		assert.Equal(t, fast, tu.fastDials.Load(), "the HTTP/1.1 client did not")
	})
}

// TestUpstreamRejectsWhatTransportRejects sends requests http.Transport refuses to
// write: the HTTP/1.1 client refuses them too and sends nothing (a pooled connection
// stays usable).
func TestUpstreamRejectsWhatTransportRejects(t *testing.T) {
	srv := startRaw(t, answer(okResp))
	tu := newTestUpstream(t, upOpts{})
	plain := &http.Transport{DisableCompression: true}
	t.Cleanup(plain.CloseIdleConnections)

	tests := []struct {
		name string
		mod  func(r *http.Request)
	}{
		{name: "line break in a header value", mod: func(r *http.Request) { r.Header["X-Bad"] = []string{"a\nb"} }},
		{name: "CRLF in a header value", mod: func(r *http.Request) { r.Header["X-Bad"] = []string{"a\r\nX-Injected: 1"} }},
		{name: "invalid header name", mod: func(r *http.Request) { r.Header["Bad Name"] = []string{"v"} }},
		{name: "line break in User-Agent", mod: func(r *http.Request) { r.Header["User-Agent"] = []string{"a\r\nX-Injected: 1"} }},
		{name: "control character in the query", mod: func(r *http.Request) { r.URL.RawQuery = "a=1 HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /smuggled" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newReq(t, http.MethodGet, srv.url()+"/x")
			tc.mod(req)
			_, err := plain.RoundTrip(req)
			require.Error(t, err, "http.Transport rejects it (the premise)")

			before := srv.requests.Load()
			req = newReq(t, http.MethodGet, srv.url()+"/x")
			tc.mod(req)
			resp, err := tu.RoundTrip(req)
			if err == nil {
				_ = resp.Body.Close()
			}
			require.Error(t, err)
			assert.Zero(t, tu.stdDials.Load(), "not handed to http.Transport either")
			assert.Equal(t, "hello", tu.get(t, srv.url()+"/after"), "the next request works")
			assert.Equal(t, before+1, srv.requests.Load(), "only the next request reached the target")
		})
	}
	assert.LessOrEqual(t, tu.fastDials.Load(), int32(1), "no connection was lost to a rejected request")
}

// TestUpstreamKeepAlive: sequential requests share one connection.
func TestUpstreamKeepAlive(t *testing.T) {
	srv := startRaw(t, answer(okResp))
	tu := newTestUpstream(t, upOpts{})
	for range 5 {
		assert.Equal(t, "hello", tu.get(t, srv.url()+"/"))
	}
	assert.Equal(t, int32(1), srv.accepted.Load(), "one TCP connection")
	assert.Equal(t, int32(5), srv.requests.Load())
	assert.Equal(t, int32(1), tu.fastDials.Load())
	assert.Zero(t, tu.stdDials.Load())
}

// TestUpstreamStaleConnRetry: the target closed an idle pooled connection (without
// Connection: close); the next request is sent again on a new connection.
func TestUpstreamStaleConnRetry(t *testing.T) {
	closedByTarget := make(chan struct{})
	srv := startRaw(t, afterFirstHead(func(c *rawConn) {
		_, _ = io.WriteString(c, okResp)
		_ = c.Close()
		close(closedByTarget)
	}))
	tu := newTestUpstream(t, upOpts{})
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/1"))
	require.Equal(t, 1, tu.pooled(srv.host(), false))
	<-closedByTarget

	assert.Equal(t, "hello", tu.get(t, srv.url()+"/2"))
	assert.Equal(t, int32(2), srv.accepted.Load(), "retried on a new connection")
	assert.Equal(t, 1, srv.requestsOn(1))
	assert.Equal(t, 1, srv.requestsOn(2), "the new connection carried the request once")
	assert.Equal(t, 1, tu.pooled(srv.host(), false), "the new connection is pooled")
}

// TestUpstreamReusedConnClosedAfterRequest: a reused connection whose target reads the
// request and closes without an answer is retried once on a new connection.
func TestUpstreamReusedConnClosedAfterRequest(t *testing.T) {
	srv := startRaw(t, afterFirstHead(func(c *rawConn) {
		_, _ = io.WriteString(c, okResp)
		_, _ = c.readHead() // the second request: read, not answered
	}))
	tu := newTestUpstream(t, upOpts{})
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/1"))
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/2"))
	assert.Equal(t, 2, srv.requestsOn(1), "the first connection received the second request")
	assert.Equal(t, 1, srv.requestsOn(2), "the retry sent it once more")
	assert.Equal(t, int32(2), srv.accepted.Load())
}

// TestUpstreamRetryIsOnce: when the retry's fresh connection fails the same way, the
// error is returned; no third attempt.
func TestUpstreamRetryIsOnce(t *testing.T) {
	srv := startRaw(t, func(c *rawConn) {
		if c.n == 1 {
			if _, err := c.readHead(); err != nil {
				return
			}
			_, _ = io.WriteString(c, okResp)
		}
		_, _ = c.readHead()
	})
	tu := newTestUpstream(t, upOpts{})
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/1"))
	_, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/2"))
	require.Error(t, err)
	assert.Equal(t, 2, srv.requestsOn(1))
	assert.Equal(t, 1, srv.requestsOn(2))
	assert.Equal(t, int32(2), srv.accepted.Load(), "one retry")
	assert.Equal(t, int32(3), srv.requests.Load())
}

// TestUpstreamFreshConnNoRetry: a fresh connection closed without an answer is an
// error; the request is not sent again.
func TestUpstreamFreshConnNoRetry(t *testing.T) {
	srv := startRaw(t, func(c *rawConn) { _, _ = c.readHead() })
	tu := newTestUpstream(t, upOpts{})
	_, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
	require.Error(t, err)
	assert.Equal(t, int32(1), srv.requests.Load())
	assert.Equal(t, int32(1), srv.accepted.Load())
	assert.Equal(t, int32(1), tu.fastDials.Load())
	assert.Zero(t, tu.pooled(srv.host(), false))
}

// TestUpstreamResponseHeaderTimeout: a target that never answers yields a timeout
// error after the header timeout, not retried, and its connection is closed.
func TestUpstreamResponseHeaderTimeout(t *testing.T) {
	srv := startRaw(t, func(c *rawConn) {
		if _, err := c.readHead(); err != nil {
			return
		}
		c.waitClose()
	})
	const timeout = 200 * time.Millisecond
	tu := newTestUpstream(t, upOpts{headerTimeout: timeout})
	start := time.Now()
	_, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
	elapsed := time.Since(start)
	require.Error(t, err)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "a timeout: %v", err)
	assert.GreaterOrEqual(t, elapsed, timeout-10*time.Millisecond)
	assert.Less(t, elapsed, waitFor, "within the header timeout (generous bound)")
	srv.waitClosed(t, 1)
	assert.Equal(t, int32(1), srv.requests.Load(), "a timeout is not retried")
}

// TestUpstreamTimeoutOnReusedConn: the header timeout of a reused connection is not
// mistaken for a stale connection (no retry).
func TestUpstreamTimeoutOnReusedConn(t *testing.T) {
	srv := startRaw(t, func(c *rawConn) {
		if _, err := c.readHead(); err != nil {
			return
		}
		_, _ = io.WriteString(c, okResp)
		if _, err := c.readHead(); err != nil {
			return
		}
		c.waitClose()
	})
	tu := newTestUpstream(t, upOpts{headerTimeout: 200 * time.Millisecond})
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/1"))
	_, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/2"))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Equal(t, int32(1), srv.accepted.Load(), "not retried on a new connection")
}

// TestUpstreamCancelWaitingForHeaders: cancelling the request's context while the
// target has not answered returns context.Canceled at once and closes the connection.
func TestUpstreamCancelWaitingForHeaders(t *testing.T) {
	got := make(chan struct{})
	srv := startRaw(t, func(c *rawConn) {
		if _, err := c.readHead(); err != nil {
			return
		}
		close(got)
		c.waitClose()
	})
	tu := newTestUpstream(t, upOpts{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req := newReq(t, http.MethodGet, srv.url()+"/").WithContext(ctx)
	cancelled := make(chan time.Time, 1)
	go func() {
		<-got
		cancelled <- time.Now()
		cancel()
	}()
	_, err := tu.RoundTrip(req)
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(<-cancelled), waitFor/2, "returned promptly after the cancel")
	srv.waitClosed(t, 1)
	assert.Zero(t, tu.pooled(srv.host(), false))
	assert.Equal(t, int32(1), srv.requests.Load(), "not retried")
}

// TestUpstreamCancelWhileBodyStreams: cancelling while the body streams makes Read
// return context.Canceled, and the connection is closed, not pooled.
func TestUpstreamCancelWhileBodyStreams(t *testing.T) {
	srv := startRaw(t, afterFirstHead(func(c *rawConn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
		c.waitClose()
	}))
	tu := newTestUpstream(t, upOpts{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/").WithContext(ctx))
	require.NoError(t, err)
	buf := make([]byte, 5)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf))

	done := make(chan error, 1)
	go func() {
		_, err := resp.Body.Read(buf)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(waitFor):
		t.Fatal("Read did not return after the cancel")
	}
	require.NoError(t, resp.Body.Close())
	srv.waitClosed(t, 1)
	assert.Zero(t, tu.pooled(srv.host(), false))
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/next"))
	assert.Equal(t, int32(2), srv.accepted.Load(), "the cancelled connection was not reused")
}

// TestUpstreamBodyEOFPools: a body read to its end gives the connection back.
func TestUpstreamBodyEOFPools(t *testing.T) {
	srv := startRaw(t, answer(okResp))
	tu := newTestUpstream(t, upOpts{})
	resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
	require.NoError(t, err)
	assert.Zero(t, tu.pooled(srv.host(), false), "in use while the body is open")
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))
	assert.Equal(t, 1, tu.pooled(srv.host(), false), "pooled at EOF, before Close")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 1, tu.pooled(srv.host(), false), "Close after EOF keeps it pooled")
	// Reading again after EOF must not touch the connection, which is no longer ours.
	n, err := resp.Body.Read(make([]byte, 1))
	assert.Zero(t, n)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/"))
	assert.Equal(t, int32(1), srv.accepted.Load())
}

// partialBody starts a target whose first answer announces length bytes, sends "abc"
// and holds the rest back, and returns the response with "abc" read from it.
func partialBody(t *testing.T, length int) (*rawServer, *testUpstream, *http.Response) {
	t.Helper()
	srv := startRaw(t, afterFirstHead(func(c *rawConn) {
		_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\nabc", length)
		c.waitClose()
	}))
	tu := newTestUpstream(t, upOpts{})
	resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
	require.NoError(t, err)
	buf := make([]byte, 3)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	require.Equal(t, "abc", string(buf))
	return srv, tu, resp
}

// TestUpstreamBodyCloseBeforeEOF: closing a body before its end closes the connection
// (the target sees it closed) instead of pooling it.
func TestUpstreamBodyCloseBeforeEOF(t *testing.T) {
	srv, tu, resp := partialBody(t, 100000)
	buf := make([]byte, 3)
	require.NoError(t, resp.Body.Close())
	srv.waitClosed(t, 1)
	assert.Zero(t, tu.pooled(srv.host(), false))
	_, err := resp.Body.Read(buf)
	assert.Error(t, err, "a closed body reads no more")
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/"))
	assert.Equal(t, int32(2), srv.accepted.Load())
}

// TestUpstreamBodyCloseDuringRead: Close while a Read waits for the target unblocks the
// Read (run with -race: the two may run concurrently, as the idle timer does).
func TestUpstreamBodyCloseDuringRead(t *testing.T) {
	srv, tu, resp := partialBody(t, 10)
	b := resp.Body.(*h1Body)
	assert.False(t, b.buffered(), "7 bytes of the body have not arrived")

	done := make(chan error, 1)
	go func() {
		_, err := resp.Body.Read(make([]byte, 10))
		done <- err
	}()
	require.NoError(t, resp.Body.Close())
	select {
	case err := <-done:
		assert.Error(t, err)
	case <-time.After(waitFor):
		t.Fatal("Read did not return after Close")
	}
	srv.waitClosed(t, 1)
	assert.Zero(t, tu.pooled(srv.host(), false))
}

// TestUpstreamBodyBuffered: buffered (the idle timers' shortcut) reports a body whose
// rest has arrived, and never a body of unknown length.
func TestUpstreamBodyBuffered(t *testing.T) {
	srv := startRaw(t, func(c *rawConn) {
		for {
			h, err := c.readHead()
			if err != nil {
				return
			}
			if strings.HasPrefix(h.line, "GET /chunked ") {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
				continue
			}
			_, _ = io.WriteString(c, okResp)
		}
	})
	tu := newTestUpstream(t, upOpts{})
	resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/known"))
	require.NoError(t, err)
	b := resp.Body.(*h1Body)
	assert.Equal(t, int64(5), b.left)
	// The target wrote head and body in one small write, which the loopback delivers
	// whole to the read of the head.
	assert.True(t, b.buffered(), "the whole body came with the head")
	buf := make([]byte, 2)
	_, err = io.ReadFull(b, buf)
	require.NoError(t, err)
	assert.Equal(t, int64(3), b.left, "left counts down")
	rest, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, "llo", string(rest))
	assert.Zero(t, b.left)

	resp, err = tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/chunked"))
	require.NoError(t, err)
	b = resp.Body.(*h1Body)
	assert.Equal(t, int64(-1), b.left)
	assert.False(t, b.buffered(), "a chunked body's length is unknown")
	_, err = io.ReadAll(b)
	require.NoError(t, err)
}

// TestUpstreamTrailers: the trailers of a chunked response are in resp.Trailer once the
// body has been read, and the connection is pooled after them.
func TestUpstreamTrailers(t *testing.T) {
	srv := startRaw(t, answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"+
		"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc123\r\n\r\n"))
	tu := newTestUpstream(t, upOpts{})
	resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "hello world", string(b))
	assert.Equal(t, "abc123", resp.Trailer.Get("X-Checksum"))
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 1, tu.pooled(srv.host(), false))
	assert.Equal(t, "hello world", tu.get(t, srv.url()+"/"))
	assert.Equal(t, int32(1), srv.accepted.Load(), "the trailer was consumed: the connection is reusable")
}

// TestUpstreamInformational: 1xx responses go to httptrace and the final response is
// returned; more than five, or an unsolicited 101, fail.
func TestUpstreamInformational(t *testing.T) {
	const hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
	tests := []struct {
		name    string
		resp    string
		wantErr string
		want1xx int
	}{
		{name: "103 then 200", resp: hints + okResp, want1xx: 1},
		{name: "five 1xx", resp: strings.Repeat(hints, 5) + okResp, want1xx: 5},
		{name: "six 1xx", resp: strings.Repeat(hints, 6) + okResp, wantErr: "unexpected 103"},
		{name: "unsolicited 101", resp: "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n", wantErr: "unexpected 101"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRaw(t, func(c *rawConn) {
				if _, err := c.readHead(); err != nil {
					return
				}
				_, _ = io.WriteString(c, tc.resp)
				c.waitClose()
			})
			tu := newTestUpstream(t, upOpts{})
			var codes []int
			var links []string
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				codes = append(codes, code)
				links = append(links, h.Get("Link"))
				return nil
			}}
			req := newReq(t, http.MethodGet, srv.url()+"/")
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
			resp, err := tu.RoundTrip(req)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				srv.waitClosed(t, 1)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, "hello", string(b))
			require.Len(t, codes, tc.want1xx)
			for i := range codes {
				assert.Equal(t, http.StatusEarlyHints, codes[i])
				assert.Equal(t, "</style.css>; rel=preload", links[i])
			}
		})
	}
}

// TestUpstreamHeaderSizeLimit: response headers over 10 MiB are an error, not an
// unbounded read.
func TestUpstreamHeaderSizeLimit(t *testing.T) {
	srv := startRaw(t, func(c *rawConn) {
		h, err := c.readHead()
		if err != nil {
			return
		}
		if strings.HasPrefix(h.line, "GET /small ") {
			// A first answer puts the connection in the pool, so the oversized answer
			// comes on a reused one, which must not count as a stale connection.
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
			if _, err := c.readHead(); err != nil {
				return
			}
		}
		line := "X-Pad: " + strings.Repeat("a", 8<<10) + "\r\n"
		bw := bufio.NewWriterSize(c, 64<<10)
		_, _ = bw.WriteString("HTTP/1.1 200 OK\r\n")
		for sent := 0; sent < maxResponseHeaderBytes+(1<<20); sent += len(line) {
			if _, err := bw.WriteString(line); err != nil {
				return
			}
		}
		_, _ = bw.WriteString("\r\n")
		_ = bw.Flush()
		c.waitClose()
	})
	tu := newTestUpstream(t, upOpts{})
	resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/small"))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	_, err = tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exceeded")
	srv.waitClosed(t, 1)
	assert.EqualValues(t, 2, srv.requests.Load(), "an oversized answer is not retried")
	assert.EqualValues(t, 1, srv.accepted.Load())
}

// TestUpstreamNoBodyResponses: HEAD, 204 and 304 responses have http.NoBody and their
// connection is pooled at once.
func TestUpstreamNoBodyResponses(t *testing.T) {
	srv := startRaw(t, func(c *rawConn) {
		for {
			h, err := c.readHead()
			if err != nil {
				return
			}
			resp := "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" // HEAD: no body follows
			switch {
			case strings.HasPrefix(h.line, "GET /204 "):
				resp = "HTTP/1.1 204 No Content\r\n\r\n"
			case strings.HasPrefix(h.line, "GET /304 "):
				resp = "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nEtag: \"x\"\r\n\r\n"
			case strings.HasPrefix(h.line, "GET /empty "):
				resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
			}
			_, _ = io.WriteString(c, resp)
		}
	})
	tu := newTestUpstream(t, upOpts{})
	for _, tc := range []struct{ method, path string }{{"HEAD", "/"}, {"GET", "/204"}, {"GET", "/304"}, {"GET", "/empty"}} {
		resp, err := tu.RoundTrip(newReq(t, tc.method, srv.url()+tc.path))
		require.NoError(t, err, tc.path)
		assert.Equal(t, http.NoBody, resp.Body, "%s %s", tc.method, tc.path)
		assert.Equal(t, 1, tu.pooled(srv.host(), false), "%s %s: pooled before the body is touched", tc.method, tc.path)
	}
	assert.Equal(t, int32(1), srv.accepted.Load(), "every request reused the connection")
	assert.Equal(t, int32(4), srv.requests.Load())
}

// TestUpstreamResponseConnectionClose: a response with Connection: close (with or
// without a body) does not leave its connection in the pool.
func TestUpstreamResponseConnectionClose(t *testing.T) {
	for name, resp := range map[string]string{
		"with body":    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
		"without body": "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
		// No length: the body ends with the connection, which is not reusable either.
		"until close": "HTTP/1.1 200 OK\r\n\r\nhello",
	} {
		t.Run(name, func(t *testing.T) {
			srv := startRaw(t, func(c *rawConn) {
				if _, err := c.readHead(); err != nil {
					return
				}
				_, _ = io.WriteString(c, resp)
				if strings.Contains(resp, "Connection: close") {
					// The target keeps its end open: only the client's close ends it.
					c.waitClose()
				}
			})
			tu := newTestUpstream(t, upOpts{})
			r, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
			require.NoError(t, err)
			_, err = io.ReadAll(r.Body)
			require.NoError(t, err)
			require.NoError(t, r.Body.Close())
			assert.Zero(t, tu.pooled(srv.host(), false))
			if strings.Contains(resp, "Connection: close") {
				srv.waitClosed(t, 1)
			}
		})
	}
}

// TestUpstreamIdleTimeout: a pooled connection is closed when idle for the idle
// timeout.
func TestUpstreamIdleTimeout(t *testing.T) {
	srv := startRaw(t, answer(okResp))
	const idle = 100 * time.Millisecond
	tu := newTestUpstream(t, upOpts{idleTimeout: idle})
	resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
	require.NoError(t, err)
	start := time.Now()
	_, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	srv.waitClosed(t, 1)
	assert.GreaterOrEqual(t, time.Since(start), idle, "not before the idle timeout")
	assert.Zero(t, tu.pooled(srv.host(), false))
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/"))
	assert.Equal(t, int32(2), srv.accepted.Load())
}

// TestUpstreamMaxIdle: with a limit of one idle connection per target, the second of
// two concurrent requests to finish closes its connection.
func TestUpstreamMaxIdle(t *testing.T) {
	var arrived atomic.Int32
	both := make(chan struct{})
	srv := startRaw(t, func(c *rawConn) {
		if _, err := c.readHead(); err != nil {
			return
		}
		if arrived.Add(1) == 2 {
			close(both)
		}
		<-both // both requests are in flight, on two connections
		_, _ = io.WriteString(c, okResp)
		answer(okResp)(c)
	})
	tu := newTestUpstream(t, upOpts{maxIdle: 1})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.url()+"/"))
			if !assert.NoError(t, err) {
				return
			}
			_, err = io.ReadAll(resp.Body)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(2), srv.accepted.Load())
	assert.Equal(t, 1, tu.pooled(srv.host(), false))
	srv.waitClosed(t, 1)
	assert.Equal(t, int32(1), srv.closed.Load(), "only the connection over the limit was closed")
}

// TestUpstreamTLS: an https target that speaks only HTTP/1.1 goes through the HTTP/1.1
// client; one that negotiates h2 goes to http.Transport, then and afterwards.
func TestUpstreamTLS(t *testing.T) {
	proto := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) })
	roots := func(s *httptest.Server) *x509.CertPool {
		p := x509.NewCertPool()
		p.AddCert(s.Certificate())
		return p
	}

	t.Run("http/1.1", func(t *testing.T) {
		srv := httptest.NewTLSServer(proto)
		t.Cleanup(srv.Close)
		tu := newTestUpstream(t, upOpts{roots: roots(srv)})
		host := strings.TrimPrefix(srv.URL, "https://")
		for range 3 {
			assert.Equal(t, "HTTP/1.1", tu.get(t, srv.URL+"/"))
		}
		assert.Equal(t, 1, tu.pooled(host, true))
		assert.Equal(t, int32(1), tu.fastDials.Load(), "one TLS connection, reused")
		assert.Zero(t, tu.stdDials.Load())
	})

	t.Run("h2", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(proto)
		srv.EnableHTTP2 = true
		srv.StartTLS()
		t.Cleanup(srv.Close)
		tu := newTestUpstream(t, upOpts{roots: roots(srv)})
		host := strings.TrimPrefix(srv.URL, "https://")
		for range 3 {
			resp, err := tu.RoundTrip(newReq(t, http.MethodGet, srv.URL+"/"))
			require.NoError(t, err)
			assert.Equal(t, 2, resp.ProtoMajor)
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, "HTTP/2.0", string(b))
			require.NoError(t, resp.Body.Close())
		}
		tu.mu.Lock()
		viaStd := tu.viaStd[connKey{tls: true, host: host}]
		tu.mu.Unlock()
		assert.True(t, viaStd, "the target is recorded as an HTTP/2 one")
		assert.Equal(t, int32(1), tu.fastDials.Load(), "only the first request's handshake found out")
		assert.Equal(t, int32(1), tu.stdDials.Load(), "http.Transport's one HTTP/2 connection serves them all")
		assert.Zero(t, tu.pooled(host, true))
	})
}

// TestUpstreamProxyFromEnvironment: a target reached through an HTTP proxy goes to
// http.Transport, which speaks to the proxy.
func TestUpstreamProxyFromEnvironment(t *testing.T) {
	var seen atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Method + " " + r.URL.String())
		_, _ = io.WriteString(w, "via proxy")
	}))
	t.Cleanup(proxy.Close)
	pu, err := url.Parse(proxy.URL)
	require.NoError(t, err)
	tu := newTestUpstream(t, upOpts{proxy: http.ProxyURL(pu)})
	assert.Equal(t, "via proxy", tu.get(t, "http://target.invalid/path?q=1"))
	assert.Equal(t, "GET http://target.invalid/path?q=1", seen.Load())
	assert.Zero(t, tu.fastDials.Load())
	assert.Equal(t, int32(1), tu.stdDials.Load())
}

// TestUpstreamFastPathSelection: what the HTTP/1.1 client leaves to http.Transport.
func TestUpstreamFastPathSelection(t *testing.T) {
	tu := newTestUpstream(t, upOpts{})
	tests := []struct {
		name string
		mod  func(r *http.Request)
		fast bool
	}{
		{name: "GET", fast: true},
		{name: "HEAD", mod: func(r *http.Request) { r.Method = http.MethodHead }, fast: true},
		{name: "OPTIONS", mod: func(r *http.Request) { r.Method = http.MethodOptions }, fast: true},
		{name: "TRACE", mod: func(r *http.Request) { r.Method = http.MethodTrace }, fast: true},
		{name: "GET with NoBody", mod: func(r *http.Request) { r.Body = http.NoBody }, fast: true},
		{name: "https", mod: func(r *http.Request) { r.URL.Scheme = "https" }, fast: true},
		{name: "DELETE", mod: func(r *http.Request) { r.Method = http.MethodDelete }},
		{name: "POST without body", mod: func(r *http.Request) { r.Method = http.MethodPost }},
		{name: "GET with a body", mod: func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("x")) }},
		{name: "GET with a length", mod: func(r *http.Request) { r.ContentLength = 1 }},
		{name: "Expect", mod: func(r *http.Request) { r.Header.Set("Expect", "100-continue") }},
		{name: "Upgrade", mod: func(r *http.Request) {
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "websocket")
		}},
		{name: "Transfer-Encoding", mod: func(r *http.Request) { r.TransferEncoding = []string{"chunked"} }},
		{name: "Trailer", mod: func(r *http.Request) { r.Trailer = http.Header{"X-T": nil} }},
		{name: "other scheme", mod: func(r *http.Request) { r.URL.Scheme = "ftp" }},
		{name: "no host", mod: func(r *http.Request) { r.URL.Host = "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newReq(t, http.MethodGet, "http://127.0.0.1:1/x")
			if tc.mod != nil {
				tc.mod(req)
			}
			key, fast := tu.fast(req)
			assert.Equal(t, tc.fast, fast)
			if fast {
				assert.Equal(t, connKey{tls: req.URL.Scheme == "https", host: "127.0.0.1:1"}, key)
			}
		})
	}
}

// TestUpstreamCloseIdleConnections closes the pooled connections.
func TestUpstreamCloseIdleConnections(t *testing.T) {
	srv := startRaw(t, answer(okResp))
	tu := newTestUpstream(t, upOpts{})
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/"))
	require.Equal(t, 1, tu.pooled(srv.host(), false))
	tu.CloseIdleConnections()
	srv.waitClosed(t, 1)
	assert.Zero(t, tu.pooled(srv.host(), false))
	assert.Equal(t, "hello", tu.get(t, srv.url()+"/"))
	assert.Equal(t, int32(2), srv.accepted.Load())
}
