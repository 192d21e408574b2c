package storage

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports/porttest"
)

// TestCompassConnectionsShareTheBackend: the CompassConnection lives where the
// Applications do, so a bolt data dir keeps it across a restart (the agent does not
// pair again) and memory starts without one; a Set without a connection is ready, as a
// runtime before pairing is; closing the Set ends the store's watches.
func TestCompassConnectionsShareTheBackend(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	conn := compass.Connection{Status: compass.Status{ConnectionState: compass.StateConnected}}

	t.Run("bolt", func(t *testing.T) {
		dir := DataDir(t.TempDir())
		s, cleanup, err := OpenEmbedded(dir, logger)
		require.NoError(t, err)
		require.NoError(t, s.Ready(ctx), "ready without a connection")
		created, err := must(ProvideCompassConnections(s)).Create(ctx, conn)
		require.NoError(t, err)
		require.NoError(t, s.Ready(ctx))
		cleanup()

		s, cleanup, err = OpenEmbedded(dir, logger)
		require.NoError(t, err)
		defer cleanup()
		got, err := must(ProvideCompassConnections(s)).Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, created, got, "the connection survives a restart")
	})
	t.Run("memory", func(t *testing.T) {
		s, cleanup, err := OpenEmbedded(MemoryDataDir, logger)
		require.NoError(t, err)
		store := must(ProvideCompassConnections(s))
		assert.Same(t, store, must(ProvideCompassConnections(s)), "one store per Set")
		_, err = store.Create(ctx, conn)
		require.NoError(t, err)
		require.NoError(t, s.Ready(ctx))
		ch, err := store.Watch(ctx)
		require.NoError(t, err)
		cleanup()
		porttest.RequireClosed(t, ch)

		s2, cleanup2, err := OpenEmbedded(MemoryDataDir, logger)
		require.NoError(t, err)
		defer cleanup2()
		_, err = must(ProvideCompassConnections(s2)).Get(ctx)
		require.ErrorIs(t, err, compass.ErrNotFound, "a new memory store starts without a connection")
	})
}
