package vault_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/eventing"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

// enablePKI mounts a PKI engine at pki/ with a generated root and returns the root.
func enablePKI(t *testing.T, v *realservers.Vault) *x509.Certificate {
	t.Helper()
	v.CLI(t, "secrets", "enable", "pki")
	v.CLI(t, "secrets", "tune", "-max-lease-ttl=87600h", "pki")
	out := v.CLI(t, "write", "-field=certificate", "pki/root/generate/internal", "common_name=Vault Test Root", "ttl=87600h")
	block, _ := pem.Decode([]byte(out))
	require.NotNil(t, block, out)
	root, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return root
}

func TestSignerConformance(t *testing.T) {
	v := realservers.StartVault(t)
	enablePKI(t, v)
	c, _ := rootClient(t, v, nil)
	porttest.RunCertificateSigner(t, func(t *testing.T) ports.CertificateSigner {
		s, err := vault.NewSigner(c, vault.SignerConfig{})
		require.NoError(t, err)
		return s
	})
}

// TestConnectorIssuesThroughVaultPKI: the connector's token → signing-request info →
// CSR flow with Vault PKI as the signer issues a certificate that verifies against the
// Vault root, with exactly the subject the connector announced; revoking it works on
// the connector's own list.
func TestConnectorIssuesThroughVaultPKI(t *testing.T) {
	v := realservers.StartVault(t)
	root := enablePKI(t, v)
	c, _ := rootClient(t, v, nil)
	signer, err := vault.NewSigner(c, vault.SignerConfig{Mount: "pki"})
	require.NoError(t, err)
	apps := memory.NewApplicationRepository()
	t.Cleanup(apps.Close)
	log := memory.NewEventLog(10)
	svc, err := connector.New(connector.Config{Subject: certificate.DefaultSubject, CertificateValidity: 24 * time.Hour}, connector.Deps{
		Applications: apps, Tokens: memory.NewTokenStore(), Signer: signer, Revocations: memory.NewRevocationList(),
		Sink: eventing.NewLogSink(log), EventLog: log, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	ctx := t.Context()
	_, _, err = apps.Put(ctx, application.Application{Name: "orders-app"})
	require.NoError(t, err)

	tok, err := svc.IssueToken(ctx, "orders-app")
	require.NoError(t, err)
	info, err := svc.SigningRequestInfo(ctx, tok.Secret)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: info.Subject.Name()}, key)
	require.NoError(t, err)
	asked := time.Now()
	issued, err := svc.SignCSR(ctx, info.Next.Secret, base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})))
	require.NoError(t, err)

	cert := issued.Certificate
	roots := x509.NewCertPool()
	roots.AddCert(root)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err, "verifies against the Vault CA")
	assert.Equal(t, info.Subject.Name().String(), cert.Subject.String())
	assert.Equal(t, "orders-app", cert.Subject.CommonName)
	assert.True(t, key.PublicKey.Equal(cert.PublicKey))
	assert.WithinDuration(t, asked.Add(24*time.Hour), cert.NotAfter, 5*time.Second, "not_after from the request")
	require.Len(t, issued.CAChain, 1)
	assert.True(t, root.Equal(issued.CAChain[0]), "caCrt is the Vault chain")
	chain, err := svc.CACertificates(ctx)
	require.NoError(t, err)
	require.Len(t, chain, 1)
	assert.True(t, root.Equal(chain[0]))

	id := certificate.IdentityOf(cert)
	require.NoError(t, svc.CheckCertificate(ctx, id))
	require.NoError(t, svc.Revoke(ctx, id))
	require.ErrorIs(t, svc.CheckCertificate(ctx, id), certificate.ErrRevoked)
}

// TestSignerErrors: a sealed Vault is unavailable, a missing mount says so, and a CSR
// asking for names is refused before Vault is asked.
func TestSignerErrors(t *testing.T) {
	v := realservers.StartVault(t)
	c, rec := rootClient(t, v, nil)
	s, err := vault.NewSigner(c, vault.SignerConfig{Mount: "nopki"})
	require.NoError(t, err)
	_, err = s.CACertificates(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nopki")

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sub := certificate.DefaultSubject.ForApplication("a")
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: sub.Name(), DNSNames: []string{"x.example"}}, key)
	require.NoError(t, err)
	csr, err := x509.ParseCertificateRequest(der)
	require.NoError(t, err)
	before := len(rec.requests())
	_, err = s.Sign(t.Context(), certificate.NewRequest(csr, sub, time.Now(), time.Hour))
	require.ErrorIs(t, err, certificate.ErrInvalidCSR)
	assert.Len(t, rec.requests(), before, "refused without asking Vault")
	_, err = s.Sign(t.Context(), certificate.Request{PublicKey: &key.PublicKey, Subject: sub})
	assert.ErrorContains(t, err, "no CSR")

	_, err = vault.NewSigner(c, vault.SignerConfig{Role: "../x"})
	assert.Error(t, err)

	v.Seal(t)
	_, err = s.CACertificates(t.Context())
	require.ErrorIs(t, err, vault.ErrUnavailable)
	assert.True(t, strings.Contains(err.Error(), "sealed"), err.Error())
}
