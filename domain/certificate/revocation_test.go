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
