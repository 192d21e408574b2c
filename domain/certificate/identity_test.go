package certificate

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdentityMayActFor(t *testing.T) {
	tests := []struct {
		name      string
		cn        string
		app       string
		clientIDs []string
		want      bool
	}{
		{"cn equals app", "app", "app", nil, true},
		{"cn differs", "other", "app", nil, false},
		{"empty cn", "", "", nil, false},
		{"client id", "id-1", "app", []string{"id-0", "id-1"}, true},
		{"app name not accepted with client ids", "app", "app", []string{"id-1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Identity{CommonName: tt.cn}.MayActFor(tt.app, tt.clientIDs))
		})
	}
}

func TestIdentityOfAndRenewal(t *testing.T) {
	nb := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cert := &x509.Certificate{
		Raw:       []byte("der"),
		Subject:   pkix.Name{CommonName: "app", Organization: []string{"O"}},
		NotBefore: nb,
		NotAfter:  nb.Add(90 * 24 * time.Hour),
	}
	id := IdentityOf(cert)
	assert.Equal(t, "app", id.CommonName)
	assert.Equal(t, "CN=app,O=O", id.Subject)
	assert.Equal(t, FingerprintOf([]byte("der")), id.Fingerprint)
	assert.Equal(t, cert.NotAfter, id.NotAfter)

	s, err := RenewalSubject(id, DefaultSubject)
	require.NoError(t, err)
	assert.Equal(t, DefaultSubject.ForApplication("app"), s)
	_, err = RenewalSubject(Identity{}, DefaultSubject)
	assert.ErrorIs(t, err, ErrInvalidCSR)

	assert.Equal(t, nb.Add(60*24*time.Hour), RenewalTime(cert))
	assert.False(t, RenewalDue(cert, nb.Add(59*24*time.Hour)))
	assert.True(t, RenewalDue(cert, nb.Add(60*24*time.Hour)))
	assert.True(t, RenewalDue(cert, nb.Add(100*24*time.Hour)))

	assert.NoError(t, CheckNotRevoked(id, false))
	err = CheckNotRevoked(id, true)
	assert.True(t, errors.Is(err, ErrRevoked))
	assert.Contains(t, err.Error(), id.Fingerprint.String())
}

func TestCheckNotExpired(t *testing.T) {
	end := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	id := Identity{CommonName: "app", NotAfter: end}
	assert.NoError(t, CheckNotExpired(id, end))
	err := CheckNotExpired(id, end.Add(time.Second))
	assert.ErrorIs(t, err, ErrExpired)
	assert.Contains(t, err.Error(), "2025-04-01T00:00:00Z")
	assert.NoError(t, CheckNotExpired(Identity{CommonName: "app"}, end), "unknown expiry (XFCC without Cert)")
}
