package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/appconnector/appconnector/adapters/httpapi"
)

// App is the running process: every listener and background loop, started by Run.
type App struct {
	cfg     Config
	logger  *slog.Logger
	servers []namedServer
	loops   []func(context.Context) error
	// listening, if set, is told each server's bound address (tests listen on port 0).
	listening func(name, addr string)
}

type namedServer struct {
	name string
	srv  *http.Server
}

func newApp(cfg Config, logger *slog.Logger, api *httpapi.Server) *App {
	a := &App{cfg: cfg, logger: logger}
	a.addServer("management API", cfg.APIAddr, api.Handler())
	return a
}

func (a *App) addServer(name, addr string, h http.Handler) {
	a.servers = append(a.servers, namedServer{name: name, srv: &http.Server{
		Addr:    addr,
		Handler: h,
		// Slow-loris protection; no WriteTimeout, because the gateway streams long
		// downloads and answers 504 itself when a target is slow.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}})
}

// Run listens on every address first, so a port in use fails start-up at once, then
// serves until ctx is done and shuts down gracefully within cfg.ShutdownTimeout.
func (a *App) Run(ctx context.Context) error {
	listeners := make([]net.Listener, len(a.servers))
	for i, s := range a.servers {
		ln, err := net.Listen("tcp", s.srv.Addr)
		if err != nil {
			for _, l := range listeners[:i] {
				l.Close()
			}
			return fmt.Errorf("listen for %s on %s: %w", s.name, s.srv.Addr, err)
		}
		listeners[i] = ln
	}
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range a.servers {
		ln := listeners[i]
		a.logger.Info("listening", "server", s.name, "addr", ln.Addr().String())
		if a.listening != nil {
			a.listening(s.name, ln.Addr().String())
		}
		g.Go(func() error {
			if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			return nil
		})
	}
	for _, loop := range a.loops {
		g.Go(func() error { return loop(gctx) })
	}
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		defer cancel()
		var errs []error
		for _, s := range a.servers {
			errs = append(errs, s.srv.Shutdown(sctx))
		}
		return errors.Join(errs...)
	})
	err := g.Wait()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
