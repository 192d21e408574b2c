// Package tlsfiles serves a TLS listener's certificate from a PEM certificate and key
// file pair, such as a cert-manager Secret mounted into a Pod, and picks up a rotated
// pair without a restart.
//
// It polls the files' contents rather than watching them: Kubernetes updates a mounted
// Secret by swapping a symlink to a new directory, which inotify on the file paths does
// not see reliably, while reading two small files at a short interval always does.
package tlsfiles

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultInterval is how often the files are read when Config.Interval is zero: well
// below cert-manager's renewal margin, and cheap.
const DefaultInterval = 10 * time.Second

// Config names the pair and how often it is checked.
type Config struct {
	CertFile string
	KeyFile  string
	// Interval between checks; DefaultInterval when zero.
	Interval time.Duration
}

// Reloader holds the current certificate of a pair of files. Its GetCertificate goes
// into a tls.Config; Run keeps it current.
type Reloader struct {
	cfg    Config
	logger *slog.Logger
	cur    atomic.Pointer[tls.Certificate]

	mu sync.Mutex
	// seenCert and seenKey are the contents last tried, good or broken, so that a broken
	// pair is reported once, not at every check.
	seenCert, seenKey []byte
}

// New loads the pair; a missing or broken pair is an error, since a listener without a
// certificate could not serve at all.
func New(cfg Config, logger *slog.Logger) (*Reloader, error) {
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		return nil, errors.New("tlsfiles: both a certificate and a key file are needed")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	r := &Reloader{cfg: cfg, logger: logger}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate serves the current certificate, for tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// Current returns the certificate served now.
func (r *Reloader) Current() *tls.Certificate { return r.cur.Load() }

// Reload reads the files and, if their contents changed and form a valid pair, serves
// the new pair from the next handshake on. It reports whether the certificate changed.
// A broken pair (unreadable, mismatched, or half-written while the files are rotated)
// keeps the previous certificate and is returned as an error.
func (r *Reloader) Reload() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	certPEM, err := os.ReadFile(r.cfg.CertFile)
	if err != nil {
		return false, fmt.Errorf("tls certificate file: %w", err)
	}
	keyPEM, err := os.ReadFile(r.cfg.KeyFile)
	if err != nil {
		return false, fmt.Errorf("tls key file: %w", err)
	}
	if bytes.Equal(certPEM, r.seenCert) && bytes.Equal(keyPEM, r.seenKey) {
		return false, nil
	}
	r.seenCert, r.seenKey = certPEM, keyPEM
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The key material itself is never part of the message, only the file names.
		return false, fmt.Errorf("tls certificate %s with key %s: %w", r.cfg.CertFile, r.cfg.KeyFile, err)
	}
	r.cur.Store(&pair)
	return true, nil
}

// Run checks the files every interval until ctx is done. A broken pair is logged once
// per distinct content and the previous certificate stays in use.
func (r *Reloader) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		changed, err := r.Reload()
		switch {
		case err != nil:
			r.logger.ErrorContext(ctx, "TLS certificate files not reloaded, keeping the previous certificate", "certFile", r.cfg.CertFile, "error", err)
		case changed:
			leaf := r.cur.Load().Leaf
			r.logger.InfoContext(ctx, "TLS certificate reloaded", "certFile", r.cfg.CertFile, "notAfter", leaf.NotAfter, "serial", leaf.SerialNumber.String())
		}
	}
}
