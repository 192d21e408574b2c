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

// EventLogSize is the number of events the embedded event log keeps, a distinct type for
// Wire.
type EventLogSize int

// Set is the opened store: every port a binary persists through, all from the same
// backend, so one data dir holds everything (or nothing, for memory). DB is nil for
// memory.
type Set struct {
	Apps        ports.ApplicationRepository
	Secrets     ports.SecretStore
	Tokens      ports.TokenStore
	Revocations ports.RevocationList
	DB          *bolt.DB
}

// Open opens the store in dir and returns it with a cleanup that closes it.
func Open(dir DataDir, logger *slog.Logger) (*Set, func(), error) {
	if dir == MemoryDataDir {
		apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
		logger.Warn("using the in-memory store: it starts empty and nothing survives a restart")
		s := &Set{Apps: apps, Secrets: secrets, Tokens: memory.NewTokenStore(), Revocations: memory.NewRevocationList()}
		return s, func() { apps.Close(); secrets.Close() }, nil
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
	return &Set{Apps: bolt.NewApplicationRepository(db), Secrets: bolt.NewSecretStore(db),
		Tokens: bolt.NewTokenStore(db), Revocations: bolt.NewRevocationList(db), DB: db}, cleanup, nil
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

// ProvideTokens is the Wire provider of the one-time token store of s.
func ProvideTokens(s *Set) ports.TokenStore { return s.Tokens }

// ProvideRevocations is the Wire provider of the certificate revocation list of s.
func ProvideRevocations(s *Set) ports.RevocationList { return s.Revocations }

// ProvideEventLog returns an event log of the given size in s's backend. Each call on a
// memory Set makes a new, empty log, so call it once per process (Wire does).
func ProvideEventLog(s *Set, size EventLogSize) ports.EventLog {
	if s.DB != nil {
		return bolt.NewEventLog(s.DB, int(size))
	}
	return memory.NewEventLog(int(size))
}

// ProviderSet provides *Set and its Application and Secret ports from a DataDir.
var ProviderSet = wire.NewSet(Open, ProvideApplications, ProvideSecrets)

// ConnectorSet adds the connector's ports (tokens, revocations, event log) to
// ProviderSet, from the same backend.
var ConnectorSet = wire.NewSet(ProviderSet, ProvideTokens, ProvideRevocations, ProvideEventLog)
