package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// syncTransport is a measurement prototype, not a transport to proxy with: an
// HTTP/1.1 client that writes the request and reads the response on the calling
// goroutine over a pool of keep-alive connections, with none of http.Transport's
// per-connection read and write goroutines and channel hand-offs. It handles exactly
// what the load test sends (bodiless GETs to a plain-HTTP upstream that answers with a
// Content-Length) and nothing a gateway needs beyond that (no cancellation, timeouts,
// retries of stale connections, Expect, upgrades, HTTP/2 or proxies). Its row shows
// how much of a Go proxy's cost per request is the standard client transport's design,
// the part another engine could save.
type syncTransport struct {
	addr string
	mu   sync.Mutex
	idle []*syncConn
}

type syncConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func (t *syncTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		return nil, errors.New("syncTransport: request bodies are not supported")
	}
	sc, err := t.get()
	if err != nil {
		return nil, err
	}
	if err := req.Write(sc.bw); err != nil {
		_ = sc.c.Close()
		return nil, err
	}
	if err := sc.bw.Flush(); err != nil {
		_ = sc.c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(sc.br, req)
	if err != nil {
		_ = sc.c.Close()
		return nil, err
	}
	resp.Body = &syncBody{ReadCloser: resp.Body, t: t, sc: sc, reuse: !resp.Close}
	return resp, nil
}

func (t *syncTransport) get() (*syncConn, error) {
	t.mu.Lock()
	if n := len(t.idle); n > 0 {
		sc := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		return sc, nil
	}
	t.mu.Unlock()
	c, err := net.Dial("tcp", t.addr)
	if err != nil {
		return nil, err
	}
	return &syncConn{c: c, br: bufio.NewReader(c), bw: bufio.NewWriter(c)}, nil
}

// syncBody gives the connection back to the pool once the body was read to its end.
type syncBody struct {
	io.ReadCloser
	t     *syncTransport
	sc    *syncConn
	reuse bool
	eof   bool
	done  bool
}

func (b *syncBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *syncBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.ReadCloser.Close()
	if b.eof && b.reuse && err == nil {
		b.t.mu.Lock()
		b.t.idle = append(b.t.idle, b.sc)
		b.t.mu.Unlock()
		return nil
	}
	_ = b.sc.c.Close()
	return err
}
