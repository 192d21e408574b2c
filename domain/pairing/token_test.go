package pairing

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	secret, tok, err := New(rand.Reader, "app", now, 0)
	require.NoError(t, err)
	assert.Len(t, secret, SecretLength)
	assert.Equal(t, "app", tok.Application)
	assert.Equal(t, now, tok.IssuedAt)
	assert.Equal(t, now.Add(DefaultTTL), tok.ExpiresAt)

	d, err := HashSecret(secret)
	require.NoError(t, err)
	assert.Equal(t, tok.Digest, d)
	assert.NotContains(t, tok.Digest.String(), secret)

	secret2, _, err := New(rand.Reader, "app", now, time.Minute)
	require.NoError(t, err)
	assert.NotEqual(t, secret, secret2)

	_, _, err = New(rand.Reader, "", now, 0)
	assert.Error(t, err)
	_, _, err = New(bytes.NewReader([]byte("short")), "app", now, 0)
	assert.ErrorContains(t, err, "random")
}

func TestExpired(t *testing.T) {
	now := time.Now()
	_, tok, err := New(rand.Reader, "app", now, time.Minute)
	require.NoError(t, err)
	assert.False(t, tok.Expired(now))
	assert.False(t, tok.Expired(now.Add(59*time.Second)))
	assert.True(t, tok.Expired(now.Add(time.Minute)))
}

func TestHashSecretMalformed(t *testing.T) {
	for _, s := range []string{"", "abc", strings.Repeat("a", SecretLength+1), strings.Repeat("a", SecretLength-1) + "=", strings.Repeat("é", 21) + "a"} {
		_, err := HashSecret(s)
		assert.ErrorIs(t, err, ErrMalformed, s)
	}
}
