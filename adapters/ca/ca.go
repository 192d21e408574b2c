package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.CertificateSigner = (*CA)(nil)

// File names of a generated CA inside Config.DataDir.
const (
	CertFileName = "ca.crt"
	KeyFileName  = "ca.key"
)

// DefaultCAValidity is the lifetime of a generated CA certificate.
const DefaultCAValidity = 10 * 365 * 24 * time.Hour

// Config says where the CA comes from. With CertFile and KeyFile set they are loaded
// (both or neither). Otherwise DataDir/ca.crt and DataDir/ca.key are loaded, and
// generated first if missing. An empty DataDir, or ":memory:", keeps a generated CA in
// memory only (tests, throw-away runs).
type Config struct {
	CertFile string
	KeyFile  string
	DataDir  string
	// CommonName of a generated CA; default "appconnector CA".
	CommonName string
	// Validity of a generated CA; default DefaultCAValidity.
	Validity time.Duration
}

// CA signs client certificates with one CA key. It is safe for concurrent use.
type CA struct {
	cert   *x509.Certificate
	chain  []*x509.Certificate // cert first, then any intermediates/root from the file
	key    crypto.Signer
	logger *slog.Logger
}

// Open loads or generates the CA described by cfg.
func Open(cfg Config, logger *slog.Logger) (*CA, error) {
	if logger == nil {
		panic("ca.Open: nil logger")
	}
	switch {
	case cfg.CertFile != "" || cfg.KeyFile != "":
		if cfg.CertFile == "" || cfg.KeyFile == "" {
			return nil, errors.New("open ca: --ca-cert and --ca-key must be given together")
		}
		return load(cfg.CertFile, cfg.KeyFile, logger)
	case cfg.DataDir == "" || cfg.DataDir == ":memory:":
		pemCert, pemKey, err := generate(cfg)
		if err != nil {
			return nil, err
		}
		logger.Info("generated in-memory ca")
		return fromPEM(pemCert, pemKey, logger)
	}
	certPath := filepath.Join(cfg.DataDir, CertFileName)
	keyPath := filepath.Join(cfg.DataDir, KeyFileName)
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		return load(certPath, keyPath, logger)
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		if err := writeGenerated(cfg, certPath, keyPath); err != nil {
			return nil, err
		}
		logger.Info("generated ca", "cert", certPath)
		return load(certPath, keyPath, logger)
	case certErr != nil && !errors.Is(certErr, fs.ErrNotExist):
		return nil, fmt.Errorf("open ca: %w", certErr)
	case keyErr != nil && !errors.Is(keyErr, fs.ErrNotExist):
		return nil, fmt.Errorf("open ca: %w", keyErr)
	}
	return nil, fmt.Errorf("open ca: only one of %s and %s exists in %s; restore the other or remove both to generate a new CA",
		CertFileName, KeyFileName, cfg.DataDir)
}

func load(certPath, keyPath string, logger *slog.Logger) (*CA, error) {
	pemCert, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("read ca certificate: %w", err)
	}
	// Refused like the admin token and secret.key: whoever can read the CA key can
	// issue certificates for any Application.
	fi, err := os.Stat(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read ca key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("ca key %s has mode %04o, accessible by group or others: run chmod 600 %s", keyPath, perm, keyPath)
	}
	pemKey, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read ca key: %w", err)
	}
	c, err := fromPEM(pemCert, pemKey, logger)
	if err != nil {
		return nil, fmt.Errorf("load ca from %s and %s: %w", certPath, keyPath, err)
	}
	return c, nil
}

// FromPEM returns the CA of a PEM certificate (chain) and its private key held elsewhere
// than in files, such as a Kubernetes Secret. The same checks as for files apply.
func FromPEM(pemCert, pemKey []byte, logger *slog.Logger) (*CA, error) {
	if logger == nil {
		panic("ca.FromPEM: nil logger")
	}
	return fromPEM(pemCert, pemKey, logger)
}

func fromPEM(pemCert, pemKey []byte, logger *slog.Logger) (*CA, error) {
	certs, err := parseCertificates(pemCert)
	if err != nil {
		return nil, fmt.Errorf("ca certificate: %w", err)
	}
	key, err := credential.ParsePrivateKey(pemKey)
	if err != nil {
		return nil, fmt.Errorf("ca key: %w", err)
	}
	cert := certs[0]
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return nil, errors.New("ca certificate is not a CA (basic constraints CA:TRUE missing)")
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, errors.New("ca certificate does not allow certificate signing (key usage)")
	}
	if !credential.KeyMatches(key, cert.PublicKey) {
		return nil, errors.New("ca key does not match the ca certificate")
	}
	if time.Now().After(cert.NotAfter) {
		return nil, fmt.Errorf("ca certificate expired at %s", cert.NotAfter.Format(time.RFC3339))
	}
	return &CA{cert: cert, chain: certs, key: key, logger: logger}, nil
}

// generate makes the CA for a data dir that has none (see certificate.NewSelfSignedCA).
func generate(cfg Config) (certPEM, keyPEM []byte, err error) {
	cn := cfg.CommonName
	if cn == "" {
		cn = "appconnector CA"
	}
	validity := cfg.Validity
	if validity <= 0 {
		validity = DefaultCAValidity
	}
	return certificate.NewSelfSignedCA(rand.Reader, cn, time.Now(), validity)
}

func writeGenerated(cfg Config, certPath, keyPath string) error {
	certPEM, keyPEM, err := generate(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	// The key first and exclusively: if two processes start at once, one fails here
	// instead of both writing different CAs.
	if err := writeExclusive(keyPath, keyPEM, 0o600); err != nil {
		return fmt.Errorf("write ca key: %w", err)
	}
	if err := writeExclusive(certPath, certPEM, 0o644); err != nil {
		_ = os.Remove(keyPath)
		return fmt.Errorf("write ca certificate: %w", err)
	}
	return nil
}

func writeExclusive(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	return f.Close()
}

// Certificate returns the signing CA certificate.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// Pool returns a pool holding the CA certificate, for verifying client certificates.
func (c *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.cert)
	return p
}

// CACertificates implements ports.CertificateSigner.
func (c *CA) CACertificates(context.Context) ([]*x509.Certificate, error) {
	return append([]*x509.Certificate(nil), c.chain...), nil
}

// Sign implements ports.CertificateSigner. NotAfter is capped at the CA's own expiry.
func (c *CA) Sign(_ context.Context, req certificate.Request) (certificate.Issued, error) {
	serial, err := certificate.RandomSerial(rand.Reader)
	if err != nil {
		return certificate.Issued{}, err
	}
	if req.NotAfter.After(c.cert.NotAfter) {
		req.NotAfter = c.cert.NotAfter
	}
	tmpl := certificate.Template(req, serial)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, req.PublicKey, c.key)
	if err != nil {
		return certificate.Issued{}, fmt.Errorf("sign certificate for %s: %w", req.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return certificate.Issued{}, fmt.Errorf("parse signed certificate: %w", err)
	}
	return certificate.Issued{Certificate: cert, CAChain: append([]*x509.Certificate(nil), c.chain...)}, nil
}
