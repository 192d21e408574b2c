package connector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
)

// Token is a freshly issued one-time token. Secret goes to the client once and is
// never logged or stored.
type Token struct {
	Secret      string
	Application string
	ExpiresAt   time.Time
}

// SigningInfo is what a client needs to build its CSR, and the token for the next step.
type SigningInfo struct {
	Application  string
	Subject      certificate.Subject
	KeyAlgorithm string
	// Next is the new one-time token for POST /v1/applications/certificates.
	Next Token
}

// IssueToken issues a one-time token for an existing Application; the error wraps
// application.ErrNotFound otherwise.
func (s *Service) IssueToken(ctx context.Context, app string) (Token, error) {
	a, err := s.apps.Get(ctx, app)
	if err != nil {
		return Token{}, fmt.Errorf("issue token for %s: %w", app, err)
	}
	tok, err := s.issue(ctx, app, a.UID)
	if err != nil {
		return Token{}, err
	}
	s.logger.Info("issued one-time token", "application", app, "expiresAt", tok.ExpiresAt)
	return tok, nil
}

func (s *Service) issue(ctx context.Context, app, uid string) (Token, error) {
	secret, tok, err := pairing.New(s.rand, app, s.now(), s.cfg.TokenTTL)
	if err != nil {
		return Token{}, err
	}
	tok.ApplicationUID = uid
	if err := s.tokens.Put(ctx, tok); err != nil {
		return Token{}, fmt.Errorf("store token for %s: %w", app, err)
	}
	return Token{Secret: secret, Application: app, ExpiresAt: tok.ExpiresAt}, nil
}

// SigningRequestInfo uses up the token and returns the CSR subject for its Application
// together with a new token for the signing step, as Kyma's connector does. Token
// errors wrap pairing.ErrNotFound, ErrExpired or ErrMalformed.
func (s *Service) SigningRequestInfo(ctx context.Context, secret string) (SigningInfo, error) {
	tok, err := s.consume(ctx, secret)
	if err != nil {
		return SigningInfo{}, err
	}
	if err := s.checkTokenApplication(ctx, tok); err != nil {
		return SigningInfo{}, err
	}
	next, err := s.issue(ctx, tok.Application, tok.ApplicationUID)
	if err != nil {
		return SigningInfo{}, err
	}
	return SigningInfo{
		Application:  tok.Application,
		Subject:      s.cfg.Subject.ForApplication(tok.Application),
		KeyAlgorithm: certificate.AnnouncedKeyAlgorithm,
		Next:         next,
	}, nil
}

func (s *Service) digest(secret string) (pairing.Digest, error) {
	d, err := pairing.HashSecret(secret)
	if err != nil {
		return d, fmt.Errorf("check token: %w", err)
	}
	return d, nil
}

func (s *Service) consume(ctx context.Context, secret string) (pairing.Token, error) {
	d, err := s.digest(secret)
	if err != nil {
		return pairing.Token{}, err
	}
	tok, err := s.tokens.Consume(ctx, d, s.now())
	if err != nil {
		return pairing.Token{}, fmt.Errorf("use token: %w", err)
	}
	return tok, nil
}

// checkTokenApplication refuses a token whose Application was deleted since it was
// issued, or deleted and created again (another UID): deleting an Application revokes
// its tokens. The refusal reads as an unknown token, which it now is.
func (s *Service) checkTokenApplication(ctx context.Context, tok pairing.Token) error {
	a, err := s.apps.Get(ctx, tok.Application)
	switch {
	case errors.Is(err, application.ErrNotFound):
		return fmt.Errorf("use token: application %s was deleted: %w", tok.Application, pairing.ErrNotFound)
	case err != nil:
		return fmt.Errorf("use token for %s: %w", tok.Application, err)
	case a.UID != tok.ApplicationUID:
		return fmt.Errorf("use token: application %s was deleted and created again: %w", tok.Application, pairing.ErrNotFound)
	}
	return nil
}
