// Package storage opens the store a binary runs on, chosen by its --data-dir: the
// embedded bbolt file (the default), or memory for ":memory:". Every binary that reads
// Applications and Secrets opens them the same way through this package.
package storage

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/ports"
)

// MemoryDataDir selects the in-memory store: it starts empty and nothing survives a restart.
const MemoryDataDir = ":memory:"

// DataDir is the --data-dir value, a distinct type for Wire.
type DataDir string

// Set is the opened store. DB is nil for memory: stores added by later features pick
// their adapter by it.
type Set struct {
	Apps    ports.ApplicationRepository
	Secrets ports.SecretStore
	DB      *bolt.DB
}

// Open opens the store in dir and returns it with a cleanup that closes it.
func Open(dir DataDir, logger *slog.Logger) (*Set, func(), error) {
	if dir == MemoryDataDir {
		apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
		logger.Warn("using the in-memory store: it starts empty and nothing survives a restart")
		return &Set{Apps: apps, Secrets: secrets}, func() { apps.Close(); secrets.Close() }, nil
	}
	db, err := bolt.Open(string(dir), logger)
	if err != nil {
		return nil, nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	cleanup := func() {
		if err := db.Close(); err != nil {
			logger.Error("close store", "error", err)
		}
	}
	return &Set{Apps: bolt.NewApplicationRepository(db), Secrets: bolt.NewSecretStore(db), DB: db}, cleanup, nil
}

// Ready reports the store usable: a List through the port exercises the whole read path.
func (s *Set) Ready(ctx context.Context) error {
	_, err := s.Apps.List(ctx)
	return err
}

// ProvideApplications is the Wire provider of the ApplicationRepository of s.
func ProvideApplications(s *Set) ports.ApplicationRepository { return s.Apps }

// ProvideSecrets is the Wire provider of the SecretStore of s.
func ProvideSecrets(s *Set) ports.SecretStore { return s.Secrets }

// ProviderSet provides *Set and its two ports from a DataDir.
var ProviderSet = wire.NewSet(Open, ProvideApplications, ProvideSecrets)
