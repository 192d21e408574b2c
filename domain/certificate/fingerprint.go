package certificate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Fingerprint is the SHA-256 digest of a certificate's DER encoding: what Envoy puts
// into the Hash field of X-Forwarded-Client-Cert and what Kyma's revocation list held.
type Fingerprint [sha256.Size]byte

// FingerprintOf returns the fingerprint of a DER-encoded certificate.
func FingerprintOf(der []byte) Fingerprint { return sha256.Sum256(der) }

// String returns the fingerprint as 64 lower-case hex digits.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// IsZero reports whether f is unset.
func (f Fingerprint) IsZero() bool { return f == Fingerprint{} }

// ParseFingerprint parses 64 hex digits in either case, optionally separated by colons
// (the form openssl prints), or returns an error wrapping ErrInvalidFingerprint.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	clean := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	if len(clean) != 2*len(f) {
		return f, fmt.Errorf("%w: want %d hex digits, got %d characters", ErrInvalidFingerprint, 2*len(f), len(clean))
	}
	if _, err := hex.Decode(f[:], []byte(clean)); err != nil {
		return Fingerprint{}, fmt.Errorf("%w: not hex", ErrInvalidFingerprint)
	}
	return f, nil
}
