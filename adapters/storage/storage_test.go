package storage

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, dir := range map[string]DataDir{"memory": MemoryDataDir, "bolt": DataDir(t.TempDir())} {
		t.Run(name, func(t *testing.T) {
			s, cleanup, err := Open(dir, logger)
			require.NoError(t, err)
			defer cleanup()
			assert.Equal(t, name == "bolt", s.DB != nil)
			require.NoError(t, s.Ready(context.Background()))
			_, created, err := ProvideApplications(s).Put(context.Background(), application.Application{Name: "a"})
			require.NoError(t, err)
			assert.True(t, created)
			assert.NotNil(t, ProvideSecrets(s))
		})
	}
}

func TestOpenFailsOnUnusableDir(t *testing.T) {
	t.Parallel()
	_, _, err := Open("/proc/version/not-a-dir", slog.New(slog.NewTextHandler(io.Discard, nil)))
	assert.ErrorContains(t, err, "open store in /proc/version/not-a-dir")
}

// TestConnectorPortsShareTheBackend: tokens, revocations and events live where the
// Applications do, so a bolt data dir keeps them across a restart (and memory does not
// pretend to). The event log keeps the size it is given.
func TestConnectorPortsShareTheBackend(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	now := time.Now()
	tok := pairing.Token{Digest: pairing.Digest{1}, Application: "a", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	fp := certificate.Fingerprint{2}
	write := func(t *testing.T, s *Set) {
		t.Helper()
		require.NoError(t, ProvideTokens(s).Put(ctx, tok))
		require.NoError(t, ProvideRevocations(s).Revoke(ctx, fp, now.Add(time.Hour)))
		log := ProvideEventLog(s, 2)
		for _, id := range []string{"e1", "e2", "e3"} {
			_, err := log.Append(ctx, event.Record{Application: "a", ReceivedAt: now, Event: event.CloudEvent{SpecVersion: "1.0", ID: id, Source: "a", Type: "t"}})
			require.NoError(t, err)
		}
	}
	read := func(t *testing.T, s *Set) (tokenFound, revoked bool, ids []string) {
		t.Helper()
		_, err := ProvideTokens(s).Lookup(ctx, tok.Digest, now)
		tokenFound = err == nil
		revoked, err = ProvideRevocations(s).IsRevoked(ctx, fp)
		require.NoError(t, err)
		recs, err := ProvideEventLog(s, 2).List(ctx, ports.EventQuery{Limit: 10})
		require.NoError(t, err)
		for _, r := range recs {
			ids = append(ids, r.Event.ID)
		}
		return tokenFound, revoked, ids
	}

	t.Run("bolt", func(t *testing.T) {
		dir := DataDir(t.TempDir())
		s, cleanup, err := Open(dir, logger)
		require.NoError(t, err)
		write(t, s)
		cleanup()
		s, cleanup, err = Open(dir, logger)
		require.NoError(t, err)
		defer cleanup()
		tokenFound, revoked, ids := read(t, s)
		assert.True(t, tokenFound, "token survives a restart")
		assert.True(t, revoked, "revocation survives a restart")
		assert.Equal(t, []string{"e2", "e3"}, ids, "event log survives a restart and keeps its size")
	})
	t.Run("memory", func(t *testing.T) {
		s, cleanup, err := Open(MemoryDataDir, logger)
		require.NoError(t, err)
		defer cleanup()
		write(t, s)
		tokenFound, revoked, _ := read(t, s)
		assert.True(t, tokenFound)
		assert.True(t, revoked)
		s2, cleanup2, err := Open(MemoryDataDir, logger)
		require.NoError(t, err)
		defer cleanup2()
		tokenFound, revoked, ids := read(t, s2)
		assert.False(t, tokenFound || revoked, "a new memory store starts empty")
		assert.Empty(t, ids)
	})
}
