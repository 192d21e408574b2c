package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// upstream is the client for the targets of one TLS setting. The common request of an
// API gateway (GET, HEAD, OPTIONS or TRACE without a body, to a target spoken to
// directly over HTTP/1.1) goes through a synchronous HTTP/1.1 client; every other
// request goes through std, Go's http.Transport, unchanged.
//
// Why: http.Transport runs a read goroutine and a write goroutine per connection and
// hands each request and response between them and the caller over channels. For a
// proxy that costs about a fifth of its CPU per request and a goroutine hand-off (with
// its wake-up latency) on each leg. Here the handler's goroutine writes the request
// and reads the response itself, on a pool of keep-alive connections.
//
// What it keeps from http.Transport: the same dialer (so the same dial timeout and
// write stall limit), TLS configuration and handshake timeout; the response header
// timeout; cancellation by the request's context, also while the body streams; a
// retry on a fresh connection when a reused one turns out to be closed by the target
// (these requests are idempotent and have no body, so replaying them is what
// http.Transport does too); 1xx responses reported to httptrace (ReverseProxy relays
// them); trailers; the idle connection limit and timeout; a bound on response header
// size. What it leaves to std, by not taking such requests: request bodies (std writes
// them concurrently with reading the response, so a target may answer early and both
// directions stream at once), Expect: 100-continue, protocol upgrades, HTTP proxies
// from the environment, and targets that choose HTTP/2 (the first TLS handshake that
// negotiates h2 sends the target to std for good).
type upstream struct {
	std            *http.Transport
	dial           func(ctx context.Context, network, addr string) (net.Conn, error)
	tlsConfig      *tls.Config
	headerTimeout  time.Duration
	handshakeLimit time.Duration
	idleTimeout    time.Duration
	maxIdle        int

	mu   sync.Mutex
	idle map[connKey][]*h1Conn
	// viaStd holds the targets that negotiated HTTP/2: std speaks it.
	viaStd map[connKey]bool
}

// connKey is a target's scheme and host as the request names them.
type connKey struct {
	tls  bool
	host string
}

// maxResponseHeaderBytes bounds the status line and headers of a response, as
// http.Transport's default does.
const maxResponseHeaderBytes = 10 << 20

// errHeaderTooLarge is not a closed connection: the request is not retried.
var errHeaderTooLarge = fmt.Errorf("net/http: server response headers exceeded %d bytes; aborted", maxResponseHeaderBytes)

// max1xxResponses bounds the informational responses before the final one, as
// http.Transport does.
const max1xxResponses = 5

func newUpstream(std *http.Transport, dial func(ctx context.Context, network, addr string) (net.Conn, error), headerTimeout, idleTimeout time.Duration, maxIdle int) *upstream {
	return &upstream{
		std:            std,
		dial:           dial,
		tlsConfig:      std.TLSClientConfig,
		headerTimeout:  headerTimeout,
		handshakeLimit: std.TLSHandshakeTimeout,
		idleTimeout:    idleTimeout,
		maxIdle:        maxIdle,
		idle:           map[connKey][]*h1Conn{},
		viaStd:         map[connKey]bool{},
	}
}

// RoundTrip implements http.RoundTripper.
func (u *upstream) RoundTrip(req *http.Request) (*http.Response, error) {
	key, ok := u.fast(req)
	if !ok {
		return u.std.RoundTrip(req)
	}
	if err := validHeader(req.Header); err != nil {
		return nil, err
	}
	if !validQuery(req.URL.RawQuery) {
		// Request.Write refuses it too; refused here, it costs no connection.
		return nil, errors.New("net/http: can't write control character in Request.URL")
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		// The retry dials: the pooled connections may all be as dead as the first.
		c, err := u.conn(ctx, key, attempt == 0)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return u.std.RoundTrip(req)
		}
		resp, err := c.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ne net.Error
		if !c.reused || attempt > 0 || errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errHeaderTooLarge) {
			return nil, err
		}
		// A reused connection failed before a response: the target closed it while it
		// was idle. The request has no body and an idempotent method, so it is sent
		// again on a new connection, as http.Transport does.
	}
}

// fast reports whether req goes through the HTTP/1.1 client, and its pool key.
func (u *upstream) fast(req *http.Request) (connKey, bool) {
	var key connKey
	if req.Body != nil && req.Body != http.NoBody || req.ContentLength > 0 {
		return key, false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
	default:
		return key, false
	}
	switch req.URL.Scheme {
	case "http":
	case "https":
		key.tls = true
	default:
		return key, false
	}
	h := req.Header
	if req.URL.Host == "" || len(h["Upgrade"]) > 0 || len(h["Expect"]) > 0 || len(req.TransferEncoding) > 0 || req.Trailer != nil {
		return key, false
	}
	if u.std.Proxy != nil {
		if p, err := u.std.Proxy(req); err != nil || p != nil {
			return key, false
		}
	}
	key.host = req.URL.Host
	return key, true
}

// validHeader rejects what http.Transport rejects: a header that would not survive the
// wire as sent.
func validHeader(h http.Header) error {
	for k, vv := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("net/http: invalid header field name %q", k)
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("net/http: invalid header field value for %q", k)
			}
		}
	}
	return nil
}

// validQuery reports whether a raw query has no control character, which would let it
// end the request line (the escaped path cannot have one).
func validQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// conn returns an idle connection to key (when pooled allows) or a new one; nil with
// no error when the target speaks HTTP/2 and the request belongs to std.
func (u *upstream) conn(ctx context.Context, key connKey, pooled bool) (*h1Conn, error) {
	u.mu.Lock()
	if u.viaStd[key] {
		u.mu.Unlock()
		return nil, nil
	}
	if pooled {
		list := u.idle[key]
		for len(list) > 0 {
			c := list[len(list)-1]
			list[len(list)-1] = nil
			list = list[:len(list)-1]
			if !c.idleTimer.Stop() {
				// Its idle time ran out and idleExpired waits for the lock: it will not
				// find the connection in the list, so closing it is up to us.
				_ = c.conn.Close()
				continue
			}
			u.idle[key] = list
			u.mu.Unlock()
			c.reused = true
			return c, nil
		}
		u.idle[key] = list
	}
	u.mu.Unlock()
	return u.dialConn(ctx, key)
}

func (u *upstream) dialConn(ctx context.Context, key connKey) (*h1Conn, error) {
	addr := key.host
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: the scheme's.
		host, port = addr, "80"
		if key.tls {
			port = "443"
		}
		addr = net.JoinHostPort(host, port)
	}
	conn, err := u.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if key.tls {
		cfg := u.tlsConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		// Offered as http.Transport offers them with ForceAttemptHTTP2, so a target
		// picks the same protocol whichever client asks.
		cfg.NextProtos = []string{"h2", "http/1.1"}
		tc := tls.Client(conn, cfg)
		hctx := ctx
		if u.handshakeLimit > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, u.handshakeLimit)
			defer cancel()
		}
		if err := tc.HandshakeContext(hctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			_ = tc.Close()
			u.mu.Lock()
			u.viaStd[key] = true
			u.mu.Unlock()
			return nil, nil
		}
		conn = tc
	}
	c := &h1Conn{u: u, key: key, conn: conn}
	c.lr = limitedReader{c: c, n: -1}
	c.br = bufio.NewReader(&c.lr)
	c.bw = bufio.NewWriter(conn)
	c.abort = func() { _ = c.conn.Close() }
	c.idleTimer = time.AfterFunc(time.Hour, c.idleExpired)
	c.idleTimer.Stop()
	return c, nil
}

// put returns c to the pool, or closes it when the pool for its target is full.
func (u *upstream) put(c *h1Conn) {
	u.mu.Lock()
	list := u.idle[c.key]
	if len(list) >= u.maxIdle || u.viaStd[c.key] {
		u.mu.Unlock()
		_ = c.conn.Close()
		return
	}
	u.idle[c.key] = append(list, c)
	c.idleTimer.Reset(u.idleTimeout)
	u.mu.Unlock()
}

// CloseIdleConnections closes the pooled connections of both clients.
func (u *upstream) CloseIdleConnections() {
	u.mu.Lock()
	for key, list := range u.idle {
		for _, c := range list {
			c.idleTimer.Stop()
			_ = c.conn.Close()
		}
		delete(u.idle, key)
	}
	u.mu.Unlock()
	u.std.CloseIdleConnections()
}

// h1Conn is one keep-alive connection of the HTTP/1.1 client. It is used by one
// request at a time.
type h1Conn struct {
	u      *upstream
	key    connKey
	conn   net.Conn
	lr     limitedReader
	br     *bufio.Reader
	bw     *bufio.Writer
	reused bool
	// abort closes the connection when the request's context ends: any read or write
	// in progress returns at once. Created once, so registering it allocates no closure.
	abort     func()
	idleTimer *time.Timer
}

// idleExpired closes c when it has been idle for the idle timeout.
func (c *h1Conn) idleExpired() {
	u := c.u
	u.mu.Lock()
	list := u.idle[c.key]
	found := false
	for i, x := range list {
		if x == c {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			u.idle[c.key] = list[:len(list)-1]
			found = true
			break
		}
	}
	u.mu.Unlock()
	if found {
		_ = c.conn.Close()
	}
}

func (c *h1Conn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// One deadline bounds writing the request head and reading the response head: a
	// target that does not take a request of a few hundred bytes does not answer it
	// either. It is set before registering abort, whose close must win over it.
	if c.u.headerTimeout > 0 {
		_ = c.conn.SetDeadline(time.Now().Add(c.u.headerTimeout))
	}
	stop := context.AfterFunc(ctx, c.abort)
	fail := func(err error) (*http.Response, error) {
		stop()
		_ = c.conn.Close()
		return nil, err
	}
	err := writeHead(c.bw, req)
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		return fail(err)
	}
	c.lr.n = maxResponseHeaderBytes
	var resp *http.Response
	for n1xx := 0; ; n1xx++ {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			if c.lr.n == 0 {
				err = errHeaderTooLarge
			}
			return fail(err)
		}
		code := resp.StatusCode
		if code >= 200 || code < 100 {
			break
		}
		if code == http.StatusSwitchingProtocols || n1xx == max1xxResponses {
			return fail(fmt.Errorf("net/http: unexpected %d response from the target", code))
		}
		if trace := httptrace.ContextClientTrace(ctx); trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(code, textproto.MIMEHeader(resp.Header)); err != nil {
				return fail(err)
			}
		}
		c.lr.n = maxResponseHeaderBytes
	}
	c.lr.n = -1
	if c.u.headerTimeout > 0 {
		_ = c.conn.SetReadDeadline(time.Time{})
	}
	if resp.Body == http.NoBody {
		// HEAD, 204, 304: the response is complete.
		if stop() && !resp.Close && !req.Close {
			c.u.put(c)
		} else {
			_ = c.conn.Close()
		}
		return resp, nil
	}
	b := &h1Body{c: c, body: resp.Body, ctx: ctx, stop: stop, reuse: !resp.Close && !req.Close, left: -1}
	if resp.ContentLength > 0 && len(resp.TransferEncoding) == 0 {
		b.left = resp.ContentLength
	}
	resp.Body = b
	return resp, nil
}

// writeHead writes req's request line and header as Request.Write would for a request
// without a body, without its per-request allocations (a transfer writer, a sorted copy
// of the header, a formatted request line). Header values were validated (validHeader),
// so none contains a line break.
func writeHead(w *bufio.Writer, req *http.Request) error {
	u := req.URL
	host := req.Host
	if host == "" {
		host = u.Host
	}
	if u.Opaque != "" || !asciiHost(host) {
		// Rare forms that Request.Write normalises: let it.
		return req.Write(w)
	}
	w.WriteString(req.Method)
	w.WriteByte(' ')
	if p := u.EscapedPath(); p != "" {
		w.WriteString(p)
	} else {
		w.WriteByte('/')
	}
	if u.ForceQuery || u.RawQuery != "" {
		w.WriteByte('?')
		w.WriteString(u.RawQuery)
	}
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	ua := "Go-http-client/1.1"
	if v, ok := req.Header["User-Agent"]; ok {
		ua = ""
		if len(v) > 0 {
			ua = v[0]
		}
	}
	if ua != "" {
		// Trimmed after the test, as Request.Write does: blanks send an empty value.
		w.WriteString("User-Agent: ")
		w.WriteString(textproto.TrimString(ua))
		w.WriteString("\r\n")
	}
	if req.Close && !connectionLists(req.Header["Connection"], "close") {
		w.WriteString("Connection: close\r\n")
	}
	for k, vv := range req.Header {
		switch k {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		for _, v := range vv {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(textproto.TrimString(v))
			w.WriteString("\r\n")
		}
	}
	_, err := w.WriteString("\r\n")
	return err
}

// asciiHost reports whether host can be sent as it is: valid as a Host header (which
// implies ASCII) and without an IPv6 zone. Request.Write converts a non-ASCII host to
// punycode, drops a zone, and sends an empty Host for one not valid as a header.
func asciiHost(host string) bool {
	return httpguts.ValidHostHeader(host) && strings.IndexByte(host, '%') < 0
}

// limitedReader is the connection as its bufio.Reader reads it: while n >= 0 (reading
// response headers) at most n more bytes.
type limitedReader struct {
	c *h1Conn
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n == 0 {
		return 0, io.EOF
	}
	if l.n > 0 && int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.c.conn.Read(p)
	if l.n > 0 {
		l.n -= int64(n)
	}
	return n, err
}

// h1Body is a response body of the HTTP/1.1 client. Read to its end, it gives the
// connection back to the pool; closed before, it closes the connection (reading the
// rest, as net/http's own Close of a response body would, could take for ever).
// Close may run concurrently with Read (the idle timer closes a stalled body).
type h1Body struct {
	c     *h1Conn
	body  io.ReadCloser
	ctx   context.Context
	stop  func() bool
	reuse bool
	// left is what remains of a body of known length, -1 when that is not known.
	left int64
	// state: 0 open, 1 read to its end, 2 closed early.
	state atomic.Int32
}

// buffered reports whether the rest of the body has arrived, so that no read of it can
// wait for the target.
func (b *h1Body) buffered() bool {
	// After the end the connection may already serve another request.
	return b.state.Load() == 0 && b.left >= 0 && int64(b.c.br.Buffered()) >= b.left
}

func (b *h1Body) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	switch {
	case err == io.EOF:
		if b.state.CompareAndSwap(0, 1) {
			// stop fails when abort ran or is running: the connection is closed.
			if b.stop() && b.reuse {
				b.c.u.put(b.c)
			} else {
				_ = b.c.conn.Close()
			}
		}
	case err != nil:
		if b.ctx.Err() != nil {
			err = b.ctx.Err()
		}
		_ = b.Close()
	}
	return n, err
}

func (b *h1Body) Close() error {
	if b.state.CompareAndSwap(0, 2) {
		b.stop()
		_ = b.c.conn.Close()
	}
	return nil
}

var _ http.RoundTripper = (*upstream)(nil)
