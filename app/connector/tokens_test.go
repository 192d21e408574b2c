package connector

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/mocks"
)

func TestNew(t *testing.T) {
	assert.Panics(t, func() { _, _ = New(Config{Subject: certificate.DefaultSubject}, Deps{}) })
	ctrl := gomock.NewController(t)
	deps := Deps{
		Applications: mocks.NewMockApplicationRepository(ctrl), Tokens: mocks.NewMockTokenStore(ctrl),
		Signer: mocks.NewMockCertificateSigner(ctrl), Revocations: mocks.NewMockRevocationList(ctrl),
		Sink: mocks.NewMockEventSink(ctrl), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	_, err := New(Config{}, deps)
	assert.ErrorIs(t, err, certificate.ErrInvalidSubject)
	_, err = New(Config{Subject: certificate.DefaultSubject, CertificateValidity: time.Minute}, deps)
	assert.ErrorContains(t, err, "shorter than one hour")
	svc, err := New(Config{Subject: certificate.DefaultSubject}, deps)
	require.NoError(t, err)
	assert.Equal(t, certificate.DefaultValidity, svc.Config().CertificateValidity)
	assert.Equal(t, pairing.DefaultTTL, svc.Config().TokenTTL)
}

func TestIssueToken(t *testing.T) {
	f := newStateFixture(t, Config{TokenTTL: 2 * time.Minute})
	app := f.put(t, application.Application{Name: "app"})
	tok, err := f.svc.IssueToken(t.Context(), "app")
	require.NoError(t, err)
	assert.Equal(t, "app", tok.Application)
	assert.Equal(t, testNow.Add(2*time.Minute), tok.ExpiresAt)
	d, err := pairing.HashSecret(tok.Secret)
	require.NoError(t, err)
	stored, err := f.tokens.Lookup(t.Context(), d, testNow)
	require.NoError(t, err, "only the digest is stored, and it finds the token")
	assert.Equal(t, tok.ExpiresAt, stored.ExpiresAt)
	assert.Equal(t, app.UID, stored.ApplicationUID)

	_, err = f.svc.IssueToken(t.Context(), "missing")
	assert.ErrorIs(t, err, application.ErrNotFound)
}

func TestSigningRequestInfo(t *testing.T) {
	f := newStateFixture(t, Config{})
	f.put(t, application.Application{Name: "app"})
	tok, err := f.svc.IssueToken(t.Context(), "app")
	require.NoError(t, err)

	info, err := f.svc.SigningRequestInfo(t.Context(), tok.Secret)
	require.NoError(t, err)
	assert.Equal(t, "app", info.Application)
	assert.Equal(t, "O=Organization,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,CN=app", info.Subject.String())
	assert.Equal(t, "rsa2048", info.KeyAlgorithm)
	assert.NotEqual(t, tok.Secret, info.Next.Secret)

	_, err = f.svc.SigningRequestInfo(t.Context(), tok.Secret)
	assert.ErrorIs(t, err, pairing.ErrNotFound, "the token was used up")
	_, err = f.svc.SigningRequestInfo(t.Context(), info.Next.Secret)
	require.NoError(t, err, "the next token works once")

	_, err = f.svc.SigningRequestInfo(t.Context(), "garbage")
	assert.ErrorIs(t, err, pairing.ErrMalformed, "malformed tokens never reach the store")
}

func TestIssueTokenStoreFailure(t *testing.T) {
	f := newFixture(t, Config{})
	f.apps.EXPECT().Get(gomock.Any(), "app").Return(application.Application{Name: "app"}, nil)
	f.tokens.EXPECT().Put(gomock.Any(), gomock.Any()).Return(errors.New("disk full"))
	_, err := f.svc.IssueToken(t.Context(), "app")
	assert.ErrorContains(t, err, "disk full")

	f.svc.rand = zeroReader
	f.apps.EXPECT().Get(gomock.Any(), "app").Return(application.Application{Name: "app"}, nil)
	_, err = f.svc.IssueToken(t.Context(), "app")
	assert.Error(t, err)
}
