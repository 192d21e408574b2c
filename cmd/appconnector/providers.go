package main

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/httpapi/metadataapi"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/app/metadata"
)

// adminToken is a distinct type so Wire cannot confuse it with any other string.
type adminToken string

func provideAdminToken(cfg Config) (adminToken, error) {
	path := cfg.AdminTokenFile
	if path == "" {
		if cfg.DataDir == storage.MemoryDataDir {
			return "", errors.New("--data-dir :memory: needs --admin-token-file")
		}
		path = filepath.Join(cfg.DataDir, adminTokenFile)
	}
	tok, err := loadOrCreateAdminToken(path)
	return adminToken(tok), err
}

// provideAPIConfig makes /readyz report ready once the store answers and the gateway has
// loaded its first route table, so a probe never sends traffic to a gateway answering 503.
func provideAPIConfig(tok adminToken, s *storage.Set, gw *gateway.Gateway) httpapi.Config {
	return httpapi.Config{AdminToken: string(tok), ReadyCheck: func(ctx context.Context) error {
		if err := s.Ready(ctx); err != nil {
			return err
		}
		if !gw.Ready() {
			return errors.New("gateway route table not loaded yet")
		}
		return nil
	}}
}

func provideMetadataConfig(cfg Config) metadata.Config {
	return metadata.Config{CentralGatewayURL: cfg.GatewayBaseURL}
}

func provideExtraRoutes(meta *metadataapi.Handler, conn *connectorapi.ManagementRoutes) httpapi.ExtraRoutes {
	return httpapi.ExtraRoutes{meta, conn}
}
