package components

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/eventing"
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/httpapi/metadataapi"
	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/adapters/tlsfiles"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

// Names of the servers, as logged and as tests look them up.
const (
	ServerAPI            = "management API"
	ServerGateway        = "gateway"
	ServerGatewayCompass = "gateway (Compass)"
	ServerConnector      = "connector"
	ServerMTLS           = "connector (mTLS)"
	ServerValidator      = "validator"
	ServerHealth         = "health"
)

// CreateCA says whether a binary may create the CA Secret in Kubernetes mode: the
// connector signs and may; the validator only verifies, so it waits for the connector's.
type CreateCA bool

// ProvideCA opens the CA: --ca-cert/--ca-key files (cert-manager); else, in Kubernetes
// mode, the Secret --ca-secret in the store's namespace, created on first start when
// create allows (several replicas starting at once end up with the same CA); else the
// data dir's, generated on first start.
func ProvideCA(ctx context.Context, f serveflags.Flags, c serveflags.Connector, s *storage.Set, create CreateCA, logger *slog.Logger) (*ca.CA, error) {
	if c.CACert != "" || s.Kube == nil {
		return ca.Open(ca.Config{CertFile: c.CACert, KeyFile: c.CAKey, DataDir: f.DataDir}, logger)
	}
	var generate kubernetes.GenerateCA
	if !create {
		generate = func() ([]byte, []byte, error) {
			return nil, nil, fmt.Errorf("CA Secret %s/%s does not exist yet: the connector creates it on its first start", s.Namespace, c.CASecret)
		}
	}
	certPEM, keyPEM, err := kubernetes.LoadOrCreateCA(ctx, s.Kube, s.Namespace, c.CASecret, generate)
	if err != nil {
		return nil, err
	}
	signer, err := ca.FromPEM(certPEM, keyPEM, logger)
	if err != nil {
		return nil, fmt.Errorf("CA Secret %s/%s: %w", s.Namespace, c.CASecret, err)
	}
	return signer, nil
}

// ClientCAs is the pool forwarded client certificates are verified against.
func ClientCAs(signer *ca.CA) *x509.CertPool { return signer.Pool() }

// ConnectorDeps takes the token, revocation and event-log ports from the same store as
// the Applications, so one data dir (or one API server) holds everything. Signing runs
// in a span, and every delivery is counted and traced (to the endpoint's traceparent).
func ConnectorDeps(c serveflags.Connector, apps ports.ApplicationRepository, tokens ports.TokenStore, revocations ports.RevocationList,
	eventLog ports.EventLog, signer ports.CertificateSigner, tel *telemetry.Telemetry, logger *slog.Logger) (connector.Deps, error) {
	deps := connector.Deps{Applications: apps, Tokens: tokens, Signer: tel.Tracing.InstrumentSigner(signer), Revocations: revocations, Logger: logger}
	if c.EventingURL == "" {
		deps.Sink, deps.EventLog = tel.Events.InstrumentSink(eventing.NewLogSink(eventLog), tel.Tracing), eventLog
		return deps, nil
	}
	f, err := eventing.NewForwarder(eventing.Config{URL: c.EventingURL, Timeout: gateway.DefaultConfig().ProxyTimeout,
		Structured: c.EventingMode == "structured", Tracing: tel.Tracing}, nil, logger)
	if err != nil {
		return connector.Deps{}, fmt.Errorf("--eventing-url: %w", err)
	}
	deps.Sink = tel.Events.InstrumentSink(f, tel.Tracing)
	return deps, nil
}

// EventLogSize is the Wire provider of the event log's size.
func EventLogSize(c serveflags.Connector) storage.EventLogSize {
	return storage.EventLogSize(c.EventLogSize)
}

// ConnectorConfig is the Wire provider of the connector use cases' configuration.
func ConnectorConfig(c serveflags.Connector) connector.Config {
	return connector.Config{Subject: c.CertSubject, CertificateValidity: c.CertValidity, TokenTTL: c.TokenTTL, EventTypePrefix: c.EventTypePrefix}
}

// ConnectorAPIConfig is the Wire provider of the connector handlers' configuration.
func ConnectorAPIConfig(c serveflags.Connector, clientCAs *x509.CertPool, tel *telemetry.Telemetry) connectorapi.Config {
	return connectorapi.Config{ConnectorURL: c.ConnectorURL, MTLSURL: c.MTLSURL, GatewayURL: c.EventsURL,
		TrustXFCC: c.TrustXFCC, MTLSTrustXFCC: c.MTLSTrustXFCC(), ClientCAs: clientCAs,
		Metrics: tel.Connector, EventMetrics: tel.Events, Tracing: tel.Tracing}
}

// NoSigner is the CertificateSigner of a binary that issues tokens but never signs (the
// management API): it needs no access to the CA's key.
type NoSigner struct{}

var errNoSigner = errors.New("this component does not sign certificates: the connector does")

// Sign implements ports.CertificateSigner by refusing.
func (NoSigner) Sign(context.Context, certificate.Request) (certificate.Issued, error) {
	return certificate.Issued{}, errNoSigner
}

// CACertificates implements ports.CertificateSigner by refusing.
func (NoSigner) CACertificates(context.Context) ([]*x509.Certificate, error) { return nil, errNoSigner }

// ConnectorServers are the connector's listeners a binary serves, built by Wire.
type ConnectorServers struct {
	svc       *connector.Service
	c         serveflags.Connector
	connector http.Handler // nil when the binary has no --connector-addr
	mtls      http.Handler
	validator http.Handler       // nil when --validator-addr is empty
	tls       *tls.Config        // server certificate for --connector-addr; nil for plain HTTP
	mtlsTLS   *tls.Config        // server certificate + required client certificate for --mtls-addr
	reloader  *tlsfiles.Reloader // --tls-cert/--tls-key, nil when the CA issued the certificate
}

// NewConnectorServers builds the listeners of c's groups: the token-secured and mTLS
// APIs with Listeners, the validator when --validator-addr is set. meta, if not nil, is
// mounted on the mTLS API, where the management info's metadataUrl points: a connected
// system registers its own services with its certificate, as on Kyma.
func NewConnectorServers(c serveflags.Connector, apiCfg connectorapi.Config, svc *connector.Service, signer *ca.CA, clientCAs *x509.CertPool,
	meta *metadataapi.Handler, logger *slog.Logger) (*ConnectorServers, error) {
	cs := &ConnectorServers{svc: svc, c: c}
	var err error
	if c.Registered(serveflags.Listeners) {
		switch {
		case c.ConnectorTLS && c.TLSCert != "":
			// The certificate of the files (cert-manager's), served as it is rotated; client
			// certificates are still verified against the appconnector CA.
			if cs.reloader, err = tlsfiles.New(c.TLSFilesConfig(), logger); err != nil {
				return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
			}
			cs.tls = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cs.reloader.GetCertificate}
			cs.mtlsTLS = connectorapi.MTLSConfig(tls.Certificate{}, clientCAs)
			cs.mtlsTLS.Certificates, cs.mtlsTLS.GetCertificate = nil, cs.reloader.GetCertificate
		case c.ConnectorTLS:
			// The listeners' certificate names every host clients are told to use, so TLS
			// verification against the CA works as announced.
			serverCert, err := signer.ServerCertificate(hostsOf(c.ConnectorURL, c.MTLSURL, c.EventsURL, c.ConnectorAddr, c.MTLSAddr), 0)
			if err != nil {
				return nil, fmt.Errorf("issue the connector's server certificate: %w", err)
			}
			cs.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{serverCert}}
			cs.mtlsTLS = connectorapi.MTLSConfig(serverCert, clientCAs)
		}
		if cs.connector, err = connectorapi.NewConnectorHandler(apiCfg, svc, logger); err != nil {
			return nil, err
		}
		var routes []connectorapi.AppRoutes
		if meta != nil {
			routes = append(routes, meta)
		}
		if cs.mtls, err = connectorapi.NewMTLSHandler(apiCfg, svc, logger, routes...); err != nil {
			return nil, err
		}
	}
	if c.ValidatorAddr != "" {
		if cs.validator, err = connectorapi.NewValidatorHandler(apiCfg, svc, logger); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// Add adds the listeners to g, bounded by limits. The connector's listeners come with
// its purge of expired tokens and revocations: the binary that issues them owns them, and
// a validator needs no right to delete them.
func (cs *ConnectorServers) Add(g *runner.Group, limits runner.Limits) {
	if cs.connector != nil {
		g.AddServer(ServerConnector, cs.c.ConnectorAddr, cs.connector, limits).TLSConfig = cs.tls
		g.AddServer(ServerMTLS, cs.c.MTLSAddr, cs.mtls, limits).TLSConfig = cs.mtlsTLS
		g.AddLoop(cs.svc.Run)
		if cs.reloader != nil {
			g.AddLoop(cs.reloader.Run)
		}
	}
	if cs.validator != nil {
		g.AddServer(ServerValidator, cs.c.ValidatorAddr, cs.validator, limits)
	}
}

// hostsOf returns the host names of URLs and host:port addresses; empty ones are skipped.
func hostsOf(values ...string) []string {
	var hosts []string
	for _, v := range values {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err == nil && u.Hostname() != "" {
			hosts = append(hosts, u.Hostname())
			continue
		}
		if h, _, err := net.SplitHostPort(v); err == nil && h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}
