package main

import (
	"log/slog"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/app/compass"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
)

// Names of the servers, as logged and as tests look them up.
const (
	serverAPI            = components.ServerAPI
	serverGateway        = components.ServerGateway
	serverGatewayCompass = components.ServerGatewayCompass
	serverConnector      = components.ServerConnector
	serverMTLS           = components.ServerMTLS
	serverValidator      = components.ServerValidator
)

// App is the running process: every listener and background loop.
type App struct {
	*runner.Group
}

func newApp(cfg Config, logger *slog.Logger, tel *telemetry.Telemetry, api *httpapi.Server, gw *gateway.Gateway, cs *components.ConnectorServers,
	agent *compass.Agent) (*App, error) {
	g := runner.New(logger, cfg.ShutdownTimeout)
	g.AddServer(serverAPI, cfg.APIAddr, api.Handler(), cfg.RequestLimits)
	g.AddServer(serverGateway, cfg.GatewayAddr, gw.StandaloneHandler(), cfg.GatewayLimits)
	g.AddServer(serverGatewayCompass, cfg.GatewayCompassAddr, gw.CompassHandler(), cfg.GatewayLimits)
	g.AddLoop(gw.Run)
	cs.Add(g, cfg.RequestLimits)
	cs.ObserveCertificates(g, tel)
	components.AddMetrics(g, tel)
	if agent != nil {
		if err := components.AddAgent(g, agent, cfg.Flags, cfg.Compass, logger); err != nil {
			return nil, err
		}
	}
	return &App{Group: g}, nil
}
