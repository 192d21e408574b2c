package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
)

// faultServer is a raw TCP upstream that misbehaves in one way per connection.
type faultServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newFaultServer(t *testing.T, serve func(c net.Conn)) *faultServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &faultServer{ln: ln}
	f.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			f.wg.Go(func() { serve(c) })
		}
	})
	return f
}

func (f *faultServer) url() string { return "http://" + f.ln.Addr().String() }

func (f *faultServer) close() {
	_ = f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// readRequest consumes the request head so the gateway's write completes.
func readRequest(c net.Conn) {
	_, _ = http.ReadRequest(bufio.NewReader(c))
}

func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(entries)
}

func TestFaultyUpstreamsLeakNothing(t *testing.T) {
	// 1 s, not less: on a loaded machine a reset can take longer than a short timeout,
	// turning the expected 502 into a 504.
	e := newEnv(t, func(c *gateway.Config) { c.ProxyTimeout = time.Second })
	faults := map[string]struct {
		serve  func(net.Conn)
		status int
	}{
		"reset":           {serve: func(c net.Conn) { readRequest(c); reset(c) }, status: http.StatusBadGateway},
		"reset-on-accept": {serve: reset, status: http.StatusBadGateway},
		"hang": {serve: func(c net.Conn) {
			readRequest(c)
			_, _ = c.Read(make([]byte, 1)) // until closed by the gateway or the test
		}, status: http.StatusGatewayTimeout},
		"garbage": {serve: func(c net.Conn) {
			readRequest(c)
			_, _ = c.Write([]byte("SSH-2.0-garbage\r\n\x00\x01\x02\r\n\r\n"))
			_ = c.Close()
		}, status: http.StatusBadGateway},
		"truncated-body": {serve: func(c net.Conn) {
			readRequest(c)
			_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial")
			reset(c)
		}, status: 0}, // the client must see the failure: the gateway aborts the connection
	}
	servers := map[string]*faultServer{}
	for name, f := range faults {
		servers[name] = newFaultServer(t, f.serve)
		e.put(t, app(name, servers[name].url(), nil))
	}
	// Warm up the client and gateway pools before taking the baseline.
	good := newEcho(t)
	e.put(t, app("good", good.URL, nil))
	readEcho(t, e.do(t, "GET", "/good/orders-api", nil))
	e.client.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond)
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)

	var wg sync.WaitGroup
	for name, f := range faults {
		for i := 0; i < 20; i++ {
			wg.Go(func() {
				resp, err := e.client.Get(e.standalone.URL + "/" + name + "/orders-api/x")
				if f.status == 0 {
					if err == nil {
						_, err = bufio.NewReader(resp.Body).WriteTo(discard{})
						_ = resp.Body.Close()
					}
					assert.Error(t, err, "a truncated body must not look complete")
					return
				}
				if !assert.NoError(t, err, name) {
					return
				}
				_, _ = bufio.NewReader(resp.Body).WriteTo(discard{})
				_ = resp.Body.Close()
				assert.Equal(t, f.status, resp.StatusCode, name)
			})
		}
	}
	wg.Wait()
	for _, s := range servers {
		s.close()
	}
	e.client.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	var g, fd int
	for time.Now().Before(deadline) {
		g, fd = runtime.NumGoroutine(), openFDs(t)
		if g <= baseG && fd <= baseFD {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.LessOrEqual(t, g, baseG, "goroutines after the faults")
	assert.LessOrEqual(t, fd, baseFD, "file descriptors after the faults")
	// The gateway still works.
	readEcho(t, e.do(t, "GET", "/good/orders-api", nil))
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
