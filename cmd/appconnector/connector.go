package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/eventing"
	"github.com/appconnector/appconnector/adapters/httpapi/metadataapi"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/ports"
)

// connectorServers are the connector's three listeners, built by Wire and added to the
// App next to the management API and the gateway.
type connectorServers struct {
	svc       *connector.Service
	connector http.Handler
	mtls      http.Handler
	validator http.Handler // nil when --validator-addr is empty
	tls       *tls.Config  // server certificate for --connector-addr
	mtlsTLS   *tls.Config  // server certificate + required client certificate for --mtls-addr
}

func provideCA(cfg Config, logger *slog.Logger) (*ca.CA, error) {
	return ca.Open(ca.Config{CertFile: cfg.CACert, KeyFile: cfg.CAKey, DataDir: cfg.DataDir}, logger)
}

func provideEventLogSize(cfg Config) storage.EventLogSize {
	return storage.EventLogSize(cfg.EventLogSize)
}

// provideConnectorDeps takes the token, revocation and event-log ports from the same
// store as the Applications (storage.ConnectorSet), so one data dir holds everything.
func provideConnectorDeps(cfg Config, apps ports.ApplicationRepository, tokens ports.TokenStore, revocations ports.RevocationList, eventLog ports.EventLog,
	signer *ca.CA, logger *slog.Logger) (connector.Deps, error) {
	deps := connector.Deps{Applications: apps, Tokens: tokens, Signer: signer, Revocations: revocations, Logger: logger}
	if cfg.EventingURL == "" {
		deps.Sink, deps.EventLog = eventing.NewLogSink(eventLog), eventLog
		return deps, nil
	}
	f, err := eventing.NewForwarder(eventing.Config{URL: cfg.EventingURL, Timeout: cfg.ProxyTimeout, Structured: cfg.EventingMode == "structured"}, nil, logger)
	if err != nil {
		return connector.Deps{}, fmt.Errorf("--eventing-url: %w", err)
	}
	deps.Sink = f
	return deps, nil
}

func provideConnectorConfig(cfg Config) connector.Config {
	return connector.Config{Subject: cfg.CertSubject, CertificateValidity: cfg.CertValidity, TokenTTL: cfg.TokenTTL, EventTypePrefix: cfg.EventTypePrefix}
}

func provideConnectorAPIConfig(cfg Config, signer *ca.CA) connectorapi.Config {
	return connectorapi.Config{ConnectorURL: cfg.ConnectorURL, MTLSURL: cfg.MTLSURL, GatewayURL: cfg.EventsURL,
		TrustXFCC: cfg.TrustXFCC, ClientCAs: signer.Pool()}
}

// provideConnectorServers also mounts the legacy Application Registry on the mTLS
// listener, where the management info's metadataUrl points: a connected system registers
// its own services with its certificate, as on Kyma.
func provideConnectorServers(cfg Config, apiCfg connectorapi.Config, svc *connector.Service, signer *ca.CA, meta *metadataapi.Handler, logger *slog.Logger) (*connectorServers, error) {
	// The listeners' certificate names every host clients are told to use, so TLS
	// verification against the CA works as announced.
	serverCert, err := signer.ServerCertificate(hostsOf(cfg.ConnectorURL, cfg.MTLSURL, cfg.EventsURL, cfg.ConnectorAddr, cfg.MTLSAddr), 0)
	if err != nil {
		return nil, fmt.Errorf("issue the connector's server certificate: %w", err)
	}
	cs := &connectorServers{svc: svc,
		tls:     &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{serverCert}},
		mtlsTLS: connectorapi.MTLSConfig(serverCert, signer.Pool()),
	}
	if cs.connector, err = connectorapi.NewConnectorHandler(apiCfg, svc, logger); err != nil {
		return nil, err
	}
	if cs.mtls, err = connectorapi.NewMTLSHandler(apiCfg, svc, logger, meta); err != nil {
		return nil, err
	}
	if cfg.ValidatorAddr != "" {
		if cs.validator, err = connectorapi.NewValidatorHandler(apiCfg, svc, logger); err != nil {
			return nil, err
		}
	}
	return cs, nil
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

func (cs *connectorServers) run(ctx context.Context) error { return cs.svc.Run(ctx) }
