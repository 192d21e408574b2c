package certificate

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRevocationExpired(t *testing.T) {
	now := time.Now()
	assert.False(t, Revocation{}.Expired(now), "zero expiry is kept forever")
	assert.False(t, Revocation{ExpiresAt: now.Add(time.Second)}.Expired(now))
	assert.True(t, Revocation{ExpiresAt: now.Add(-time.Second)}.Expired(now))
}

func TestIssuedPEM(t *testing.T) {
	client := &x509.Certificate{Raw: []byte("client")}
	ca := &x509.Certificate{Raw: []byte("ca")}
	i := Issued{Certificate: client, CAChain: []*x509.Certificate{ca}}

	blocks := func(b []byte) []string {
		var out []string
		for {
			var p *pem.Block
			p, b = pem.Decode(b)
			if p == nil {
				return out
			}
			require.Equal(t, "CERTIFICATE", p.Type)
			out = append(out, string(p.Bytes))
		}
	}
	assert.Equal(t, []string{"client"}, blocks(i.ClientPEM()))
	assert.Equal(t, []string{"client", "ca"}, blocks(i.ChainPEM()))
	assert.Equal(t, []string{"ca"}, blocks(i.CAPEM()))
}

func TestRevocationExtend(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r := NewRevocation(FingerprintOf([]byte("x")), now, now.Add(time.Hour))
	assert.Equal(t, now, r.RevokedAt)
	assert.Equal(t, now.Add(time.Hour), r.Extend(now.Add(time.Minute)).ExpiresAt)
	assert.Equal(t, now.Add(2*time.Hour), r.Extend(now.Add(2*time.Hour)).ExpiresAt)
	assert.True(t, r.Extend(time.Time{}).ExpiresAt.IsZero())
	forever := NewRevocation(r.Fingerprint, now, time.Time{})
	assert.True(t, forever.Extend(now.Add(time.Hour)).ExpiresAt.IsZero())
	assert.Equal(t, now, r.Extend(time.Time{}).RevokedAt)
}
