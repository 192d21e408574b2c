package compass

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"

	dc "github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

// pair runs the pairing flow (compass.md 1.5) and records it in c: the token-secured
// configuration query, a fresh key and CSR for the subject the Connector gave, the CSR
// signed with the new one-time token the Connector returned, and the credentials
// stored in the certificate and CA Secrets.
func (a *Agent) pair(ctx context.Context, r *round, c *dc.Connection) (dc.Credentials, error) {
	if err := a.require(r, dc.ConfigKeyConnectorURL, dc.ConfigKeyToken); err != nil {
		return dc.Credentials{}, err
	}
	digest := sha256.Sum256([]byte(r.runtime.Token))
	if a.tokenUsed(ctx, digest) {
		// Compass tokens are one-time: calling with it again only earns an
		// authentication error that does not say what to do.
		return dc.Credentials{}, fmt.Errorf("the one-time token in Secret %q was already used; put a new one-time token from Compass into its %s key",
			a.cfg.ConfigSecret, dc.ConfigKeyToken)
	}
	ep := ports.ConnectorEndpoint{URL: r.runtime.ConnectorURL, Token: r.runtime.Token, RequestID: r.requestID}
	conf, err := a.deps.Connector.Configuration(ctx, ep)
	if err != nil {
		return dc.Credentials{}, fmt.Errorf("Connector configuration with the token of Secret %q: %w", a.cfg.ConfigSecret, err)
	}
	a.usedToken.Store(&digest)
	if conf.DirectorURL == "" || conf.CertificateSecuredConnectorURL == "" {
		return dc.Credentials{}, errors.New("the Connector's configuration has no managementPlaneInfo (Director and certificate-secured Connector URLs)")
	}
	if conf.Token == "" {
		return dc.Credentials{}, errors.New("the Connector's configuration has no token for the signing request")
	}
	// The first token is used up; the CSR goes with the one the Connector just issued.
	ep.Token = conf.Token
	creds, info, err := a.certify(ctx, ep, conf)
	if err != nil {
		return dc.Credentials{}, err
	}
	c.SetPaired(r.now, info, dc.ManagementInfo{
		ConnectorURL: conf.CertificateSecuredConnectorURL,
		DirectorURL:  conf.DirectorURL,
	})
	c.Spec.ManagementInfo = dc.ManagementInfo{ConnectorURL: conf.CertificateSecuredConnectorURL, DirectorURL: conf.DirectorURL}
	r.log.Info("paired with Compass", "runtimeId", r.runtime.RuntimeID,
		"director", conf.DirectorURL, "connector", conf.CertificateSecuredConnectorURL, "notAfter", info.NotAfter)
	return creds, nil
}

// tokenUsed reports whether the Connector already accepted the token with this digest:
// remembered in memory, and in the certificate Secret (key KeyUsedTokenDigest) so that a
// restarted or newly elected agent does not send a spent token again either.
func (a *Agent) tokenUsed(ctx context.Context, digest [sha256.Size]byte) bool {
	if used := a.usedToken.Load(); used != nil {
		return *used == digest
	}
	s, err := a.deps.Secrets.Get(ctx, a.cfg.CertificateSecret)
	if err != nil {
		return false
	}
	stored, err := hex.DecodeString(string(s.Data[KeyUsedTokenDigest]))
	if err != nil || len(stored) != sha256.Size {
		return false
	}
	var d [sha256.Size]byte
	copy(d[:], stored)
	a.usedToken.Store(&d)
	return d == digest
}

// KeyUsedTokenDigest is the key of the certificate Secret that holds the hex SHA-256 of
// the one-time token the runtime paired with (never the token itself). Kyma's agent
// ignores keys it does not know, so the Secret stays compatible.
const KeyUsedTokenDigest = "usedTokenSHA256"

// certify makes a key and CSR for conf's subject, has ep sign it and stores the
// credentials.
func (a *Agent) certify(ctx context.Context, ep ports.ConnectorEndpoint, conf dc.Configuration) (dc.Credentials, dc.CertificateInfo, error) {
	if conf.Subject == "" {
		return dc.Credentials{}, dc.CertificateInfo{}, errors.New("the Connector's configuration has no certificate subject")
	}
	csrPEM, keyPEM, err := dc.NewCSR(a.cfg.Rand, conf.Subject, conf.KeyAlgorithm)
	if err != nil {
		return dc.Credentials{}, dc.CertificateInfo{}, fmt.Errorf("create the certificate signing request: %w", err)
	}
	res, err := a.deps.Connector.SignCSR(ctx, ep, csrPEM)
	if err != nil {
		return dc.Credentials{}, dc.CertificateInfo{}, fmt.Errorf("Connector signCertificateSigningRequest: %w", err)
	}
	creds, info, err := credentialsFrom(res, keyPEM)
	if err != nil {
		return dc.Credentials{}, dc.CertificateInfo{}, fmt.Errorf("the signed certificate: %w", err)
	}
	if err := a.storeCredentials(ctx, creds); err != nil {
		return dc.Credentials{}, dc.CertificateInfo{}, err
	}
	return creds, info, nil
}

// credentialsFrom checks the Connector's answer: a client certificate (the first block
// of the chain when not given separately) for the key just made.
func credentialsFrom(res dc.CertificationResult, keyPEM []byte) (dc.Credentials, dc.CertificateInfo, error) {
	certPEM := res.ClientCertificate
	if len(bytes.TrimSpace(certPEM)) == 0 {
		certPEM = firstBlock(res.CertificateChain)
	}
	if len(certPEM) == 0 {
		return dc.Credentials{}, dc.CertificateInfo{}, errors.New("no client certificate in the answer")
	}
	chain := res.CertificateChain
	if len(bytes.TrimSpace(chain)) == 0 {
		chain = append(append([]byte{}, certPEM...), res.CACertificate...)
	}
	if err := matchesKey(certPEM, keyPEM); err != nil {
		return dc.Credentials{}, dc.CertificateInfo{}, err
	}
	info, err := dc.CertificateInfoFromPEM(certPEM)
	if err != nil {
		return dc.Credentials{}, dc.CertificateInfo{}, err
	}
	return dc.Credentials{CertificatePEM: certPEM, KeyPEM: keyPEM, ChainPEM: chain, CAPEM: res.CACertificate}, info, nil
}

func firstBlock(p []byte) []byte {
	b, _ := pem.Decode(p)
	if b == nil {
		return nil
	}
	return pem.EncodeToMemory(b)
}

// matchesKey refuses a certificate that is not for the key the agent made: stored,
// it would fail every mTLS call with a confusing TLS error.
func matchesKey(certPEM, keyPEM []byte) error {
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return errors.New("the client certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return fmt.Errorf("parse the client certificate: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return errors.New("the private key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		return fmt.Errorf("parse the private key: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return errors.New("the client certificate is not for the key of the signing request")
	}
	return nil
}

// storeCredentials writes the certificate and CA Secrets, keeping other keys they may
// hold (Kyma's UpsertWithMerge).
func (a *Agent) storeCredentials(ctx context.Context, c dc.Credentials) error {
	data := map[string][]byte{
		dc.KeyClientCertificate: c.CertificatePEM,
		dc.KeyClientKey:         c.KeyPEM,
		dc.KeyCertificateChain:  c.ChainPEM,
	}
	if used := a.usedToken.Load(); used != nil {
		data[KeyUsedTokenDigest] = []byte(hex.EncodeToString(used[:]))
	}
	if err := a.mergeSecret(ctx, a.cfg.CertificateSecret, data); err != nil {
		return err
	}
	return a.mergeSecret(ctx, a.cfg.CASecret, map[string][]byte{dc.KeyCACertificate: c.CAPEM})
}

func (a *Agent) mergeSecret(ctx context.Context, name string, data map[string][]byte) error {
	s, err := a.deps.Secrets.Get(ctx, name)
	switch {
	case errors.Is(err, credential.ErrNotFound):
		s = credential.Secret{Name: name}
	case err != nil:
		return fmt.Errorf("store the credentials: read Secret %q: %w", name, err)
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	maps.Copy(s.Data, data)
	// The version read makes a concurrent writer's change a conflict, not a loss.
	if _, _, err := a.deps.Secrets.Put(ctx, s); err != nil {
		return fmt.Errorf("store the credentials in Secret %q: %w", name, err)
	}
	return nil
}

// lostCredentialsError: the runtime certificate or its key is gone from the
// certificate Secret, so nothing can be renewed; only a new pairing helps.
type lostCredentialsError struct{ msg string }

func (e *lostCredentialsError) Error() string { return e.msg }

// loadCredentials reads the runtime credentials. complete is false when a key that
// renewal would restore is missing (the chain, the certificate next to a chain, the
// CA): Kyma checks only that the CA Secret exists.
func (a *Agent) loadCredentials(ctx context.Context) (creds dc.Credentials, complete bool, err error) {
	s, err := a.deps.Secrets.Get(ctx, a.cfg.CertificateSecret)
	if errors.Is(err, credential.ErrNotFound) {
		return dc.Credentials{}, false, &lostCredentialsError{msg: fmt.Sprintf(
			"the runtime certificate Secret %q does not exist; pairing again with the token of Secret %q", a.cfg.CertificateSecret, a.cfg.ConfigSecret)}
	}
	if err != nil {
		return dc.Credentials{}, false, fmt.Errorf("read the runtime certificate Secret %q: %w", a.cfg.CertificateSecret, err)
	}
	creds = dc.Credentials{
		CertificatePEM: s.Data[dc.KeyClientCertificate],
		KeyPEM:         s.Data[dc.KeyClientKey],
		ChainPEM:       s.Data[dc.KeyCertificateChain],
	}
	complete = len(creds.CertificatePEM) > 0 && len(creds.ChainPEM) > 0
	if len(creds.CertificatePEM) == 0 {
		creds.CertificatePEM = firstBlock(creds.ChainPEM)
	}
	if len(creds.ChainPEM) == 0 {
		creds.ChainPEM = creds.CertificatePEM
	}
	if len(creds.KeyPEM) == 0 || len(creds.CertificatePEM) == 0 {
		missing := dc.KeyClientKey
		if len(creds.CertificatePEM) == 0 {
			missing = dc.KeyClientCertificate
		}
		return dc.Credentials{}, false, &lostCredentialsError{msg: fmt.Sprintf(
			"the runtime certificate Secret %q has no %s; pairing again with the token of Secret %q", a.cfg.CertificateSecret, missing, a.cfg.ConfigSecret)}
	}
	ca, err := a.deps.Secrets.Get(ctx, a.cfg.CASecret)
	switch {
	case errors.Is(err, credential.ErrNotFound):
		complete = false
	case err != nil:
		return dc.Credentials{}, false, fmt.Errorf("read the CA Secret %q: %w", a.cfg.CASecret, err)
	default:
		creds.CAPEM = ca.Data[dc.KeyCACertificate]
		if len(creds.CAPEM) == 0 {
			complete = false
		}
	}
	return creds, complete, nil
}

// maintain checks the connection with the certificate-secured Connector and renews the
// certificate when due (compass.md 1.6), recording it in c.
func (a *Agent) maintain(ctx context.Context, r *round, c *dc.Connection) (dc.Credentials, error) {
	creds, complete, err := a.loadCredentials(ctx)
	if err != nil {
		return dc.Credentials{}, err
	}
	info, err := dc.CertificateInfoFromPEM(creds.CertificatePEM)
	if err != nil {
		return dc.Credentials{}, &lostCredentialsError{msg: fmt.Sprintf(
			"the runtime certificate in Secret %q is unreadable (%v); pairing again with the token of Secret %q", a.cfg.CertificateSecret, err, a.cfg.ConfigSecret)}
	}
	if !r.now.Before(info.NotAfter) {
		return dc.Credentials{}, fmt.Errorf("%w: the runtime certificate expired at %s", dc.ErrCertificateExpired, info.NotAfter.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if c.Spec.ManagementInfo.ConnectorURL == "" {
		return dc.Credentials{}, errors.New("spec.managementInfo.connectorUrl is empty")
	}
	ep := ports.ConnectorEndpoint{URL: c.Spec.ManagementInfo.ConnectorURL, Credentials: &creds, RequestID: r.requestID}
	conf, err := a.deps.Connector.Configuration(ctx, ep)
	if err != nil {
		return dc.Credentials{}, fmt.Errorf("certificate-secured Connector configuration: %w", err)
	}
	if conf.DirectorURL == "" && conf.CertificateSecuredConnectorURL == "" {
		// What the Connector answers for a revoked certificate.
		return dc.Credentials{}, fmt.Errorf("%w: the certificate-secured Connector returned no managementPlaneInfo", dc.ErrCertificateRevoked)
	}
	if conf.DirectorURL == "" || conf.CertificateSecuredConnectorURL == "" {
		return dc.Credentials{}, errors.New("the certificate-secured Connector returned an incomplete managementPlaneInfo")
	}

	// The certificate itself, not the status (which a user can overwrite), says how
	// long it is valid.
	cs := dc.CertificateStatus{NotBefore: &info.NotBefore, NotAfter: &info.NotAfter}
	refresh := c.Spec.RefreshCredentialsNow
	if a.policy.ShouldRenew(r.now, cs, refresh) || !complete {
		reason := "validity"
		switch {
		case refresh:
			reason = "refreshCredentialsNow"
		case !complete:
			reason = "credentials incomplete"
		}
		renewed, newInfo, err := a.certify(ctx, ep, conf)
		if err != nil {
			return dc.Credentials{}, fmt.Errorf("renew the certificate: %w", err)
		}
		c.SetRenewed(r.now, newInfo)
		creds = renewed
		r.log.Info("runtime certificate renewed", "reason", reason, "notAfter", newInfo.NotAfter)
	}

	urls := dc.ManagementInfo{ConnectorURL: conf.CertificateSecuredConnectorURL, DirectorURL: conf.DirectorURL}
	if urls != c.Spec.ManagementInfo {
		r.log.Info("management URLs changed", "director", urls.DirectorURL, "connector", urls.ConnectorURL)
		c.Spec.ManagementInfo = urls
	}
	c.SetMaintained(r.now)
	return creds, nil
}
