package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
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
	// Not less: on a loaded machine (race detector, a CPU-heavy job beside) a reset can
	// take longer than a short timeout, turning the expected 502 into a 504, and a
	// trickle a tenth of the idle timeout apart can be delayed past it.
	const idle = time.Second
	e := newEnv(t, func(c *gateway.Config) { c.ProxyTimeout, c.BodyIdleTimeout = 3*time.Second, idle })
	stopParked := make(chan struct{})
	const (
		complete = iota // a whole body
		cut             // a 200 whose body ends in an error: the gateway aborts the connection
		failed          // no usable answer (error or a status >= 500) within the test
	)
	faults := map[string]struct {
		serve  func(net.Conn)
		status int // expected status, or 0 with outcome cut/failed
		upload bool
		n      int
		want   int
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
		}, want: cut},
		"stall-mid-body": {serve: func(c net.Conn) {
			readRequest(c)
			_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
			_, _ = c.Read(make([]byte, 1)) // stalls until the gateway closes
		}, want: cut},
		"trickle": {serve: func(c net.Conn) {
			readRequest(c)
			_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
			_ = trickle(c, "hello", idle/10)
			_ = c.Close()
		}, status: http.StatusOK},
		"stop-reading-upload": {serve: func(c net.Conn) {
			readRequest(c) // the head only; the body is never read
			<-stopParked
		}, upload: true, want: failed},
	}
	servers := map[string]*faultServer{}
	for name, f := range faults {
		servers[name] = newFaultServer(t, f.serve)
		e.put(t, app(name, servers[name].url(), nil))
	}
	// The target of the trickling clients below closes every connection after answering,
	// so that no pooled keep-alive connection is left to count against the baseline.
	closing := httptestServer(echoHandler())
	closing.Config.SetKeepAlivesEnabled(false)
	defer closing.Close()
	e.put(t, app("closing", closing.URL, nil))
	// Warm up the client and gateway pools before taking the baseline.
	good := newEcho(t)
	e.put(t, app("good", good.URL, nil))
	readEcho(t, e.do(t, "GET", "/good/orders-api", nil))
	e.client.CloseIdleConnections()
	baseG, baseFD := settledCounts(t)

	var wg sync.WaitGroup
	for name, f := range faults {
		n := 10
		if f.upload {
			n = 2 // each one pushes megabytes until the buffers on the way are full
		}
		for i := 0; i < n; i++ {
			wg.Go(func() {
				var resp *http.Response
				var err error
				if f.upload {
					resp, err = e.client.Post(e.standalone.URL+"/"+name+"/orders-api/x", "application/octet-stream", &endless{})
				} else {
					resp, err = e.client.Get(e.standalone.URL + "/" + name + "/orders-api/x")
				}
				switch {
				case f.want == cut:
					if err == nil {
						assert.Equal(t, http.StatusOK, resp.StatusCode, name)
						_, err = bufio.NewReader(resp.Body).WriteTo(discard{})
						_ = resp.Body.Close()
					}
					assert.Error(t, err, "%s: a truncated body must not look complete", name)
				case f.want == failed:
					// Usually 504 (target stopped reading); on a starved machine the
					// client's own upload may be the first to pause past the idle timeout
					// (408). Either way the exchange must end, which is what counts here.
					if err == nil {
						_, _ = bufio.NewReader(resp.Body).WriteTo(discard{})
						_ = resp.Body.Close()
						assert.GreaterOrEqual(t, resp.StatusCode, 400, name)
					}
				default:
					if !assert.NoError(t, err, name) {
						return
					}
					_, _ = bufio.NewReader(resp.Body).WriteTo(discard{})
					_ = resp.Body.Close()
					assert.Equal(t, f.status, resp.StatusCode, name)
				}
			})
		}
	}
	// Clients that trickle their upload: slower than the idle timeout (cut) and faster
	// (served).
	addr := e.standalone.Listener.Addr().String()
	for i := 0; i < 5; i++ {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if !assert.NoError(t, err) {
				return
			}
			defer c.Close()
			_, _ = fmt.Fprintf(c, "POST /closing/orders-api HTTP/1.1\r\nHost: gw\r\nContent-Length: 100000\r\n\r\nabc")
			// The idle timeout plus generous slack for a loaded machine.
			assert.True(t, closedWithin(c, 10*time.Second), "a silent client must be cut off")
		})
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if !assert.NoError(t, err) {
				return
			}
			defer c.Close()
			_, _ = fmt.Fprintf(c, "POST /closing/orders-api HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
			if !assert.NoError(t, trickle(c, "hello", idle/10)) {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if assert.NoError(t, err, "a client trickling faster than the idle timeout is served") {
				assert.Equal(t, "hello", readEcho(t, resp).Body)
			}
		})
	}
	wg.Wait()
	close(stopParked)
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
		time.Sleep(50 * time.Millisecond) // poll interval
	}
	if !assert.LessOrEqual(t, g, baseG, "goroutines after the faults") {
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Log(b.String())
	}
	assert.LessOrEqual(t, fd, baseFD, "file descriptors after the faults")
	// The gateway still works.
	readEcho(t, e.do(t, "GET", "/good/orders-api", nil))
}

// settledCounts returns the goroutine and file-descriptor counts once they have stopped
// falling (connections closed just before are still winding down), so the baseline is
// not inflated by them.
func settledCounts(t *testing.T) (int, int) {
	g, fd := runtime.NumGoroutine(), openFDs(t)
	for stable, deadline := 0, time.Now().Add(2*time.Second); stable < 5 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // poll interval
		g2, fd2 := runtime.NumGoroutine(), openFDs(t)
		if g2 == g && fd2 == fd {
			stable++
		} else {
			stable = 0
		}
		g, fd = g2, fd2
	}
	return g, fd
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
