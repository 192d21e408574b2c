package certificate

import (
	"crypto/x509"
	"fmt"
	"time"
)

// RenewalSubject is the subject a renewal CSR must carry: the configured base with the
// CN of the certificate that authenticated the renewal, so a certificate can only renew
// itself, never obtain one for another Application.
func RenewalSubject(presented Identity, base Subject) (Subject, error) {
	if presented.CommonName == "" {
		return Subject{}, csrErrorf("the presented certificate has no CN")
	}
	return base.ForApplication(presented.CommonName), nil
}

// renewAfterFraction is the part of a certificate's lifetime after which clients should
// renew (two thirds, as cert-manager does by default).
const renewAfterFraction = 2.0 / 3.0

// RenewalDue reports whether a certificate should be renewed at now: once two thirds of
// its lifetime have passed, or when it has already expired.
func RenewalDue(cert *x509.Certificate, now time.Time) bool {
	return !now.Before(RenewalTime(cert))
}

// RenewalTime is when RenewalDue becomes true for cert.
func RenewalTime(cert *x509.Certificate) time.Time {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotBefore.Add(time.Duration(float64(life) * renewAfterFraction))
}

// CheckNotRevoked returns an error wrapping ErrRevoked when revoked is true; it exists
// so the revocation rule and message live in one place.
func CheckNotRevoked(id Identity, revoked bool) error {
	if revoked {
		return fmt.Errorf("certificate %s of %q: %w", id.Fingerprint, id.CommonName, ErrRevoked)
	}
	return nil
}

// CheckNotExpired returns an error wrapping ErrExpired when the presented certificate's
// NotAfter has passed at now; an unknown expiry (XFCC without Cert) is not checked.
func CheckNotExpired(id Identity, now time.Time) error {
	if !id.NotAfter.IsZero() && now.After(id.NotAfter) {
		return fmt.Errorf("certificate %s of %q expired at %s: %w", id.Fingerprint, id.CommonName, id.NotAfter.UTC().Format(time.RFC3339), ErrExpired)
	}
	return nil
}
