package gateway

import (
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/appconnector/appconnector/adapters/telemetry"
)

// Listener names, passed to Config.Middleware.
const (
	ListenerStandalone = "standalone"
	ListenerCompass    = "compass"
)

// Config tunes the gateway. Start from DefaultConfig: the zero value of
// RetryOnAuthFailure is false, not the default true.
type Config struct {
	// ProxyTimeout bounds the wait for the target's response headers (then 504), the dial
	// and TLS handshake, and each token or CSRF fetch. It does not bound streaming the
	// response body: a download is not cut while bytes flow.
	ProxyTimeout time.Duration
	// BodyIdleTimeout is the longest a request or response body may make no progress: the
	// client sending the request body, the target reading it, the target sending the
	// response body, the client reading it. Each successful read or write restarts it, so
	// slow transfers keep going while a stalled peer is cut off. 0 means the default.
	BodyIdleTimeout time.Duration
	// AccessLog logs every request at info level instead of debug.
	AccessLog bool
	// RetryBodyLimit is the largest request body buffered so a 401/403 can be retried;
	// larger bodies stream through and are not retried.
	RetryBodyLimit int64
	// RetryOnAuthFailure enables the single retry after a 401/403 with a fresh token and
	// CSRF token.
	RetryOnAuthFailure bool
	// MaxIdleConnsPerHost is the number of idle keep-alive connections kept per target
	// host. Go's default of 2 made Kyma open a new connection for most requests under load.
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes upstream connections idle for this long.
	IdleConnTimeout time.Duration
	// CSRFTokenTTL bounds how long a fetched CSRF token is reused (Kyma: forever).
	CSRFTokenTTL time.Duration
	// TokenTTLWithoutExpiry is how long an OAuth token whose response has no expires_in
	// is reused (Kyma: forever).
	TokenTTLWithoutExpiry time.Duration
	// RootCAs verifies target, token and CSRF servers; nil means the system pool.
	RootCAs *x509.CertPool
	// Middleware, if set, wraps each listener's handler: the one place for metrics and
	// tracing. listener is ListenerStandalone or ListenerCompass.
	Middleware func(listener string, next http.Handler) http.Handler
	// Metrics records requests, target calls and token fetches per registered route;
	// nil records nothing. Label values come from the route table, never from a path.
	Metrics *telemetry.GatewayMetrics
	// Tracing serves each request in a span and sends trace context to targets, token
	// and CSRF endpoints. Nil or disabled installs nothing: the handlers and transports
	// are then exactly those without tracing.
	Tracing *telemetry.Tracing
}

// DefaultConfig returns the defaults of the command-line flags.
func DefaultConfig() Config {
	return Config{
		ProxyTimeout:          10 * time.Second,
		BodyIdleTimeout:       10 * time.Second,
		RetryBodyLimit:        1 << 20,
		RetryOnAuthFailure:    true,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		CSRFTokenTTL:          5 * time.Minute,
		TokenTTLWithoutExpiry: time.Minute,
	}
}

// withDefaults fills zero durations and sizes from DefaultConfig and rejects negatives.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.ProxyTimeout < 0 || c.BodyIdleTimeout < 0 || c.RetryBodyLimit < 0 || c.MaxIdleConnsPerHost < 0 || c.IdleConnTimeout < 0 ||
		c.CSRFTokenTTL < 0 || c.TokenTTLWithoutExpiry < 0 {
		return c, errors.New("gateway config: durations and sizes must not be negative")
	}
	if c.ProxyTimeout == 0 {
		c.ProxyTimeout = d.ProxyTimeout
	}
	if c.BodyIdleTimeout == 0 {
		c.BodyIdleTimeout = d.BodyIdleTimeout
	}
	if c.MaxIdleConnsPerHost == 0 {
		c.MaxIdleConnsPerHost = d.MaxIdleConnsPerHost
	}
	if c.IdleConnTimeout == 0 {
		c.IdleConnTimeout = d.IdleConnTimeout
	}
	if c.CSRFTokenTTL == 0 {
		c.CSRFTokenTTL = d.CSRFTokenTTL
	}
	if c.TokenTTLWithoutExpiry == 0 {
		c.TokenTTLWithoutExpiry = d.TokenTTLWithoutExpiry
	}
	return c, nil
}
