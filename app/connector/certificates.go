package connector

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
)

// ManagementInfo describes the Application a client certificate belongs to.
type ManagementInfo struct {
	Application  string
	Subject      certificate.Subject
	KeyAlgorithm string
	// CertificateExpiresAt is the presented certificate's NotAfter (zero if unknown).
	CertificateExpiresAt time.Time
}

// SignCSR signs the base64 PEM CSR for the token's Application. The CSR is checked
// before the token is used up, so a client that sent a bad CSR (400) can fix it and
// retry with the same token; of concurrent requests with one token only one gets a
// certificate. Errors wrap pairing.ErrNotFound/ErrExpired/ErrMalformed (token),
// application.ErrNotFound, or certificate.ErrInvalidCSR.
func (s *Service) SignCSR(ctx context.Context, secret, csr string) (certificate.Issued, error) {
	d, err := s.digest(secret)
	if err != nil {
		return certificate.Issued{}, err
	}
	tok, err := s.tokens.Lookup(ctx, d, s.now())
	if err != nil {
		return certificate.Issued{}, fmt.Errorf("use token: %w", err)
	}
	if err := s.checkTokenApplication(ctx, tok); err != nil {
		if errors.Is(err, pairing.ErrNotFound) {
			// Used up, so that it stays dead if the Application comes back.
			if _, cerr := s.tokens.Consume(ctx, d, s.now()); cerr != nil && !errors.Is(cerr, pairing.ErrNotFound) {
				s.logger.Warn("remove token of a deleted application", "application", tok.Application, "err", cerr)
			}
		}
		return certificate.Issued{}, err
	}
	req, err := s.checkCSR(csr, s.cfg.Subject.ForApplication(tok.Application))
	if err != nil {
		return certificate.Issued{}, err
	}
	if tok, err = s.tokens.Consume(ctx, d, s.now()); err != nil {
		return certificate.Issued{}, fmt.Errorf("use token: %w", err)
	}
	issued, err := s.signer.Sign(ctx, req)
	if err != nil {
		// Give the token back: the client did nothing wrong.
		if perr := s.tokens.Put(ctx, tok); perr != nil {
			s.logger.Warn("restore token after failed signing", "application", tok.Application, "err", perr)
		}
		return certificate.Issued{}, fmt.Errorf("sign csr for %s: %w", tok.Application, err)
	}
	s.logIssued("issued client certificate", issued)
	return issued, nil
}

// CheckToken reports, without using it up, whether secret is a token SignCSR would
// accept now, so an API can refuse a request before reading its body. Errors are
// those of SignCSR's token checks.
func (s *Service) CheckToken(ctx context.Context, secret string) error {
	d, err := s.digest(secret)
	if err != nil {
		return err
	}
	tok, err := s.tokens.Lookup(ctx, d, s.now())
	if err != nil {
		return fmt.Errorf("use token: %w", err)
	}
	return s.checkTokenApplication(ctx, tok)
}

func (s *Service) checkCSR(encoded string, want certificate.Subject) (certificate.Request, error) {
	csr, err := certificate.DecodeCSR(encoded)
	if err != nil {
		return certificate.Request{}, err
	}
	if err := certificate.ValidateCSRSubject(csr, want); err != nil {
		return certificate.Request{}, err
	}
	return certificate.NewRequest(csr, want, s.now(), s.cfg.CertificateValidity), nil
}

func (s *Service) logIssued(msg string, issued certificate.Issued) {
	c := issued.Certificate
	s.logger.Info(msg, "application", c.Subject.CommonName, "serial", c.SerialNumber.Text(16),
		"fingerprint", certificate.FingerprintOf(c.Raw).String(), "notAfter", c.NotAfter)
}

// CheckCertificate returns an error wrapping certificate.ErrRevoked if the presented
// certificate is revoked, or certificate.ErrExpired if it has expired. The mTLS API
// calls it on every request, after TLS verified the chain: TLS checks the validity only
// at the handshake, and a kept-alive connection can outlive the certificate.
func (s *Service) CheckCertificate(ctx context.Context, id certificate.Identity) error {
	if id.Fingerprint.IsZero() {
		return ErrNoCertificate
	}
	if err := certificate.CheckNotExpired(id, s.now()); err != nil {
		return err
	}
	revoked, err := s.revocations.IsRevoked(ctx, id.Fingerprint)
	if err != nil {
		return fmt.Errorf("check revocation: %w", err)
	}
	return certificate.CheckNotRevoked(id, revoked)
}

// ManagementInfo describes the Application of a verified, not revoked certificate.
// The error wraps certificate.ErrRevoked or application.ErrNotFound.
func (s *Service) ManagementInfo(ctx context.Context, id certificate.Identity) (ManagementInfo, error) {
	if err := s.CheckCertificate(ctx, id); err != nil {
		return ManagementInfo{}, err
	}
	if _, err := s.apps.Get(ctx, id.CommonName); err != nil {
		return ManagementInfo{}, fmt.Errorf("management info for %s: %w", id.CommonName, err)
	}
	info := ManagementInfo{
		Application:          id.CommonName,
		Subject:              s.cfg.Subject.ForApplication(id.CommonName),
		KeyAlgorithm:         certificate.AnnouncedKeyAlgorithm,
		CertificateExpiresAt: id.NotAfter,
	}
	return info, nil
}

// Renew signs a new certificate for the Application of the presented certificate. The
// CSR must carry the same CN; a revoked certificate cannot renew. Errors wrap
// certificate.ErrRevoked, certificate.ErrInvalidCSR or application.ErrNotFound.
func (s *Service) Renew(ctx context.Context, id certificate.Identity, csr string) (certificate.Issued, error) {
	if err := s.CheckCertificate(ctx, id); err != nil {
		return certificate.Issued{}, err
	}
	want, err := certificate.RenewalSubject(id, s.cfg.Subject)
	if err != nil {
		return certificate.Issued{}, err
	}
	if _, err := s.apps.Get(ctx, want.CommonName); err != nil {
		return certificate.Issued{}, fmt.Errorf("renew certificate of %s: %w", want.CommonName, err)
	}
	req, err := s.checkCSR(csr, want)
	if err != nil {
		return certificate.Issued{}, err
	}
	issued, err := s.signer.Sign(ctx, req)
	if err != nil {
		return certificate.Issued{}, fmt.Errorf("renew certificate of %s: %w", want.CommonName, err)
	}
	s.logIssued("renewed client certificate", issued)
	return issued, nil
}

// Revoke revokes the presented certificate; it takes effect for the very next request.
// Revoking a revoked certificate succeeds.
func (s *Service) Revoke(ctx context.Context, id certificate.Identity) error {
	if id.Fingerprint.IsZero() {
		return ErrNoCertificate
	}
	if err := s.revocations.Revoke(ctx, id.Fingerprint, id.NotAfter); err != nil {
		return fmt.Errorf("revoke certificate of %s: %w", id.CommonName, err)
	}
	s.logger.Info("revoked client certificate", "application", id.CommonName, "fingerprint", id.Fingerprint.String())
	return nil
}

// RevokeFingerprint revokes a certificate by its SHA-256 fingerprint (the management
// API's revocation, Kyma's internal {"hash": ...}). The entry is kept until purged by
// hand, since the certificate's expiry is unknown.
func (s *Service) RevokeFingerprint(ctx context.Context, fp certificate.Fingerprint) error {
	if err := s.revocations.Revoke(ctx, fp, time.Time{}); err != nil {
		return fmt.Errorf("revoke certificate %s: %w", fp, err)
	}
	s.logger.Info("revoked certificate by fingerprint", "fingerprint", fp.String())
	return nil
}

// CACertificates returns the CA chain clients verify the listeners against.
func (s *Service) CACertificates(ctx context.Context) ([]*x509.Certificate, error) {
	return s.signer.CACertificates(ctx)
}
