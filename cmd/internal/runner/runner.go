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

// AddServer adds an HTTP server for h on addr, with the timeouts every listener of the
// product uses.
func (g *Group) AddServer(name, addr string, h http.Handler) *http.Server {
	srv := &http.Server{
		Addr:    addr,
		Handler: h,
		// Slow-loris protection; no ReadTimeout or WriteTimeout, because the gateway
		// streams long uploads and downloads and answers 504 itself when a target is slow.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
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
