package vault

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.CertificateSigner = (*Signer)(nil)

// SignerConfig configures NewSigner.
type SignerConfig struct {
	// Mount is the path of the PKI engine; default "pki".
	Mount string
	// Issuer is the issuer reference (name or id) that signs; empty: the mount's default
	// issuer.
	Issuer string
	// Role, if set, is the PKI role whose limits (key types, maximum TTL) apply:
	// <mount>/sign-verbatim/<role>. Empty: sign-verbatim with the mount's limits.
	Role string
}

// Signer is a ports.CertificateSigner over Vault PKI's sign-verbatim endpoint. Vault
// signs the client's own CSR, so the domain's checks of the CSR (subject exactly the
// one demanded) are what the certificate carries; the Signer sets the rest (client-auth
// usage only, NotAfter of the request) and refuses a CSR that requests extensions
// (subject alternative names, key usages), which sign-verbatim would copy. Every certificate Vault returns is
// checked against the request before it is handed out.
type Signer struct {
	c      *Client
	sign   string // path of sign-verbatim
	issuer string // path of the issuer's JSON
}

// NewSigner returns a Signer over c. It makes no request.
func NewSigner(c *Client, cfg SignerConfig) (*Signer, error) {
	mount := strings.Trim(cmpOr(cfg.Mount, "pki"), "/")
	for _, seg := range strings.Split(mount, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return nil, fmt.Errorf("vault pki: mount %q must be a path without empty, . or .. segments", cfg.Mount)
		}
	}
	for name, v := range map[string]string{"issuer": cfg.Issuer, "role": cfg.Role} {
		if strings.ContainsAny(v, "/?#") || v == "." || v == ".." {
			return nil, fmt.Errorf("vault pki: %s %q must be a single path segment", name, v)
		}
	}
	issuer := cmpOr(cfg.Issuer, "default")
	sign := mount + "/issuer/" + issuer + "/sign-verbatim"
	if cfg.Role != "" {
		sign += "/" + cfg.Role
	}
	return &Signer{c: c, sign: sign, issuer: mount + "/issuer/" + issuer + "/json"}, nil
}

// Sign implements ports.CertificateSigner.
func (s *Signer) Sign(ctx context.Context, req certificate.Request) (certificate.Issued, error) {
	if len(req.CSR) == 0 {
		return certificate.Issued{}, errors.New("vault pki: the request carries no CSR, which sign-verbatim needs")
	}
	csr, err := x509.ParseCertificateRequest(req.CSR)
	if err != nil {
		return certificate.Issued{}, fmt.Errorf("vault pki: parse the request's CSR: %w", err)
	}
	if !samePublicKey(csr.PublicKey, req.PublicKey) {
		return certificate.Issued{}, errors.New("vault pki: the request's CSR is not for the request's public key")
	}
	if len(csr.Extensions) > 0 {
		// sign-verbatim copies requested extensions (SANs, extended key usage over the
		// one asked for, basic constraints), so a CSR asking for any is refused.
		return certificate.Issued{}, &certificate.CSRError{Reason: "csr must not request extensions (subject alternative names, key usages, basic constraints)"}
	}
	usage := []string{"DigitalSignature"}
	if _, ok := req.PublicKey.(*rsa.PublicKey); ok {
		usage = append(usage, "KeyEncipherment")
	}
	resp, err := s.c.api.Logical().WriteWithContext(ctx, s.sign, map[string]any{
		"csr":           string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: req.CSR})),
		"key_usage":     usage,
		"ext_key_usage": []string{"ClientAuth"},
		// Vault takes whole seconds; rounding down keeps within what was asked.
		"not_after": req.NotAfter.UTC().Truncate(time.Second).Format(time.RFC3339),
		"format":    "pem",
	})
	if err != nil {
		return certificate.Issued{}, vaultError("vault pki: sign "+req.Subject.CommonName, err)
	}
	if resp == nil || resp.Data == nil {
		return certificate.Issued{}, errors.New("vault pki: sign returned nothing")
	}
	certPEM, _ := resp.Data["certificate"].(string)
	certs, err := parsePEMCertificates(certPEM)
	if err != nil || len(certs) != 1 {
		return certificate.Issued{}, fmt.Errorf("vault pki: sign returned no single certificate (%v)", err)
	}
	chain, err := chainOf(resp.Data)
	if err != nil {
		return certificate.Issued{}, fmt.Errorf("vault pki: sign: %w", err)
	}
	if err := checkIssued(certs[0], req); err != nil {
		return certificate.Issued{}, fmt.Errorf("vault pki: refusing the certificate Vault issued for %s: %w", req.Subject.CommonName, err)
	}
	return certificate.Issued{Certificate: certs[0], CAChain: chain}, nil
}

// CACertificates implements ports.CertificateSigner: the issuer's chain, issuer first.
func (s *Signer) CACertificates(ctx context.Context) ([]*x509.Certificate, error) {
	resp, err := s.c.api.Logical().ReadWithContext(ctx, s.issuer)
	if err != nil {
		return nil, vaultError("vault pki: read issuer", err)
	}
	if resp == nil || resp.Data == nil {
		return nil, fmt.Errorf("vault pki: no issuer at %s; is the PKI engine mounted and a root or intermediate set?", s.issuer)
	}
	chain, err := chainOf(resp.Data)
	if err != nil {
		return nil, fmt.Errorf("vault pki: read issuer: %w", err)
	}
	return chain, nil
}

// chainOf reads "ca_chain" (a list of PEM certificates, issuer first) of a PKI answer.
func chainOf(data map[string]any) ([]*x509.Certificate, error) {
	raw, _ := data["ca_chain"].([]any)
	var b strings.Builder
	for _, r := range raw {
		if p, ok := r.(string); ok {
			b.WriteString(p)
			b.WriteString("\n")
		}
	}
	chain, err := parsePEMCertificates(b.String())
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		return nil, errors.New("no CA chain in Vault's answer")
	}
	// A chain may repeat the root (Vault lists it once per path); keep the first of each.
	out := chain[:0]
	for _, c := range chain {
		if !slices.ContainsFunc(out, c.Equal) {
			out = append(out, c)
		}
	}
	return out, nil
}

func parsePEMCertificates(s string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := []byte(s)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("trailing data after the PEM certificates")
	}
	return out, nil
}

// checkIssued makes sure Vault issued what the port promises: a client certificate for
// the request's key and subject, nothing more. A mount or role configured to add more
// (SANs, server auth, a CA flag) is an operator error that must not reach a client.
func checkIssued(c *x509.Certificate, req certificate.Request) error {
	switch {
	case !samePublicKey(c.PublicKey, req.PublicKey):
		return errors.New("public key differs from the CSR's")
	case c.Subject.String() != req.Subject.Name().String() || len(c.Subject.Names) != len(req.Subject.Name().ToRDNSequence()):
		return fmt.Errorf("subject %q differs from %q", c.Subject.String(), req.Subject.Name().String())
	case c.IsCA:
		return errors.New("it is a CA certificate")
	case len(c.DNSNames)+len(c.IPAddresses)+len(c.EmailAddresses)+len(c.URIs) > 0:
		return errors.New("it has subject alternative names")
	case !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) || len(c.UnknownExtKeyUsage) > 0:
		return fmt.Errorf("extended key usage is not client authentication only: %v", c.ExtKeyUsage)
	case c.NotAfter.After(req.NotAfter):
		return fmt.Errorf("valid until %s, later than the %s asked", c.NotAfter, req.NotAfter)
	}
	return nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}
