package compass

import (
	"crypto/x509"
	"errors"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultPageSize         = 100
	DefaultMaxResponseBytes = 32 << 20
)

// Options configure a Connector or Director client.
type Options struct {
	// RootCAs is PEM: the CAs trusted for Compass's server certificates, in addition
	// to RootCAPool. With neither, the system roots are trusted.
	RootCAs []byte
	// RootCAPool is an already parsed pool of trusted CAs.
	RootCAPool *x509.CertPool
	// InsecureSkipVerify turns off verification of Compass's server certificate
	// (--compass-skip-tls-verify).
	InsecureSkipVerify bool
	// Timeout bounds each GraphQL call; DefaultTimeout when zero.
	Timeout time.Duration
	// PageSize is the "first" of every paged Director field; DefaultPageSize when zero
	// (the Director's maximum for applicationsForRuntime).
	PageSize int
	// MaxResponseBytes bounds what is read of one answer; DefaultMaxResponseBytes when
	// zero.
	MaxResponseBytes int64
	// UserAgent is sent with every call; replicas put their identity in it, so Compass's
	// access logs tell them apart. Go's default when empty.
	UserAgent string
}

func (o Options) withDefaults() (Options, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if len(o.RootCAs) > 0 {
		pool := o.RootCAPool
		if pool == nil {
			pool = x509.NewCertPool()
		} else {
			pool = pool.Clone()
		}
		if !pool.AppendCertsFromPEM(o.RootCAs) {
			return o, errors.New("compass: the trusted CA (RootCAs) holds no PEM certificate")
		}
		o.RootCAPool = pool
	}
	return o, nil
}
