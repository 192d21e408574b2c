package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/appconnector/appconnector/adapters/telemetry"
	appgw "github.com/appconnector/appconnector/app/gateway"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// binding is what an endpoint needs at request time, attached by resources.Bind.
type binding struct {
	// target carries the client certificate for CertificateGen; plain never does and is
	// used with the Access-Token override, which skips the configured authentication.
	target *upstream
	plain  *upstream
	basic  authHeader
	tokens *tokenSource
	csrf   *csrfSource
	// retry is true when a 401/403 can be cured by fetching something again.
	retry bool
	// app and service are the route's names as registered (service normalised): the
	// metric labels and span attributes, so nothing of a request path becomes one.
	app, service string
	// metrics is the route's handle, nil with metrics off.
	metrics *telemetry.RouteMetrics

	keys bindingKeys
}

type bindingKeys struct {
	target, plain transportKey
	token         *tokenKey
	csrf          *csrfKey
}

// transportKey identifies an upstream transport: endpoints with the same TLS settings
// share one, and so share pooled connections.
type transportKey struct {
	skipVerify bool
	cert       [32]byte // sha256 over the client certificate and key; zero for none
}

// tokenKey identifies an OAuth client. Secrets enter as a digest, never as a string.
type tokenKey struct {
	url, clientID string
	mtls          bool
	skipVerify    bool
	secret        [32]byte // digest of client secret, certificate, key and extra parameters
}

// csrfKey identifies a CSRF token: endpoint plus the identity that fetched it.
type csrfKey struct {
	url      string
	identity [32]byte
}

type counted[T any] struct {
	v    T
	refs int
}

// resources owns the shared runtime objects and reference-counts them. It implements
// app/gateway.Binder; Bind and Unbind run on the route table's goroutine only.
type resources struct {
	cfg    *Config
	logger *slog.Logger
	// now is the clock of token and CSRF expiry; tests replace it.
	now func() time.Time

	transports map[transportKey]*counted[*upstream]
	tokens     map[tokenKey]*counted[*tokenSource]
	csrfs      map[csrfKey]*counted[*csrfSource]
	// bound counts the endpoints bound and not yet unbound: the routes gauge.
	bound int
}

var _ appgw.Binder = (*resources)(nil)

func newResources(cfg *Config, logger *slog.Logger) *resources {
	return &resources{
		cfg: cfg, logger: logger, now: time.Now,
		transports: map[transportKey]*counted[*upstream]{},
		tokens:     map[tokenKey]*counted[*tokenSource]{},
		csrfs:      map[csrfKey]*counted[*csrfSource]{},
	}
}

// digest hashes length-prefixed parts, so different splits of the same bytes differ.
func digest(parts ...[]byte) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Bind implements appgw.Binder.
func (r *resources) Bind(ep *appgw.Endpoint) error {
	b := &binding{}
	var cert *tls.Certificate
	c := ep.Credentials
	if c != nil && c.Certificate != nil {
		kp, err := tls.X509KeyPair(c.Certificate.CertPEM, c.Certificate.KeyPEM)
		if err != nil {
			return fmt.Errorf("client certificate: %w", err)
		}
		cert = &kp
		if c.Certificate.Expired(time.Now()) {
			r.logger.Warn("client certificate is outside its validity period", "app", ep.Key.App,
				"service", ep.ServiceDisplayName, "subject", c.Certificate.Leaf.Subject.String(),
				"notAfter", c.Certificate.Leaf.NotAfter)
		}
	}
	b.keys.plain = transportKey{skipVerify: ep.SkipVerify}
	b.plain = r.transport(b.keys.plain, nil)
	b.keys.target = b.keys.plain
	b.target = b.plain
	if c != nil && c.Type == application.CredentialCertificateGen {
		b.keys.target = transportKey{skipVerify: ep.SkipVerify, cert: digest(c.Certificate.CertPEM, c.Certificate.KeyPEM)}
		b.target = r.transport(b.keys.target, cert)
	}
	fail := func(err error) error { r.release(b); return err }
	if c != nil {
		switch c.Type {
		case application.CredentialBasic:
			b.basic = authHeader{"Basic " + base64.StdEncoding.EncodeToString([]byte(c.Basic.Username+":"+c.Basic.Password))}
		case application.CredentialOAuth, application.CredentialOAuthWithCert:
			ts, key, err := r.tokenSource(ep, cert)
			if err != nil {
				return fail(err)
			}
			b.tokens, b.keys.token = ts, key
		}
		if c.CSRFTokenURL != "" {
			cs, key, err := r.csrfSource(ep, b)
			if err != nil {
				return fail(err)
			}
			b.csrf, b.keys.csrf = cs, key
		}
	}
	b.retry = b.tokens != nil || b.csrf != nil
	b.app, b.service = ep.Key.App, application.NormalizeName(ep.ServiceDisplayName)
	b.metrics = r.cfg.Metrics.Route(b.app, b.service)
	ep.Runtime = b
	r.bound++
	r.gauges()
	return nil
}

// Unbind implements appgw.Binder.
func (r *resources) Unbind(ep *appgw.Endpoint) {
	if b, ok := ep.Runtime.(*binding); ok {
		r.release(b)
		r.bound--
		r.gauges()
	}
}

// gauges publishes the number of routes and of upstream connection pools (the shared
// target transports and each token client's own).
func (r *resources) gauges() {
	r.cfg.Metrics.SetRoutes(r.bound)
	r.cfg.Metrics.SetTransports(len(r.transports) + len(r.tokens))
}

func (r *resources) release(b *binding) {
	b.metrics.Release()
	r.releaseTransport(b.keys.plain)
	// Without a client certificate the target transport is the plain one, taken once.
	if b.keys.target != b.keys.plain {
		r.releaseTransport(b.keys.target)
	}
	if k := b.keys.token; k != nil {
		if ct := r.tokens[*k]; ct != nil {
			if ct.refs--; ct.refs == 0 {
				ct.v.transport.CloseIdleConnections()
				delete(r.tokens, *k)
			}
		}
	}
	if k := b.keys.csrf; k != nil {
		if ct := r.csrfs[*k]; ct != nil {
			if ct.refs--; ct.refs == 0 {
				delete(r.csrfs, *k)
			}
		}
	}
}

func (r *resources) releaseTransport(k transportKey) {
	if ct := r.transports[k]; ct != nil {
		if ct.refs--; ct.refs == 0 {
			ct.v.CloseIdleConnections()
			delete(r.transports, k)
		}
	}
}

// transport returns the shared transport for key, creating it on first use.
func (r *resources) transport(key transportKey, cert *tls.Certificate) *upstream {
	if ct := r.transports[key]; ct != nil {
		ct.refs++
		return ct.v
	}
	std := r.newTransport(key.skipVerify, cert)
	t := newUpstream(std, r.dialer().DialContext, r.cfg.ProxyTimeout, r.cfg.IdleConnTimeout, r.cfg.MaxIdleConnsPerHost)
	r.transports[key] = &counted[*upstream]{v: t, refs: 1}
	return t
}

func (r *resources) tlsConfig(skipVerify bool, cert *tls.Certificate) *tls.Config {
	tc := &tls.Config{
		RootCAs:            r.cfg.RootCAs,
		InsecureSkipVerify: skipVerify, //nolint:gosec // per-Application opt-in (spec.skipVerify)
		MinVersion:         tls.VersionTLS12,
	}
	if cert != nil {
		// Offered whenever the server asks, even if its list of acceptable CAs does not
		// name our issuer, as Kyma does: the server decides.
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return tc
}

func (r *resources) dialer() *net.Dialer {
	return &net.Dialer{Timeout: r.cfg.ProxyTimeout, KeepAlive: 30 * time.Second}
}

func (r *resources) newTransport(skipVerify bool, cert *tls.Certificate) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialStalling(r.dialer().DialContext, r.cfg.BodyIdleTimeout),
		TLSClientConfig:       r.tlsConfig(skipVerify, cert),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0, // bounded per host and by IdleConnTimeout
		MaxIdleConnsPerHost:   r.cfg.MaxIdleConnsPerHost,
		IdleConnTimeout:       r.cfg.IdleConnTimeout,
		TLSHandshakeTimeout:   r.cfg.ProxyTimeout,
		ResponseHeaderTimeout: r.cfg.ProxyTimeout,
		ExpectContinueTimeout: time.Second,
		// Pass the caller's Accept-Encoding and the target's compressed body through
		// untouched, instead of asking for gzip and decompressing in the gateway.
		DisableCompression: true,
	}
}

func (r *resources) tokenSource(ep *appgw.Endpoint, cert *tls.Certificate) (*tokenSource, *tokenKey, error) {
	c := ep.Credentials
	mtls := c.Type == application.CredentialOAuthWithCert
	parts := [][]byte{[]byte(c.OAuth.ClientSecret)}
	if mtls {
		parts = append(parts, c.Certificate.CertPEM, c.Certificate.KeyPEM)
	}
	parts = append(parts, paramsDigest(c.OAuth.TokenRequest)...)
	key := tokenKey{url: c.OAuth.TokenURL, clientID: c.OAuth.ClientID, mtls: mtls, skipVerify: ep.SkipVerify, secret: digest(parts...)}
	if ct := r.tokens[key]; ct != nil {
		ct.refs++
		return ct.v, &key, nil
	}
	var tcert *tls.Certificate
	if mtls {
		tcert = cert
	}
	tr := r.newTransport(ep.SkipVerify, tcert)
	tr.MaxIdleConnsPerHost = 2 // token calls are rare
	ts, err := newTokenSource(c.OAuth, mtls, &http.Client{Transport: r.cfg.Tracing.Transport(tr, "")}, r.cfg, r.now)
	if err != nil {
		return nil, nil, err
	}
	ts.transport = tr
	r.tokens[key] = &counted[*tokenSource]{v: ts, refs: 1}
	return ts, &key, nil
}

func paramsDigest(p credential.RequestParameters) [][]byte {
	var out [][]byte
	for _, m := range []map[string][]string{p.Headers, p.QueryParameters} {
		out = append(out, []byte(fmt.Sprint(len(m))))
		for _, k := range sortedKeys(m) {
			out = append(out, []byte(k), []byte(fmt.Sprint(len(m[k]))))
			for _, v := range m[k] {
				out = append(out, []byte(v))
			}
		}
	}
	return out
}

func (r *resources) csrfSource(ep *appgw.Endpoint, b *binding) (*csrfSource, *csrfKey, error) {
	c := ep.Credentials
	id := [][]byte{[]byte(c.Type), {boolByte(ep.SkipVerify)}, b.keys.target.cert[:]}
	if b.basic != nil {
		id = append(id, []byte(b.basic[0]))
	}
	if k := b.keys.token; k != nil {
		id = append(id, []byte(k.url), []byte(k.clientID), k.secret[:])
	}
	key := csrfKey{url: c.CSRFTokenURL, identity: digest(id...)}
	if ct := r.csrfs[key]; ct != nil {
		ct.refs++
		return ct.v, &key, nil
	}
	var auth func(context.Context, *binding) (authHeader, error)
	switch {
	case b.basic != nil:
		basic := b.basic
		auth = func(context.Context, *binding) (authHeader, error) { return basic, nil }
	case b.tokens != nil:
		ts := b.tokens
		auth = func(ctx context.Context, from *binding) (authHeader, error) {
			h, _, err := ts.cache.get(ctx, from)
			return h, err
		}
	}
	cs, err := newCSRFSource(c.CSRFTokenURL, r.cfg.Tracing.Transport(b.target, ""), auth, r.cfg, r.now)
	if err != nil {
		return nil, nil, err
	}
	r.csrfs[key] = &counted[*csrfSource]{v: cs, refs: 1}
	return cs, &key, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
