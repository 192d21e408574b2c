package connector

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
)

func TestSignCSR(t *testing.T) {
	t.Run("signs after consuming the token", func(t *testing.T) {
		f := newStateFixture(t, Config{CertificateValidity: 48 * time.Hour})
		f.put(t, application.Application{Name: "app"})
		tok, err := f.svc.IssueToken(t.Context(), "app")
		require.NoError(t, err)
		issued, err := f.svc.SignCSR(t.Context(), tok.Secret, testCSR(t, "app"))
		require.NoError(t, err)
		assert.Equal(t, "app", issued.Certificate.Subject.CommonName)
		reqs := f.signer.requests()
		require.Len(t, reqs, 1)
		assert.Equal(t, certificate.DefaultSubject.ForApplication("app"), reqs[0].Subject)
		assert.Equal(t, testNow.Add(48*time.Hour), reqs[0].NotAfter)
		assertTokenGone(t, f, tok.Secret)
		_, err = f.svc.SignCSR(t.Context(), tok.Secret, testCSR(t, "app"))
		assert.ErrorIs(t, err, pairing.ErrNotFound, "a token signs once")
	})

	t.Run("bad csr keeps the token", func(t *testing.T) {
		f := newStateFixture(t, Config{})
		f.put(t, application.Application{Name: "app"})
		tok, err := f.svc.IssueToken(t.Context(), "app")
		require.NoError(t, err)
		_, err = f.svc.SignCSR(t.Context(), tok.Secret, testCSR(t, "other-app"))
		require.ErrorIs(t, err, certificate.ErrInvalidCSR)
		assert.Contains(t, err.Error(), `subject CN is "other-app", want "app"`)
		assert.Empty(t, f.signer.requests())
		_, err = f.svc.SignCSR(t.Context(), tok.Secret, testCSR(t, "app"))
		require.NoError(t, err, "the client fixes its CSR and retries with the same token")
	})

	// Failure paths: the stores answer what a concurrent client or an HSM outage would
	// make them answer.
	f := newFixture(t, Config{})
	secret, tok, err := pairing.New(f.svc.rand, "app", testNow, 0)
	require.NoError(t, err)
	csr := testCSR(t, "app")

	t.Run("token used concurrently", func(t *testing.T) {
		f.tokens.EXPECT().Lookup(gomock.Any(), tok.Digest, testNow).Return(tok, nil)
		f.apps.EXPECT().Get(gomock.Any(), "app").Return(application.Application{Name: "app"}, nil)
		f.tokens.EXPECT().Consume(gomock.Any(), tok.Digest, testNow).Return(pairing.Token{}, pairing.ErrNotFound)
		_, err := f.svc.SignCSR(t.Context(), secret, csr)
		assert.ErrorIs(t, err, pairing.ErrNotFound)
	})

	t.Run("expired token", func(t *testing.T) {
		f.tokens.EXPECT().Lookup(gomock.Any(), tok.Digest, testNow).Return(tok, pairing.ErrExpired)
		_, err := f.svc.SignCSR(t.Context(), secret, csr)
		assert.ErrorIs(t, err, pairing.ErrExpired)
	})

	t.Run("signer failure restores the token", func(t *testing.T) {
		f.tokens.EXPECT().Lookup(gomock.Any(), tok.Digest, testNow).Return(tok, nil)
		f.apps.EXPECT().Get(gomock.Any(), "app").Return(application.Application{Name: "app"}, nil)
		f.tokens.EXPECT().Consume(gomock.Any(), tok.Digest, testNow).Return(tok, nil)
		f.signer.EXPECT().Sign(gomock.Any(), gomock.Any()).Return(certificate.Issued{}, errors.New("hsm offline"))
		f.tokens.EXPECT().Put(gomock.Any(), tok).Return(nil)
		_, err := f.svc.SignCSR(t.Context(), secret, csr)
		assert.ErrorContains(t, err, "hsm offline")
	})
}

func assertTokenGone(t *testing.T, f *stateFixture, secret string) {
	t.Helper()
	d, err := pairing.HashSecret(secret)
	require.NoError(t, err)
	_, err = f.tokens.Lookup(t.Context(), d, f.now)
	assert.ErrorIs(t, err, pairing.ErrNotFound, "the token was used up")
}

func TestRenew(t *testing.T) {
	f := newStateFixture(t, Config{CertificateValidity: 48 * time.Hour})
	f.put(t, application.Application{Name: "app"})
	id := identity("app")

	issued, err := f.svc.Renew(t.Context(), id, testCSR(t, "app"))
	require.NoError(t, err)
	assert.Equal(t, "app", issued.Certificate.Subject.CommonName)
	reqs := f.signer.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, certificate.DefaultSubject.ForApplication("app"), reqs[0].Subject)
	assert.Equal(t, testNow.Add(48*time.Hour), reqs[0].NotAfter)

	_, err = f.svc.Renew(t.Context(), id, testCSR(t, "other"))
	assert.ErrorIs(t, err, certificate.ErrInvalidCSR, "a certificate renews only itself")

	_, err = f.svc.Renew(t.Context(), certificate.Identity{CommonName: "app"}, testCSR(t, "app"))
	assert.ErrorIs(t, err, ErrNoCertificate)

	require.NoError(t, f.revs.Revoke(t.Context(), id.Fingerprint, id.NotAfter))
	_, err = f.svc.Renew(t.Context(), id, testCSR(t, "app"))
	assert.ErrorIs(t, err, certificate.ErrRevoked)

	require.NoError(t, f.apps.Delete(t.Context(), "app"))
	_, err = f.svc.Renew(t.Context(), withFingerprintOf(id, "app-renewed"), testCSR(t, "app"))
	assert.ErrorIs(t, err, application.ErrNotFound, "a deleted Application's certificate does not renew")
	assert.Len(t, f.signer.requests(), 1, "only the first renewal was signed")
}

func TestManagementInfo(t *testing.T) {
	f := newStateFixture(t, Config{})
	f.put(t, application.Application{Name: "app"})
	id := identity("app")
	info, err := f.svc.ManagementInfo(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "app", info.Application)
	assert.Equal(t, "app", info.Subject.CommonName)
	assert.Equal(t, id.NotAfter, info.CertificateExpiresAt)

	_, err = f.svc.ManagementInfo(t.Context(), identity("missing"))
	assert.ErrorIs(t, err, application.ErrNotFound)
}

func TestManagementInfoRevocationListFailure(t *testing.T) {
	f := newFixture(t, Config{})
	id := identity("app")
	f.revs.EXPECT().IsRevoked(gomock.Any(), id.Fingerprint).Return(false, errors.New("io"))
	_, err := f.svc.ManagementInfo(t.Context(), id)
	assert.ErrorContains(t, err, "check revocation")
}

func TestRevoke(t *testing.T) {
	f := newStateFixture(t, Config{})
	f.put(t, application.Application{Name: "app"})
	id := identity("app")
	require.NoError(t, f.svc.Authorize(t.Context(), "app", []certificate.Identity{id}))
	require.NoError(t, f.svc.Revoke(t.Context(), id))
	require.NoError(t, f.svc.Revoke(t.Context(), id), "revoking twice succeeds")
	assert.ErrorIs(t, f.svc.Revoke(t.Context(), certificate.Identity{}), ErrNoCertificate)
	assert.ErrorIs(t, f.svc.Authorize(t.Context(), "app", []certificate.Identity{id}), certificate.ErrRevoked,
		"the very next request is refused")

	other := identity("other")
	require.NoError(t, f.svc.RevokeFingerprint(t.Context(), other.Fingerprint))
	list, err := f.revs.List(t.Context())
	require.NoError(t, err)
	expires := map[certificate.Fingerprint]time.Time{}
	for _, r := range list {
		expires[r.Fingerprint] = r.ExpiresAt
	}
	assert.Equal(t, map[certificate.Fingerprint]time.Time{
		id.Fingerprint:    id.NotAfter, // purged once the certificate has expired anyway
		other.Fingerprint: {},          // expiry unknown: kept until purged by hand
	}, expires)
}

// TLS checks a client certificate's validity only at the handshake; a connection kept
// alive past NotAfter must not keep working.
func TestCheckCertificateExpired(t *testing.T) {
	f := newStateFixture(t, Config{})
	f.put(t, application.Application{Name: "app"})
	id := identity("app")
	id.NotAfter = testNow.Add(-time.Second)
	err := f.svc.CheckCertificate(t.Context(), id)
	assert.ErrorIs(t, err, certificate.ErrExpired)
	_, err = f.svc.Renew(t.Context(), id, testCSR(t, "app"))
	assert.ErrorIs(t, err, certificate.ErrExpired)
	err = f.svc.Authorize(t.Context(), "app", []certificate.Identity{id})
	assert.ErrorIs(t, err, certificate.ErrExpired)
	assert.Empty(t, f.signer.requests())
}
