// Command appconnector runs the whole product in one process: the management API, the
// Application Gateway, the Connector and the Connectivity Validator, over the store
// --store selects (the embedded store in --data-dir, or :memory:, or Kubernetes).
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

	"github.com/appconnector/appconnector/cmd/internal/components"
)

func main() {
	os.Exit(run(os.Args[1:], defaultGetenv, os.Stderr))
}

func run(args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "appconnector:", err)
		return 2
	}
	logger := components.NewLogger(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, logger); err != nil {
		logger.Error("appconnector stopped", "error", err)
		return 1
	}
	logger.Info("appconnector stopped")
	return 0
}

func serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	app, cleanup, err := initAppContext(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer cleanup()
	return app.Run(ctx)
}

// initApp wires the process for tests, without a deadline on the store's sync.
func initApp(cfg Config, logger *slog.Logger) (*App, func(), error) {
	return initAppContext(context.Background(), cfg, logger)
}
