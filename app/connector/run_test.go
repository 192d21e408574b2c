package connector

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/mocks"
)

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
