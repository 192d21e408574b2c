package gateway_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/internal/testutil"
)

// The tests in this file pin down what a bodiless GET/HEAD/OPTIONS/TRACE request
// forwarded through the gateway looks like on both sides, end to end: a real target on
// loopback, the gateway's listener, a real client. They describe the behaviour of the
// httputil.ReverseProxy path, so that a specialised forwarding path for these requests
// can be held against exactly the same behaviour.

// forwardTarget starts a target with h, registers it as the application "shop" and
// returns its URL.
func forwardTarget(t *testing.T, e *env, h http.Handler) string {
	t.Helper()
	u := newEchoLike(t, h)
	e.put(t, app("shop", u, nil))
	return u
}

// getCtx sends a GET through the standalone listener that fails instead of hanging
// when the answer does not come within d.
func getCtx(t *testing.T, e *env, path string, d time.Duration) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.standalone.URL+path, nil)
	require.NoError(t, err)
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	return resp
}

// closeOnce closes ch unless it is closed already, so a test can release a target both
// on its normal path and in its cleanup.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// TestForwardResponseTrailers: trailers the target declares (Trailer header) are
// announced to the client and arrive after the body; a trailer the target sends without
// declaring it (http.TrailerPrefix) arrives too, without being announced.
func TestForwardResponseTrailers(t *testing.T) {
	e := newEnv(t, nil)
	forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "part one, ")
		w.(http.Flusher).Flush() // chunked: trailers need it
		_, _ = io.WriteString(w, "part two")
		w.Header().Set("X-Checksum", "sha256=abc")
		w.Header().Set(http.TrailerPrefix+"X-Undeclared", "late")
	}))

	resp := getCtx(t, e, "/shop/orders-api/data", 10*time.Second)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(-1), resp.ContentLength)
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	// Before the body is read the client knows the announced names, without values.
	assert.Equal(t, http.Header{"X-Checksum": nil}, resp.Trailer, "only the declared trailer is announced")
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "part one, part two", string(b))
	assert.Equal(t, http.Header{"X-Checksum": {"sha256=abc"}, "X-Undeclared": {"late"}}, resp.Trailer)
	assert.Empty(t, resp.Header.Values("X-Checksum"), "a trailer is not a header")
	assert.Empty(t, resp.Header.Values("X-Undeclared"))
}

// TestForwardStreamsUnknownLengthBody: a response of unknown length is passed on as it
// arrives. The target holds its second event back until the client has read the first,
// so a gateway that buffers the body fails the request at its deadline instead of
// hanging.
func TestForwardStreamsUnknownLengthBody(t *testing.T) {
	for _, ct := range []string{"text/event-stream", "application/octet-stream"} {
		t.Run(ct, func(t *testing.T) {
			e := newEnv(t, nil)
			next := make(chan struct{})
			t.Cleanup(func() { closeOnce(next) })
			var sentSecond atomic.Bool
			forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				w.Header().Set("Cache-Control", "no-cache")
				_, _ = io.WriteString(w, "id: 1\ndata: first\n\n")
				w.(http.Flusher).Flush()
				select {
				case <-next:
				case <-r.Context().Done():
					return
				}
				sentSecond.Store(true)
				_, _ = io.WriteString(w, "id: 2\ndata: second\n\n")
			}))

			resp := getCtx(t, e, "/shop/orders-api/events", 10*time.Second)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, ct, resp.Header.Get("Content-Type"))
			assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
			assert.Equal(t, int64(-1), resp.ContentLength)
			assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)

			br := bufio.NewReader(resp.Body)
			first := readEvent(t, br)
			assert.Equal(t, "id: 1\ndata: first\n\n", first)
			assert.False(t, sentSecond.Load(), "the first event must arrive before the second is sent")
			close(next)
			second := readEvent(t, br)
			assert.Equal(t, "id: 2\ndata: second\n\n", second)
			rest, err := io.ReadAll(br)
			require.NoError(t, err)
			assert.Empty(t, rest)
		})
	}
}

// readEvent reads one server-sent event (up to its blank line).
func readEvent(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		require.NoError(t, err, "event so far: %q", b.String())
		if line == "\n" {
			return b.String()
		}
	}
}

// TestForwardDropsHopByHopResponseHeaders: the hop-by-hop headers of the target's
// answer (RFC 9110 7.6.1: Connection and the headers it names, and the fixed list
// httputil.ReverseProxy drops) do not reach the client; the others do.
func TestForwardDropsHopByHopResponseHeaders(t *testing.T) {
	e := newEnv(t, nil)
	forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Connection"] = []string{"X-Private", "x-other"}
		h.Set("X-Private", "secret")
		h.Set("X-Other", "secret too")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Proxy-Authenticate", "x")
		h.Set("Proxy-Connection", "keep-alive")
		h.Set("Upgrade", "h2c")
		h.Set("Te", "trailers")
		h.Set("X-Normal", "1")
		h.Set("Content-Length", "2")
		_, _ = io.WriteString(w, "ok")
	}))

	resp := getCtx(t, e, "/shop/orders-api/x", 10*time.Second)
	assert.Equal(t, "ok", body(t, resp))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("X-Normal"))
	for _, k := range []string{"Connection", "X-Private", "X-Other", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "Upgrade", "Te"} {
		assert.Empty(t, resp.Header.Values(k), k)
	}
	// Nothing else beyond what the gateway's own server adds.
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"X-Normal", "Content-Length", "Content-Type", "Date"}, keys)
	assert.False(t, resp.Close, "the client's connection stays open")
}

// TestForwardDropsHopByHopRequestHeaders adds to TestForwardedAndHopByHopHeaders the
// hop-by-hop request headers it does not send: Keep-Alive and Proxy-Connection are
// dropped, Te is reduced to "trailers" (the only value a proxy passes on) or dropped.
func TestForwardDropsHopByHopRequestHeaders(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.put(t, app("open", up.URL, nil))

	got := readEcho(t, e.do(t, "GET", "/open/orders-api", nil,
		"Connection", "X-Drop", "X-Drop", "1", "Keep-Alive", "1", "Te", "trailers",
		"Proxy-Connection", "x", "X-Keep", "1"))
	assert.Equal(t, []string{"1"}, got.Header["X-Keep"])
	assert.Equal(t, []string{"trailers"}, got.Header["Te"])
	for _, k := range []string{"Connection", "X-Drop", "Keep-Alive", "Proxy-Connection"} {
		assert.Empty(t, got.Header.Values(k), k)
	}

	got = readEcho(t, e.do(t, "GET", "/open/orders-api", nil, "Te", "gzip, Trailers"))
	assert.Equal(t, []string{"trailers"}, got.Header["Te"], "only trailers is passed on")
	got = readEcho(t, e.do(t, "GET", "/open/orders-api", nil, "Te", "gzip"))
	assert.Empty(t, got.Header.Values("Te"))
}

// TestForwardMultiValuedResponseHeaders: repeated response headers reach the client with
// every value in order; Content-Type and the Content-Length of a fixed-size body pass
// through unchanged.
func TestForwardMultiValuedResponseHeaders(t *testing.T) {
	e := newEnv(t, nil)
	const payload = `{"id":7}`
	forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Set-Cookie", "a=1; Path=/")
		h.Add("Set-Cookie", "b=2; HttpOnly")
		h.Add("Vary", "Accept")
		h.Add("Vary", "Origin")
		h.Set("Content-Type", "application/vnd.shop+json; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(payload)))
		_, _ = io.WriteString(w, payload)
	}))

	resp := getCtx(t, e, "/shop/orders-api/orders/7", 10*time.Second)
	assert.Equal(t, payload, body(t, resp))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"a=1; Path=/", "b=2; HttpOnly"}, resp.Header["Set-Cookie"])
	assert.Equal(t, []string{"Accept", "Origin"}, resp.Header["Vary"])
	assert.Equal(t, []string{"application/vnd.shop+json; charset=utf-8"}, resp.Header["Content-Type"])
	assert.Equal(t, []string{strconv.Itoa(len(payload))}, resp.Header["Content-Length"])
	assert.Equal(t, int64(len(payload)), resp.ContentLength)
	assert.Empty(t, resp.TransferEncoding)
	require.Len(t, resp.Cookies(), 2)
	assert.Equal(t, "a", resp.Cookies()[0].Name)
	assert.Equal(t, "b", resp.Cookies()[1].Name)
}

// TestForwardHead: a HEAD answer carries the target's headers, Content-Length
// included, and no body. On one client connection a GET after it is answered
// correctly (a body sent after the HEAD answer would be read as the GET's answer), and
// the gateway reuses its connection to the target for it (it did not wait for a body).
func TestForwardHead(t *testing.T) {
	e := newEnv(t, nil)
	const doc = "the document body"
	var mu sync.Mutex
	var seen []string // method and remote address of each request to /doc
	forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/doc" {
			mu.Lock()
			seen = append(seen, r.Method+" "+r.RemoteAddr)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		w.Header().Set("ETag", `"v1"`)
		_, _ = io.WriteString(w, doc) // not sent for HEAD
	}))

	c, err := net.Dial("tcp", e.standalone.Listener.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	br := bufio.NewReader(c)

	_, err = io.WriteString(c, "HEAD /shop/orders-api/doc HTTP/1.1\r\nHost: gw\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{strconv.Itoa(len(doc))}, resp.Header["Content-Length"])
	assert.Equal(t, int64(len(doc)), resp.ContentLength)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, `"v1"`, resp.Header.Get("ETag"))
	assert.Empty(t, resp.TransferEncoding)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Empty(t, b)

	_, err = io.WriteString(c, "GET /shop/orders-api/doc HTTP/1.1\r\nHost: gw\r\n\r\n")
	require.NoError(t, err)
	resp, err = http.ReadResponse(br, &http.Request{Method: "GET"})
	require.NoError(t, err, "the HEAD answer left stray bytes on the connection")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	b, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, doc, string(b))
	assert.Equal(t, `"v1"`, resp.Header.Get("ETag"))

	// The same through a Go client: HEAD, then GET.
	head, err := e.client.Head(e.standalone.URL + "/shop/orders-api/doc")
	require.NoError(t, err)
	assert.Empty(t, body(t, head))
	assert.Equal(t, int64(len(doc)), head.ContentLength)
	get, err := e.client.Get(e.standalone.URL + "/shop/orders-api/doc")
	require.NoError(t, err)
	assert.Equal(t, doc, body(t, get))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 4)
	for i, want := range []string{"HEAD", "GET", "HEAD", "GET"} {
		method, addr, _ := strings.Cut(seen[i], " ")
		assert.Equal(t, want, method)
		assert.Equal(t, strings.SplitN(seen[0], " ", 2)[1], addr, "request %d on the gateway's first target connection", i)
	}
}

// TestForwardTargetFailsMidBody: a target that closes its connection in the middle of a
// body of announced length makes the client's read of the body fail (it must not look
// complete); the gateway goes on serving, the same target included.
func TestForwardTargetFailsMidBody(t *testing.T) {
	e := newEnv(t, nil)
	cut := make(chan struct{})
	var conns atomic.Int32
	target := newFaultServer(t, func(c net.Conn) {
		readRequest(c)
		if conns.Add(1) == 1 {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n0123456789")
			<-cut
			_ = c.Close()
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
		_ = c.Close()
	})
	t.Cleanup(target.close)
	t.Cleanup(func() { closeOnce(cut) })
	e.put(t, app("shop", target.url(), nil))

	resp := getCtx(t, e, "/shop/orders-api/big", 10*time.Second)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(1000), resp.ContentLength)
	got := make([]byte, 10)
	_, err := io.ReadFull(resp.Body, got)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(got))
	close(cut)
	rest, err := io.ReadAll(resp.Body)
	assert.Empty(t, rest)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	resp = getCtx(t, e, "/shop/orders-api/small", 10*time.Second)
	assert.Equal(t, "hello", body(t, resp))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int32(2), conns.Load())
}

// TestForwardClientGoneMidBody: a client that hangs up in the middle of a large download
// makes the gateway close its connection to the target (the target's writes fail) and
// leaves it serving.
func TestForwardClientGoneMidBody(t *testing.T) {
	e := newEnv(t, nil)
	// Far more than the socket buffers on the way can hold, so the target is still
	// writing when the client leaves.
	const size = 64 << 20
	var writeErr atomic.Pointer[error]
	var written atomic.Int64
	forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/small" {
			_, _ = io.WriteString(w, "small")
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
		chunk := make([]byte, 32<<10)
		for n := 0; n < size; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				writeErr.Store(&err)
				return
			}
			written.Add(int64(len(chunk)))
		}
	}))

	resp := getCtx(t, e, "/shop/orders-api/big", 10*time.Second)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(size), resp.ContentLength)
	_, err := io.ReadFull(resp.Body, make([]byte, 64<<10))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close()) // before the end: the client's connection is closed

	testutil.Eventually(t, 10*time.Second, "the target's write fails", func() (bool, string) {
		return writeErr.Load() != nil, fmt.Sprintf("%d of %d bytes written", written.Load(), size)
	})
	assert.Less(t, written.Load(), int64(size))

	resp = getCtx(t, e, "/shop/orders-api/small", 10*time.Second)
	assert.Equal(t, "small", body(t, resp))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestForwardStatusAndBody: the target's status and body reach the client unchanged,
// except a 5xx, which becomes 502 with the target's status in Target-System-Status and
// its body kept.
func TestForwardStatusAndBody(t *testing.T) {
	e := newEnv(t, nil)
	forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			code = http.StatusBadRequest
		}
		w.Header().Set("X-Code", strconv.Itoa(code))
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, "body of %d", code) // dropped by the target's server for 204 and 304
	}))

	tests := []struct {
		code, want int
		body       string
		tss        string
	}{
		{code: 200, want: 200, body: "body of 200"},
		{code: 201, want: 201, body: "body of 201"},
		{code: 204, want: 204},
		{code: 304, want: 304},
		{code: 404, want: 404, body: "body of 404"},
		{code: 418, want: 418, body: "body of 418"},
		{code: 500, want: 502, body: "body of 500", tss: "500"},
		{code: 503, want: 502, body: "body of 503", tss: "503"},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			resp := getCtx(t, e, "/shop/orders-api/"+strconv.Itoa(tc.code), 10*time.Second)
			assert.Equal(t, tc.body, body(t, resp))
			assert.Equal(t, tc.want, resp.StatusCode)
			assert.Equal(t, strconv.Itoa(tc.code), resp.Header.Get("X-Code"))
			assert.Equal(t, tc.tss, resp.Header.Get("Target-System-Status"))
			if tc.body != "" {
				assert.Equal(t, int64(len(tc.body)), resp.ContentLength)
			}
		})
	}
}

// TestForwardHTTP2Client: a client speaking HTTP/2 to the gateway gets the body and
// the trailers of a target that speaks HTTP/1.1.
func TestForwardHTTP2Client(t *testing.T) {
	e := newEnv(t, nil)
	forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		w.Header().Set("X-Proto-Seen", r.Proto)
		_, _ = io.WriteString(w, "over ")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "h2")
		w.Header().Set("X-Checksum", "c1")
		w.Header().Set(http.TrailerPrefix+"X-Undeclared", "u1")
	}))
	srv := httptest.NewUnstartedServer(e.gw.StandaloneHandler())
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = discardLog()
	srv.StartTLS()
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/shop/orders-api/x", nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 2, resp.ProtoMajor)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "HTTP/1.1", resp.Header.Get("X-Proto-Seen"))
	assert.Equal(t, http.Header{"X-Checksum": nil}, resp.Trailer)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "over h2", string(b))
	assert.Equal(t, http.Header{"X-Checksum": {"c1"}, "X-Undeclared": {"u1"}}, resp.Trailer)

	// HEAD over HTTP/2 too.
	req, err = http.NewRequestWithContext(ctx, "HEAD", srv.URL+"/shop/orders-api/x", nil)
	require.NoError(t, err)
	resp, err = srv.Client().Do(req)
	require.NoError(t, err)
	assert.Empty(t, body(t, resp))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "HTTP/1.1", resp.Header.Get("X-Proto-Seen"))
}

// TestForwardOptionsAndTrace: OPTIONS and TRACE reach the target with their method and
// without a body or a body length, and its answer comes back.
func TestForwardOptionsAndTrace(t *testing.T) {
	e := newEnv(t, nil)
	type seenReq struct {
		method, uri   string
		contentLength int64
		te            []string
		header        http.Header
		body          string
	}
	seen := make(chan seenReq, 1)
	forwardTarget(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- seenReq{method: r.Method, uri: r.RequestURI, contentLength: r.ContentLength, te: r.TransferEncoding, header: r.Header, body: string(b)}
		w.Header().Set("Allow", "GET, HEAD, OPTIONS, TRACE")
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "answer to "+r.Method)
	}))

	for _, method := range []string{"OPTIONS", "TRACE"} {
		t.Run(method, func(t *testing.T) {
			resp := e.do(t, method, "/shop/orders-api/res?q=1", nil, "X-Probe", method)
			assert.Equal(t, "answer to "+method, body(t, resp))
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "GET, HEAD, OPTIONS, TRACE", resp.Header.Get("Allow"))
			assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
			var got seenReq
			select {
			case got = <-seen:
			default:
				t.Fatal("the target did not record the request")
			}
			assert.Equal(t, method, got.method)
			assert.Equal(t, "/res?q=1", got.uri)
			assert.Equal(t, int64(0), got.contentLength)
			assert.Empty(t, got.te)
			assert.Empty(t, got.header.Values("Content-Length"))
			assert.Empty(t, got.header.Values("Transfer-Encoding"))
			assert.Equal(t, method, got.header.Get("X-Probe"))
			assert.Empty(t, got.body)
		})
	}
}

// TestForwardTargetSpeakingHTTP2: a TLS target that negotiates HTTP/2 is called over
// HTTP/2 for every request, bodiless or not (the HTTP/1.1 client hands it to
// http.Transport after the first handshake), and its answers come back whole.
func TestForwardTargetSpeakingHTTP2(t *testing.T) {
	serverCA := newCA(t, "server-ca")
	e := newEnv(t, func(c *gateway.Config) { c.RootCAs = serverCA.pool })
	certPEM, keyPEM := serverCA.issue(t, "127.0.0.1", true, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	kp, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	var protos sync.Map
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		protos.Store(r.Method+" "+r.URL.Path, r.Proto)
		w.Header().Set("Trailer", "X-Sum")
		_, _ = fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, body)
		w.Header().Set("X-Sum", "42")
	}))
	target.EnableHTTP2 = true
	target.TLS = &tls.Config{Certificates: []tls.Certificate{kp}}
	target.Config.ErrorLog = discardLog()
	target.StartTLS()
	t.Cleanup(target.Close)
	e.put(t, app("h2", target.URL+"/api", nil))

	for i, req := range []struct{ method, path, body string }{
		{"GET", "/a", ""}, {"GET", "/b", ""}, {"POST", "/c", "payload"}, {"HEAD", "/d", ""},
	} {
		var body io.Reader
		if req.body != "" {
			body = strings.NewReader(req.body)
		}
		resp := e.do(t, req.method, "/h2/orders-api"+req.path, body)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode, "%d: %s", i, b)
		if req.method != "HEAD" {
			assert.Equal(t, req.method+" /api"+req.path+" "+req.body, string(b), i)
			assert.Equal(t, "42", resp.Trailer.Get("X-Sum"), i)
		}
		proto, _ := protos.Load(req.method + " /api" + req.path)
		assert.Equal(t, "HTTP/2.0", proto, "%s %s reached the target over HTTP/2", req.method, req.path)
	}
}

// TestForwardTargetClosedIdleConnections: when the target closes the gateway's idle
// keep-alive connections (a restart, its own idle timeout), the next requests still
// succeed: a bodiless GET is sent again on a new connection, as http.Transport does.
func TestForwardTargetClosedIdleConnections(t *testing.T) {
	e := newEnv(t, nil)
	var conns atomic.Int32
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok "+r.Method)
	}))
	target.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	target.Config.ErrorLog = discardLog()
	target.Start()
	t.Cleanup(target.Close)
	e.put(t, app("idle", target.URL, nil))

	get := func(method string) string {
		t.Helper()
		resp := e.do(t, method, "/idle/orders-api/x", nil)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
		return string(b)
	}
	assert.Equal(t, "ok GET", get("GET"))
	assert.Equal(t, "ok GET", get("GET"))
	require.Equal(t, int32(1), conns.Load(), "one keep-alive connection")
	target.CloseClientConnections()
	assert.Equal(t, "ok GET", get("GET"))
	assert.Equal(t, "ok OPTIONS", get("OPTIONS"))
	assert.Equal(t, int32(2), conns.Load(), "the closed connection was replaced once")
}
