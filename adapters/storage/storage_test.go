package storage

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
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
