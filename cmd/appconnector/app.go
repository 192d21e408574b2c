package main

import (
	"log/slog"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/cmd/internal/runner"
)

// Names of the servers, as logged and as tests look them up.
const (
	serverAPI            = "management API"
	serverGateway        = "gateway"
	serverGatewayCompass = "gateway (Compass)"
	serverConnector      = "connector"
	serverMTLS           = "connector (mTLS)"
	serverValidator      = "validator"
)

// App is the running process: every listener and background loop.
type App struct {
	*runner.Group
}

func newApp(cfg Config, logger *slog.Logger, api *httpapi.Server, gw *gateway.Gateway, cs *connectorServers) *App {
	g := runner.New(logger, cfg.ShutdownTimeout)
	g.AddServer(serverAPI, cfg.APIAddr, api.Handler(), cfg.RequestLimits)
	g.AddServer(serverGateway, cfg.GatewayAddr, gw.StandaloneHandler(), cfg.GatewayLimits)
	g.AddServer(serverGatewayCompass, cfg.GatewayCompassAddr, gw.CompassHandler(), cfg.GatewayLimits)
	g.AddLoop(gw.Run)
	g.AddServer(serverConnector, cfg.ConnectorAddr, cs.connector, cfg.RequestLimits).TLSConfig = cs.tls
	g.AddServer(serverMTLS, cfg.MTLSAddr, cs.mtls, cfg.RequestLimits).TLSConfig = cs.mtlsTLS
	if cs.validator != nil {
		g.AddServer(serverValidator, cfg.ValidatorAddr, cs.validator, cfg.RequestLimits)
	}
	g.AddLoop(cs.run)
	return &App{Group: g}
}
