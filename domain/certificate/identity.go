package certificate

import (
	"crypto/x509"
	"time"
)

// Identity is who presented a client certificate: taken from a verified TLS peer
// certificate, or from X-Forwarded-Client-Cert set by a trusted proxy.
type Identity struct {
	// CommonName is the subject CN: an Application name or a Compass client id.
	CommonName string
	// Subject is the full subject in string form, for logs and error messages.
	Subject string
	// Fingerprint identifies the certificate for revocation; zero when the proxy did
	// not pass one (such an identity is never authorised).
	Fingerprint Fingerprint
	// NotAfter is the certificate's expiry; zero when unknown (XFCC without Cert).
	NotAfter time.Time
}

// IdentityOf returns the identity of a parsed certificate.
func IdentityOf(cert *x509.Certificate) Identity {
	return Identity{
		CommonName:  cert.Subject.CommonName,
		Subject:     cert.Subject.String(),
		Fingerprint: FingerprintOf(cert.Raw),
		NotAfter:    cert.NotAfter,
	}
}

// MayActFor applies the validator's rule: a certificate may act for an Application
// when its CN is the Application name, or, if the Application lists Compass client ids,
// when the CN is one of them (the name is then no longer accepted, as in Kyma).
func (id Identity) MayActFor(app string, clientIDs []string) bool {
	if id.CommonName == "" {
		return false
	}
	if len(clientIDs) == 0 {
		return id.CommonName == app
	}
	for _, c := range clientIDs {
		if c == id.CommonName {
			return true
		}
	}
	return false
}
