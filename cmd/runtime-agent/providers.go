package main

import (
	"log/slog"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/app/compass"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/ports"
)

func gatewayBaseURL(cfg Config) components.GatewayBaseURL {
	return components.GatewayBaseURL(cfg.GatewayBaseURL)
}

// newGroup serves health and metrics and runs the agent; /readyz answers once the store
// has synced, on the leader and on the replicas standing by alike.
func newGroup(cfg Config, s *storage.Set, a *compass.Agent, conns ports.CompassConnectionStore, tel *telemetry.Telemetry, logger *slog.Logger) (*runner.Group, error) {
	g := components.NewGroup(cfg.Flags, cfg.Health, components.StoreReady(s), tel, logger)
	components.ObserveCompass(tel, conns)
	if err := components.AddAgent(g, a, cfg.Flags, cfg.Compass, logger); err != nil {
		return nil, err
	}
	return g, nil
}
