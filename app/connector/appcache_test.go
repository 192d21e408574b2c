package connector

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/mocks"
)

func TestAppCacheFollowsRepository(t *testing.T) {
	repo := memory.NewApplicationRepository()
	_, _, err := repo.Put(t.Context(), application.Application{Name: "before"})
	require.NoError(t, err)
	c := newAppCache(repo)

	// Before the watch synced, lookups read the repository.
	info, err := c.get(t.Context(), "before")
	require.NoError(t, err)
	assert.Equal(t, "before", info.name)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go c.run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Eventually(t, func() bool { c.mu.RLock(); defer c.mu.RUnlock(); return c.synced }, 5*time.Second, 5*time.Millisecond)

	_, _, err = repo.Put(t.Context(), application.Application{Name: "after", Labels: map[string]string{"application-type": "crm"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := c.get(t.Context(), "after"); return err == nil }, 5*time.Second, 5*time.Millisecond)
	info, _ = c.get(t.Context(), "after")
	assert.Equal(t, "crm", info.appType)

	require.NoError(t, repo.Delete(t.Context(), "before"))
	require.Eventually(t, func() bool { _, err := c.get(t.Context(), "before"); return err != nil }, 5*time.Second, 5*time.Millisecond)
	_, err = c.get(t.Context(), "before")
	assert.ErrorIs(t, err, application.ErrNotFound)
}

func TestRunPurges(t *testing.T) {
	ctrl := gomock.NewController(t)
	tokens := mocks.NewMockTokenStore(ctrl)
	revs := mocks.NewMockRevocationList(ctrl)
	purged := make(chan struct{}, 10)
	tokens.EXPECT().Purge(gomock.Any(), testNow).Return(2, nil).MinTimes(1)
	revs.EXPECT().Purge(gomock.Any(), testNow).DoAndReturn(func(context.Context, time.Time) (int, error) {
		purged <- struct{}{}
		return 0, nil
	}).MinTimes(1)
	svc, err := New(Config{Subject: certificate.DefaultSubject, PurgeInterval: time.Hour}, Deps{
		Applications: memory.NewApplicationRepository(), Tokens: tokens, Signer: mocks.NewMockCertificateSigner(ctrl),
		Revocations: revs, Sink: mocks.NewMockEventSink(ctrl), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return testNow },
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- svc.Run(ctx) }()
	select {
	case <-purged:
	case <-time.After(5 * time.Second):
		t.Fatal("run did not purge at start")
	}
	cancel()
	require.NoError(t, <-done)
}
