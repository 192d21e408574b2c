// Package components is what the serving binaries share beyond their flags: the
// providers their Wire injectors use (CA, connector dependencies, listeners, admin
// token), the health listener, and the process lifecycle of a binary (parse, log, wire,
// serve, exit code).
package components

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// Config is what every binary's Config has: the shared flags (log level, shutdown).
type Config interface{ Base() serveflags.Flags }

// Binary is one serving binary: how it reads its Config and wires its servers.
type Binary[C Config] struct {
	Name string
	// Parse reads the Config from args and the environment; -h gives flag.ErrHelp.
	Parse func(args []string, getenv func(string) string, stderr io.Writer) (C, error)
	// Wire builds the servers and loops; ctx bounds the store's initial sync.
	Wire func(ctx context.Context, cfg C, logger *slog.Logger) (*runner.Group, func(), error)
}

// Main runs the binary as the process and exits: 0 after -h or a clean stop, 2 on bad
// flags, 1 when it cannot start or fails while serving.
func (b Binary[C]) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := b.Run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	stop()
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &usage):
		fmt.Fprintf(os.Stderr, "%s: %v\n", b.Name, err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", b.Name, err)
		os.Exit(1)
	}
}

type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// Run parses args and serves until ctx is done. listening, if set, is told every bound
// address by server name once all servers listen (tests listen on port 0). -h returns
// flag.ErrHelp.
func (b Binary[C]) Run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, listening func(map[string]string)) error {
	cfg, err := b.Parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return usageError{err}
	}
	f := cfg.Base()
	logger := NewLogger(stderr, f.LogLevel)
	setMemoryLimit(getenv, logger)
	g, cleanup, err := b.Wire(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	if listening != nil {
		var mu sync.Mutex
		addrs := map[string]string{}
		g.Listening = func(name, addr string) {
			mu.Lock()
			defer mu.Unlock()
			addrs[name] = addr
			if len(addrs) == g.Servers() {
				listening(addrs)
			}
		}
	}
	if err := g.Run(ctx); err != nil {
		return err
	}
	logger.Info(b.Name + " stopped")
	return nil
}

// Ready is a readiness check: nil when the component can serve.
type Ready func(context.Context) error

// StoreReady is ready once the store has synced (Kubernetes informers) or answers
// (embedded).
func StoreReady(s *storage.Set) Ready { return s.Ready }

// HealthHandler serves GET /healthz (the process runs) and /readyz (ready answers nil),
// the probes of a component without a management API.
func HealthHandler(ready Ready, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	answer := func(w http.ResponseWriter, code int, status string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": status})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { answer(w, http.StatusOK, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context()); err != nil {
			// The probe needs no credentials, so the cause stays in the log.
			logger.WarnContext(r.Context(), "not ready", "error", err)
			answer(w, http.StatusServiceUnavailable, "not ready")
			return
		}
		answer(w, http.StatusOK, "ready")
	})
	return mux
}

// NewLogger is the JSON logger of a serving binary; a record logged with the context of
// a request inside a span carries its trace_id and span_id.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// NewGroup returns the runner of a component binary with its health listener on h and
// the metrics listener.
func NewGroup(f serveflags.Flags, h serveflags.Health, ready Ready, tel *telemetry.Telemetry, logger *slog.Logger) *runner.Group {
	g := runner.New(logger, f.ShutdownTimeout)
	g.AddServer(ServerHealth, h.HealthAddr, HealthHandler(ready, logger), runner.RequestLimits())
	AddMetrics(g, tel)
	return g
}

// GatewayReady is ready once the store has synced and the gateway has loaded its first
// route table, so a probe never sends traffic to a gateway answering 503.
func GatewayReady(s *storage.Set, gw *gateway.Gateway) Ready {
	return func(ctx context.Context) error {
		if err := s.Ready(ctx); err != nil {
			return err
		}
		if !gw.Ready() {
			return errors.New("gateway route table not loaded yet")
		}
		return nil
	}
}

// ConnectorGroup is the runner of a connector-side component: health, then the
// connector's listeners of cfg.
func ConnectorGroup(cfg serveflags.Component, s *storage.Set, cs *ConnectorServers, tel *telemetry.Telemetry, logger *slog.Logger) *runner.Group {
	g := NewGroup(cfg.Flags, cfg.Health, StoreReady(s), tel, logger)
	cs.Add(g, runner.RequestLimits())
	cs.ObserveCertificates(g, tel)
	return g
}
