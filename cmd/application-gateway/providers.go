package main

import (
	"fmt"
	"log/slog"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/ports"
)

// stores are the two ports the gateway reads, from the back end --data-dir selects.
type stores struct {
	Apps    ports.ApplicationRepository
	Secrets ports.SecretStore
}

func openStores(cfg Config, logger *slog.Logger) (*stores, func(), error) {
	if cfg.DataDir == MemoryDataDir {
		apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
		logger.Warn("using the in-memory store: it starts empty and nothing survives a restart")
		return &stores{Apps: apps, Secrets: secrets}, func() { apps.Close(); secrets.Close() }, nil
	}
	db, err := bolt.Open(cfg.DataDir, logger)
	if err != nil {
		return nil, nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	cleanup := func() {
		if err := db.Close(); err != nil {
			logger.Error("close store", "error", err)
		}
	}
	return &stores{Apps: bolt.NewApplicationRepository(db), Secrets: bolt.NewSecretStore(db)}, cleanup, nil
}

func storeApps(s *stores) ports.ApplicationRepository { return s.Apps }
func storeSecrets(s *stores) ports.SecretStore        { return s.Secrets }

func gatewayConfig(cfg Config) gateway.Config {
	g := gateway.DefaultConfig()
	g.ProxyTimeout = cfg.ProxyTimeout
	g.RetryBodyLimit = cfg.RetryBodyLimit
	g.RetryOnAuthFailure = cfg.RetryOnAuthFailure
	return g
}
