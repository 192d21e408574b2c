package compass

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"net/http"
	"sync"

	"github.com/appconnector/appconnector/domain/compass"
)

// keptCertificates is how many client certificates keep a transport. Two, because a
// renewal overlaps the old certificate (the signing call) and the new one (the next
// Director call); older ones are dropped and their idle connections closed.
const keptCertificates = 2

// httpClients hands out http.Clients: one without a client certificate (the
// token-secured Connector) and one per runtime certificate, cached so keep-alive
// connections are reused across calls and rounds, while a renewed certificate gets
// a transport of its own (a pooled connection keeps the identity it was opened with).
type httpClients struct {
	base *tls.Config

	mu    sync.Mutex
	plain *http.Client
	certs []certClient // least recently used first
}

type certClient struct {
	key       [sha256.Size]byte
	client    *http.Client
	transport *http.Transport
}

func newHTTPClients(o Options) *httpClients {
	return &httpClients{base: &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            o.RootCAPool,
		InsecureSkipVerify: o.InsecureSkipVerify, //nolint:gosec // --compass-skip-tls-verify, off by default
	}}
}

func (h *httpClients) newTransport(cfg *tls.Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	return t
}

// forToken returns the client without a client certificate.
func (h *httpClients) forToken() *http.Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.plain == nil {
		h.plain = &http.Client{Transport: h.newTransport(h.base.Clone())}
	}
	return h.plain
}

// forCredentials returns the client presenting the runtime certificate (the chain
// when there is one, so the server can build the path to its CA).
func (h *httpClients) forCredentials(c compass.Credentials) (*http.Client, error) {
	certPEM := c.ChainPEM
	if len(certPEM) == 0 {
		certPEM = c.CertificatePEM
	}
	if len(certPEM) == 0 || len(c.KeyPEM) == 0 {
		return nil, errors.New("the runtime credentials have no certificate or no key")
	}
	d := sha256.New()
	d.Write(certPEM)
	d.Write([]byte{0})
	d.Write(c.KeyPEM)
	var key [sha256.Size]byte
	d.Sum(key[:0])

	h.mu.Lock()
	defer h.mu.Unlock()
	for i, cc := range h.certs {
		if cc.key == key {
			h.certs = append(append(h.certs[:i:i], h.certs[i+1:]...), cc)
			return cc.client, nil
		}
	}
	pair, err := tls.X509KeyPair(certPEM, c.KeyPEM)
	if err != nil {
		// The parser's message names no key material, but keep it out all the same.
		return nil, errors.New("the runtime certificate and key do not form a valid pair")
	}
	cfg := h.base.Clone()
	// Always present the runtime certificate: Go would otherwise send none when the
	// server's list of acceptable CAs does not name the certificate's issuer as Go
	// expects (an intermediate, a proxy terminating mTLS).
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
	t := h.newTransport(cfg)
	cc := certClient{key: key, client: &http.Client{Transport: t}, transport: t}
	h.certs = append(h.certs, cc)
	if len(h.certs) > keptCertificates {
		h.certs[0].transport.CloseIdleConnections()
		h.certs = append(h.certs[:0:0], h.certs[1:]...)
	}
	return cc.client, nil
}

// closeIdle closes the idle connections of every transport.
func (h *httpClients) closeIdle() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.plain != nil {
		h.plain.CloseIdleConnections()
	}
	for _, cc := range h.certs {
		cc.transport.CloseIdleConnections()
	}
}
