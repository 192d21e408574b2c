// Command application-gateway runs the Application Gateway on its own: the standalone
// and Compass listeners over the store appconnector writes (bbolt in --data-dir), for
// deployments that scale the gateway separately. appconnector embeds the same gateway.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/appconnector/appconnector/adapters/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		if errors.Is(err, flagHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "application-gateway:", err)
		os.Exit(1)
	}
}

var flagHelp = errors.New("help requested")

// run starts the gateway and serves until ctx is done. listening, if set, receives the
// two bound addresses (standalone, compass), for tests that listen on port 0.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, listening chan<- [2]string) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flagHelp
		}
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	gw, cleanup, err := initGateway(cfg, logger)
	if err != nil {
		return err
	}
	defer cleanup()

	var lc net.ListenConfig
	lnS, err := lc.Listen(ctx, "tcp", cfg.GatewayAddr)
	if err != nil {
		return fmt.Errorf("listen on --gateway-addr: %w", err)
	}
	lnC, err := lc.Listen(ctx, "tcp", cfg.GatewayCompassAddr)
	if err != nil {
		_ = lnS.Close()
		return fmt.Errorf("listen on --gateway-compass-addr: %w", err)
	}
	srvS := gateway.NewServer(cfg.GatewayAddr, gw.StandaloneHandler(), logger)
	srvC := gateway.NewServer(cfg.GatewayCompassAddr, gw.CompassHandler(), logger)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return gw.Run(gctx) })
	serve := func(srv *http.Server, ln net.Listener) func() error {
		return func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
	}
	g.Go(serve(srvS, lnS))
	g.Go(serve(srvC, lnC))
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		return errors.Join(srvS.Shutdown(sctx), srvC.Shutdown(sctx))
	})
	logger.Info("application gateway listening", "standalone", lnS.Addr().String(), "compass", lnC.Addr().String())
	if listening != nil {
		listening <- [2]string{lnS.Addr().String(), lnC.Addr().String()}
	}
	return g.Wait()
}
