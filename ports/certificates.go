package ports

//go:generate go tool mockgen -source=certificates.go -destination=../mocks/certificates_mock.go -package=mocks -typed

import (
	"context"
	"crypto/x509"
	"time"

	"github.com/appconnector/appconnector/domain/certificate"
)

// CertificateSigner is the certificate authority that issues Application client
// certificates. The file-based CA implements it; a Vault PKI adapter can too (its
// sign-verbatim endpoint takes the same inputs). Implementations are safe for
// concurrent use.
type CertificateSigner interface {
	// Sign issues a client certificate for req: req's public key, subject and validity,
	// client-auth usage (certificate.Template), a fresh random serial number, nothing
	// copied from the CSR. The request was validated by the caller. Errors are
	// infrastructure failures (a remote CA unreachable, a key unusable).
	Sign(ctx context.Context, req certificate.Request) (certificate.Issued, error)

	// CACertificates returns the chain that issued certificates verify against, issuer
	// first; its last element is the trust anchor clients and servers pin.
	CACertificates(ctx context.Context) ([]*x509.Certificate, error)
}

// RevocationList holds revoked client certificates by fingerprint. Implementations are
// safe for concurrent use; a revocation is visible to IsRevoked as soon as Revoke
// returns, in every goroutine.
type RevocationList interface {
	// Revoke adds the fingerprint. Revoking an already revoked fingerprint succeeds and
	// keeps the later of the two expiries (a zero expiry, meaning never, wins).
	// expiresAt is when the entry may be purged (the certificate's NotAfter).
	Revoke(ctx context.Context, fp certificate.Fingerprint, expiresAt time.Time) error

	// IsRevoked reports whether the fingerprint is on the list.
	IsRevoked(ctx context.Context, fp certificate.Fingerprint) (bool, error)

	// List returns every entry, sorted by fingerprint.
	List(ctx context.Context) ([]certificate.Revocation, error)

	// Purge removes the entries expired at now and returns how many it removed.
	Purge(ctx context.Context, now time.Time) (int, error)
}
