package components

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
	"github.com/appconnector/appconnector/ports"
)

// ProvideSigner is the CertificateSigner of --ca: the appconnector CA, or Vault PKI
// through the store's Vault client (one login for Secrets and signing).
func ProvideSigner(c serveflags.Connector, local *ca.CA, s *storage.Set) (ports.CertificateSigner, error) {
	if !c.UsesVault() {
		return local, nil
	}
	vc, err := s.VaultClient()
	if err != nil {
		return nil, fmt.Errorf("--ca vault: %w", err)
	}
	signer, err := vault.NewSigner(vc, c.SignerConfig())
	if err != nil {
		return nil, fmt.Errorf("--ca vault: %w", err)
	}
	return signer, nil
}

// SignerClientCAs is the pool presented and forwarded client certificates are verified
// against: the chain of the signer of --ca. Vault's is read once at start, so a Vault
// that cannot be read stops the binary rather than refuse every client later; a new
// issuer in Vault takes a restart.
func SignerClientCAs(ctx context.Context, c serveflags.Connector, local *ca.CA, signer ports.CertificateSigner) (*x509.CertPool, error) {
	if !c.UsesVault() {
		return local.Pool(), nil
	}
	chain, err := signer.CACertificates(ctx)
	if err != nil {
		return nil, fmt.Errorf("--ca vault: read the CA chain: %w", err)
	}
	pool := x509.NewCertPool()
	for _, cert := range chain {
		pool.AddCert(cert)
	}
	return pool, nil
}
