package pairing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// DefaultTTL is how long a token is valid unless configured otherwise (Kyma's
// appTokenExpirationMinutes default).
const DefaultTTL = 5 * time.Minute

// secretBytes is the random part of a token: 256 bits, twice the required minimum.
const secretBytes = 32

// SecretLength is the length of a token secret: unpadded base64url of 32 bytes.
const SecretLength = 43

// Digest is the SHA-256 of a token secret; stores key tokens by it. A plain hash is
// enough because the secret has 256 bits of entropy: there is nothing to brute-force.
type Digest [sha256.Size]byte

// String returns the digest in hex (safe to log: it does not reveal the secret).
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// Token is a stored one-time token. It holds no secret.
type Token struct {
	Digest      Digest
	Application string
	// ApplicationUID is the UID of the Application at issue time. A token is only good
	// for that Application: deleted, or deleted and created again under the same name,
	// it is another one.
	ApplicationUID string
	IssuedAt       time.Time
	ExpiresAt      time.Time
}

// Expired reports whether the token can no longer be used at now.
func (t Token) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

// New makes a token for app that expires ttl after now (DefaultTTL when ttl <= 0),
// reading 256 bits from r (crypto/rand.Reader in production). It returns the secret to
// hand to the client and the Token to store.
func New(r io.Reader, app string, now time.Time, ttl time.Duration) (string, Token, error) {
	if app == "" {
		return "", Token{}, fmt.Errorf("new token: empty application name")
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	var b [secretBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", Token{}, fmt.Errorf("new token: read random bytes: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	return secret, Token{
		Digest:      sha256.Sum256([]byte(secret)),
		Application: app,
		IssuedAt:    now.UTC(),
		ExpiresAt:   now.Add(ttl).UTC(),
	}, nil
}

// HashSecret returns the digest of a secret presented by a client, or ErrMalformed if it
// cannot be one of ours (wrong length or alphabet), so garbage never reaches a store.
func HashSecret(secret string) (Digest, error) {
	if len(secret) != SecretLength {
		return Digest{}, ErrMalformed
	}
	for i := 0; i < len(secret); i++ {
		c := secret[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return Digest{}, ErrMalformed
		}
	}
	return sha256.Sum256([]byte(secret)), nil
}
