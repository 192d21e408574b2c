package main

import (
	"log/slog"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/app/compass"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/ports"
)

// adminTokenFile is where the management API token lives in the data dir.
const adminTokenFile = components.AdminTokenFile

var loadOrCreateAdminToken = components.LoadOrCreateAdminToken

func provideAdminToken(cfg Config) (components.AdminToken, error) {
	return components.ProvideAdminToken(cfg.Flags, cfg.Management)
}

// provideAPIConfig makes /readyz report ready once the store has synced and the gateway
// has loaded its first route table, so a probe never sends traffic to a gateway
// answering 503.
func provideAPIConfig(cfg Config, tok components.AdminToken, s *storage.Set, gw *gateway.Gateway) (httpapi.Config, error) {
	c := components.APIConfig(tok, components.GatewayReady(s, gw))
	if cfg.CompassEnabled {
		store, err := storage.ProvideCompassConnections(s)
		if err != nil {
			return c, err
		}
		c.CompassConnections = store
	}
	return c, nil
}

// provideAgent is the Runtime Agent under --compass, nil without it.
func provideAgent(cfg Config, s *storage.Set, apps ports.ApplicationRepository, secrets ports.SecretStore, tel *telemetry.Telemetry,
	logger *slog.Logger) (*compass.Agent, error) {
	if !cfg.CompassEnabled {
		return nil, nil
	}
	conns, err := storage.ProvideCompassConnections(s)
	if err != nil {
		return nil, err
	}
	components.ObserveCompass(tel, conns)
	opts, err := components.CompassClientOptions(cfg.Compass)
	if err != nil {
		return nil, err
	}
	connector, err := components.CompassConnector(opts)
	if err != nil {
		return nil, err
	}
	director, err := components.CompassDirector(opts)
	if err != nil {
		return nil, err
	}
	agentCfg := components.AgentConfig(cfg.Compass, components.GatewayBaseURL(cfg.CompassGatewayBaseURL), logger)
	return components.NewAgent(agentCfg, conns, secrets, apps, connector, director), nil
}

// createCA: the all-in-one process signs, so it creates the CA Secret when absent.
func createCA() components.CreateCA { return true }
