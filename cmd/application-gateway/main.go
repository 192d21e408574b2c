// Command application-gateway runs the Application Gateway on its own: the standalone
// and Compass listeners over the store in --data-dir, which it opens (and locks) itself.
// appconnector embeds the same gateway.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/appconnector/appconnector/cmd/internal/runner"
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

	g := runner.New(logger, cfg.ShutdownTimeout)
	g.AddServer("gateway", cfg.GatewayAddr, gw.StandaloneHandler(), cfg.GatewayLimits)
	g.AddServer("gateway (Compass)", cfg.GatewayCompassAddr, gw.CompassHandler(), cfg.GatewayLimits)
	g.AddLoop(gw.Run)
	if listening != nil {
		var got [2]string
		g.Listening = func(name, addr string) {
			if name == "gateway" {
				got[0] = addr
				return
			}
			got[1] = addr
			listening <- got
		}
	}
	return g.Run(ctx)
}
