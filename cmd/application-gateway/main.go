// Command application-gateway runs the Application Gateway on its own: the standalone
// and Compass listeners over the store --store selects (the embedded store in
// --data-dir, which it opens and locks itself, or Kubernetes), and /healthz and /readyz
// on --health-addr. appconnector embeds the same gateway.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
)

var binary = components.Binary[Config]{Name: "application-gateway", Parse: parseConfig, Wire: initGateway}

func main() { binary.Main() }

var flagHelp = flag.ErrHelp

// run starts the gateway and serves until ctx is done. listening, if set, receives the
// two bound gateway addresses (standalone, compass), for tests that listen on port 0.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, listening chan<- [2]string) error {
	var tell func(map[string]string)
	if listening != nil {
		tell = func(a map[string]string) {
			listening <- [2]string{a[components.ServerGateway], a[components.ServerGatewayCompass]}
		}
	}
	err := binary.Run(ctx, args, getenv, stderr, tell)
	if errors.Is(err, flag.ErrHelp) {
		return flagHelp
	}
	return err
}

// newGroup serves the gateway's two listeners, health on --health-addr (ready once the
// store has synced and the gateway has loaded its first route table) and metrics.
func newGroup(cfg Config, s *storage.Set, gw *gateway.Gateway, tel *telemetry.Telemetry, logger *slog.Logger) *runner.Group {
	g := components.NewGroup(cfg.Flags, cfg.Health, components.GatewayReady(s, gw), tel, logger)
	g.AddServer(components.ServerGateway, cfg.GatewayAddr, gw.StandaloneHandler(), cfg.GatewayLimits)
	g.AddServer(components.ServerGatewayCompass, cfg.GatewayCompassAddr, gw.CompassHandler(), cfg.GatewayLimits)
	g.AddLoop(gw.Run)
	return g
}
