// Package runner runs a binary's HTTP servers and background loops as one unit: listen on
// every address first (a port in use fails start-up at once), serve until the context is
// done or one part fails, then shut every server down gracefully.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
)

// Group is a set of servers and loops that start and stop together.
type Group struct {
	logger          *slog.Logger
	shutdownTimeout time.Duration
	servers         []namedServer
	loops           []func(context.Context) error

	// Listening, if set, is told each server's bound address, for tests on port 0.
	Listening func(name, addr string)
}

type namedServer struct {
	name string
	srv  *http.Server
}

// New returns an empty Group.
func New(logger *slog.Logger, shutdownTimeout time.Duration) *Group {
	return &Group{logger: logger, shutdownTimeout: shutdownTimeout}
}

// Limits bound what one listener accepts from a client, so a slow or hostile client
// cannot hold a connection or a goroutine for ever.
type Limits struct {
	// ReadHeaderTimeout bounds the TLS handshake and reading the request headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading the whole request, body included; zero means none.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that waits this long for its next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers (net/http answers 431 beyond).
	MaxHeaderBytes int
}

// maxHeaderBytes is Envoy's default header limit (60 KiB) rounded up: a request that an
// Istio sidecar in front of us would pass is never refused here, and net/http's own
// default of 1 MiB per request is far more memory than any real header needs.
const maxHeaderBytes = 64 << 10

// StreamingLimits are for the gateway's listeners: no ReadTimeout, because uploads and
// downloads stream for as long as bytes flow; the gateway cuts a stalled body itself.
func StreamingLimits() Limits {
	return Limits{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: maxHeaderBytes}
}

// RequestLimits are for listeners whose requests are small documents (management API,
// connector, mTLS, validator): the whole request must arrive within ReadTimeout.
func RequestLimits() Limits {
	l := StreamingLimits()
	l.ReadTimeout = 30 * time.Second
	return l
}

// AddServer adds an HTTP server for h on addr, bounded by l. A zero ReadHeaderTimeout,
// IdleTimeout or MaxHeaderBytes takes the StreamingLimits value, so no listener is ever
// unbounded by omission; a zero ReadTimeout means none.
func (g *Group) AddServer(name, addr string, h http.Handler, l Limits) *http.Server {
	d := StreamingLimits()
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(g.logger.Handler(), slog.LevelWarn),
	}
	g.servers = append(g.servers, namedServer{name: name, srv: srv})
	return srv
}

// AddLoop adds a background loop; it must return when its context is done.
func (g *Group) AddLoop(loop func(context.Context) error) {
	g.loops = append(g.loops, loop)
}

// Servers returns the number of servers added.
func (g *Group) Servers() int { return len(g.servers) }

// Run serves until ctx is done (then returns nil after a graceful shutdown) or a server
// or loop fails (then returns its error).
func (g *Group) Run(ctx context.Context) error {
	listeners := make([]net.Listener, 0, len(g.servers))
	for _, s := range g.servers {
		ln, err := net.Listen("tcp", s.srv.Addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return fmt.Errorf("listen for %s on %s: %w", s.name, s.srv.Addr, err)
		}
		listeners = append(listeners, ln)
	}
	eg, ectx := errgroup.WithContext(ctx)
	for i, s := range g.servers {
		ln := listeners[i]
		g.logger.Info("listening", "server", s.name, "addr", ln.Addr().String())
		if g.Listening != nil {
			g.Listening(s.name, ln.Addr().String())
		}
		eg.Go(func() error {
			var err error
			if s.srv.TLSConfig != nil {
				err = s.srv.ServeTLS(ln, "", "")
			} else {
				err = s.srv.Serve(ln)
			}
			if !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			return nil
		})
	}
	for _, loop := range g.loops {
		eg.Go(func() error { return loop(ectx) })
	}
	eg.Go(func() error {
		<-ectx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.shutdownTimeout)
		defer cancel()
		var errs []error
		for _, s := range g.servers {
			errs = append(errs, s.srv.Shutdown(sctx))
		}
		return errors.Join(errs...)
	})
	err := eg.Wait()
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return nil
	}
	return err
}
