package connectorapi

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"

	"github.com/appconnector/appconnector/domain/certificate"
)

// identityFromTLS returns the identity of the verified client certificate of a TLS
// connection, or false when the connection carries none (plain HTTP, or TLS without a
// verified client chain).
func identityFromTLS(cs *tls.ConnectionState) (certificate.Identity, bool) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return certificate.Identity{}, false
	}
	return certificate.IdentityOf(cs.VerifiedChains[0][0]), true
}

// identitiesFromXFCC turns every XFCC element with a subject or certificate into an
// identity. Elements that cannot be used (no CN) are skipped; malformed ones are errors.
func identitiesFromXFCC(header string, roots *x509.CertPool) ([]certificate.Identity, error) {
	els, err := ParseXFCC(header)
	if err != nil {
		return nil, err
	}
	var ids []certificate.Identity
	for _, el := range els {
		id, err := identityFromXFCC(el, roots)
		if err != nil {
			return nil, err
		}
		if id.CommonName != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// identityFromXFCC builds an identity from one element. With a Cert (URL-encoded PEM)
// the certificate itself is used, and verified against roots when roots is set, so a
// proxy that trusts more CAs than ours cannot smuggle foreign certificates in. Without
// one, CN comes from Subject and the fingerprint from Hash (the proxy's word).
func identityFromXFCC(el XFCCElement, roots *x509.CertPool) (certificate.Identity, error) {
	var id certificate.Identity
	if el.Cert != "" {
		cert, err := parseXFCCCert(el.Cert)
		if err != nil {
			return id, err
		}
		if roots != nil {
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				return id, fmt.Errorf("%w: forwarded certificate of %q is not issued by this connector's CA", errXFCC, cert.Subject.CommonName)
			}
		}
		id = certificate.IdentityOf(cert)
		if el.Hash != "" {
			fp, err := certificate.ParseFingerprint(el.Hash)
			if err != nil || fp != id.Fingerprint {
				return certificate.Identity{}, fmt.Errorf("%w: Hash does not match Cert", errXFCC)
			}
		}
		return id, nil
	}
	if el.Subject != "" {
		dn, err := certificate.ParseDN(el.Subject)
		if err != nil {
			return id, fmt.Errorf("%w: Subject: %w", errXFCC, err)
		}
		if dn.Count("CN") > 1 {
			return id, fmt.Errorf("%w: Subject has more than one CN", errXFCC)
		}
		id.CommonName = dn.Get("CN")
		id.Subject = el.Subject
	}
	if el.Hash != "" {
		fp, err := certificate.ParseFingerprint(el.Hash)
		if err != nil {
			return id, fmt.Errorf("%w: Hash: %w", errXFCC, err)
		}
		id.Fingerprint = fp
	}
	return id, nil
}

func parseXFCCCert(v string) (*x509.Certificate, error) {
	raw, err := url.QueryUnescape(v)
	if err != nil {
		return nil, fmt.Errorf("%w: Cert is not URL-encoded", errXFCC)
	}
	block, _ := pem.Decode([]byte(raw))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: Cert is not a PEM certificate", errXFCC)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%w: Cert cannot be parsed", errXFCC))
	}
	return cert, nil
}
