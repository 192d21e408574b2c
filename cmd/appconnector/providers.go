package main

import (
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/cmd/internal/components"
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
func provideAPIConfig(tok components.AdminToken, s *storage.Set, gw *gateway.Gateway) httpapi.Config {
	return components.APIConfig(tok, components.GatewayReady(s, gw))
}

// createCA: the all-in-one process signs, so it creates the CA Secret when absent.
func createCA() components.CreateCA { return true }
