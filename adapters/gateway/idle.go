package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The idle timeout (Config.BodyIdleTimeout) bounds every wait for body progress, in
// each direction, without bounding a transfer that keeps moving:
//
//   - client -> gateway (request body): a read deadline on the client's connection,
//     moved forward before every read (upload).
//   - gateway -> target (request body): a write deadline on the target's connection,
//     moved forward before every write (stallConn).
//   - target -> gateway (response body): a timer running while a read of the target's
//     body is pending; when it fires, the body is closed, which closes the connection
//     and ends the read (respBody).
//   - gateway -> client (response body): a write deadline on the client's connection,
//     moved forward after every read of the target's body, before the proxy writes it.
//
// Deadlines are set on the connections themselves (as http.ResponseController does),
// so a stalled peer ends up with a closed connection and no goroutine waits for ever.

// clientConn reaches the deadline and flush methods of the client's connection through
// wrappers that implement Unwrap, as http.ResponseController does, but looks them up
// once per request and does not allocate an error for a writer without them (a test
// recorder): the hot path calls them several times per request.
type clientConn struct {
	read    interface{ SetReadDeadline(time.Time) error }
	write   interface{ SetWriteDeadline(time.Time) error }
	flush   interface{ FlushError() error }
	flusher http.Flusher
}

func (c *clientConn) init(w http.ResponseWriter) {
	for w != nil {
		if v, ok := w.(interface{ SetReadDeadline(time.Time) error }); ok && c.read == nil {
			c.read = v
		}
		if v, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok && c.write == nil {
			c.write = v
		}
		if v, ok := w.(interface{ FlushError() error }); ok && c.flush == nil && c.flusher == nil {
			c.flush = v
		} else if v, ok := w.(http.Flusher); ok && c.flush == nil && c.flusher == nil {
			c.flusher = v
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func (c *clientConn) writeWithin(d time.Duration) {
	if c.write != nil {
		_ = c.write.SetWriteDeadline(time.Now().Add(d))
	}
}

func (c *clientConn) flushNow() {
	switch {
	case c.flush != nil:
		_ = c.flush.FlushError()
	case c.flusher != nil:
		c.flusher.Flush()
	}
}

// respBody is the target's response body as the proxy copies it to the client. It lives
// in the pooled request state: the proxy closes it before the handler returns.
type respBody struct {
	st      *reqState
	body    io.ReadCloser
	started bool
	// proxyFlushes is set for the responses httputil.ReverseProxy flushes itself, from a
	// timer goroutine under its own lock: flushing here as well would race with it.
	proxyFlushes bool
}

// proxyFlushes reports whether httputil.ReverseProxy flushes resp itself (its
// flushInterval rule with FlushInterval 0: unknown length, or text/event-stream).
func proxyFlushes(resp *http.Response) bool {
	if resp.ContentLength == -1 {
		return true
	}
	ct := resp.Header["Content-Type"]
	if len(ct) == 0 || !containsFold(ct[0], "event-stream") {
		return false
	}
	mt, _, _ := mime.ParseMediaType(ct[0])
	return mt == "text/event-stream"
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// flushDelay is how long a read of the target's body may wait before what the proxy
// has written so far (first the status line and headers, then the body read before) is
// sent to the client. Flushing before every read cost one more write system call per
// response, about a seventh of the gateway's CPU per request, for bytes that almost
// always go out a few microseconds later anyway: the target's body is usually buffered
// already, and the server sends head and body in one write when the handler returns.
// Flushing only when the target makes the proxy wait keeps what the early flush was for
// (the client gets the head and every byte received so far while the target is slow or
// stalls) at the cost of this delay.
const flushDelay = time.Millisecond

func (b *respBody) Read(p []byte) (int, error) {
	st := b.st
	// started only saves the first write deadline: later ones are set after each read.
	if !b.started {
		b.started = true
		st.client.writeWithin(st.idle)
	}
	if h, ok := b.body.(*h1Body); ok && h.buffered() {
		// The rest of the body has arrived: this read cannot wait for the target, so
		// neither timer is needed. The write deadline set before still covers the
		// proxy's write of it, which goes to the server's buffer.
		return b.body.Read(p)
	}
	if !b.proxyFlushes {
		// The lock publishes the proxy's writes so far to flushPending, which may flush
		// them while this read waits; taking it again after the read orders the proxy's
		// next writes after that flush.
		st.mu.Lock()
		st.reading = true
		st.mu.Unlock()
		st.flush.Reset(flushDelay)
	}
	st.timer.Reset(st.idle)
	n, err := b.body.Read(p)
	if !st.timer.Stop() {
		// The timer fired during this read and closed the body.
		st.fired = true
	}
	if !b.proxyFlushes {
		if !st.flush.Stop() {
			// flushPending ran or may still run: this state must not be reused.
			st.flushed = true
		}
		st.mu.Lock()
		st.reading = false
		st.mu.Unlock()
	}
	if n > 0 {
		// The proxy writes these bytes to the client next.
		st.client.writeWithin(st.idle)
	}
	if err != nil && err != io.EOF && st.fired {
		err = &stallError{what: "target sent no response body data", idle: st.idle, err: err}
		st.logger.Warn("response body cut off", "app", st.path.App, "service", st.path.Service, "reason", err.Error())
	}
	return n, err
}

func (b *respBody) Close() error { return b.body.Close() }

// flushPending is the flush timer's function: a read of the target's body has waited
// flushDelay, so what the proxy wrote before it goes to the client now.
func (st *reqState) flushPending() {
	st.mu.Lock()
	if st.reading {
		st.client.flushNow()
	}
	st.mu.Unlock()
}

// expire is the timer's function: a read of the target's body made no progress for the
// idle timeout. Closing the body closes the target connection, which ends the read.
func (st *reqState) expire() {
	st.mu.Lock()
	body := st.resp.body
	st.mu.Unlock()
	if body != nil {
		_ = body.Close()
	}
}

// upload is the client's request body as the transport (or the retry buffer) reads it.
// It is allocated per request because the transport may still read it after the
// handler has returned, when a target answers before taking the whole body.
type upload struct {
	body io.ReadCloser
	idle time.Duration

	mu sync.Mutex
	// conn is nil once the handler has returned: the connection may be serving the next
	// request by then, with deadlines of its own.
	conn interface{ SetReadDeadline(time.Time) error }

	stalled atomic.Bool
}

func (u *upload) Read(p []byte) (int, error) {
	u.deadline(time.Now().Add(u.idle))
	n, err := u.body.Read(p)
	switch {
	case err == io.EOF:
		// At the end of the body the server starts its own background read, which a
		// deadline left behind would turn into a cancelled request.
		u.deadline(time.Time{})
	case err != nil && isTimeout(err):
		// The deadline stays: the server's own attempt to drain the body before it
		// answers must fail at once too, so that it closes the connection.
		u.stalled.Store(true)
		err = &stallError{what: "client sent no request body data", idle: u.idle, err: err}
	}
	return n, err
}

func (u *upload) Close() error { return u.body.Close() }

func (u *upload) deadline(t time.Time) {
	u.mu.Lock()
	if u.conn != nil {
		_ = u.conn.SetReadDeadline(t)
	}
	u.mu.Unlock()
}

func (u *upload) detach() {
	u.mu.Lock()
	u.conn = nil
	u.mu.Unlock()
}

// stallConn is a target connection whose every write must complete within the idle
// timeout: a target that stops reading the request (body) gets its connection closed.
// Reads are left alone: an idle pooled connection and the wait for response headers
// have their own limits.
type stallConn struct {
	net.Conn
	idle time.Duration
}

func (c *stallConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = &stallError{what: "target stopped reading the request", idle: c.idle, err: err}
	}
	return n, err
}

// dialStalling wraps the connections of dial in stallConn.
func dialStalling(dial func(ctx context.Context, network, addr string) (net.Conn, error), idle time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &stallConn{Conn: c, idle: idle}, nil
	}
}

// stallError is a body transfer that made no progress for the idle timeout.
type stallError struct {
	what string
	idle time.Duration
	err  error
}

func (e *stallError) Error() string   { return fmt.Sprintf("%s for %s", e.what, e.idle) }
func (e *stallError) Unwrap() error   { return e.err }
func (e *stallError) Timeout() bool   { return true }
func (e *stallError) Temporary() bool { return false }
