package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/ports"
)

// store is the storage back end chosen by --data-dir: the embedded bbolt file, or memory.
// DB is nil for memory, and stores of later features pick their adapter by it.
type store struct {
	Apps    ports.ApplicationRepository
	Secrets ports.SecretStore
	DB      *bolt.DB
}

func openStore(cfg Config, logger *slog.Logger) (*store, func(), error) {
	if cfg.DataDir == MemoryDataDir {
		apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
		logger.Warn("using the in-memory store: nothing survives a restart")
		return &store{Apps: apps, Secrets: secrets}, func() { apps.Close(); secrets.Close() }, nil
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
	return &store{Apps: bolt.NewApplicationRepository(db), Secrets: bolt.NewSecretStore(db), DB: db}, cleanup, nil
}

func storeApps(s *store) ports.ApplicationRepository { return s.Apps }
func storeSecrets(s *store) ports.SecretStore        { return s.Secrets }

// ready reports the store usable: a List through the port exercises the whole read path.
func (s *store) ready(ctx context.Context) error {
	_, err := s.Apps.List(ctx)
	return err
}
