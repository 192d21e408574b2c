package connectorapi

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"

	"github.com/appconnector/appconnector/adapters/telemetry"
)

// DefaultMaxEventBytes is the largest event body accepted unless configured otherwise.
const DefaultMaxEventBytes = 1 << 20

// Config holds what the handlers need besides the use cases: the external URLs they
// announce to clients and the validator's trust settings.
type Config struct {
	// ConnectorURL is the external base URL of --connector-addr, for example
	// https://connector.example.com; csrUrl and certificatesUrl point there.
	ConnectorURL string
	// MTLSURL is the external base URL of --mtls-addr: renewCertUrl, revokeCertUrl and
	// infoUrl point there.
	MTLSURL string
	// GatewayURL is where external systems send events (eventsUrl, eventsInfoUrl,
	// metadataUrl); default MTLSURL. Set it to the proxy in front of --validator-addr.
	GatewayURL string
	// TrustXFCC makes the validator listener take the client certificate from
	// X-Forwarded-Client-Cert. Only enable it when a proxy that strips client-supplied
	// XFCC headers is the only way to reach that listener.
	TrustXFCC bool
	// MTLSTrustXFCC makes the mTLS API (management info, renewal, revocation, events,
	// Application routes) take the client certificate from X-Forwarded-Client-Cert, for
	// an mTLS listener served as plain HTTP behind a TLS-terminating ingress that verifies
	// client certificates. Never set it on a listener clients reach directly.
	MTLSTrustXFCC bool
	// ClientCAs, when set, verifies certificates a proxy forwards in full (the XFCC Cert
	// field) against the connector's CA.
	ClientCAs *x509.CertPool
	// MaxEventBytes bounds event bodies; default DefaultMaxEventBytes.
	MaxEventBytes int64
	// Metrics counts one-time tokens, signing requests, renewals and revocations;
	// nil counts nothing.
	Metrics *telemetry.ConnectorMetrics
	// EventMetrics counts events accepted and refused; nil counts nothing. Deliveries
	// are counted by the sink (telemetry.EventMetrics.InstrumentSink).
	EventMetrics *telemetry.EventMetrics
	// Tracing serves the event routes in an events.receive server span that continues
	// the sender's traceparent, so the delivery (events.forward) is part of the sender's
	// trace; nil or off: no span.
	Tracing *telemetry.Tracing
}

// Validate checks that the URLs are absolute http(s) URLs.
func (c Config) Validate() error {
	for _, u := range []struct{ name, v string }{
		{"connector url", c.ConnectorURL}, {"mtls url", c.MTLSURL}, {"gateway url", c.GatewayURL},
	} {
		if u.v == "" && u.name == "gateway url" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("connectorapi config: %s %q must be an absolute http(s) URL", u.name, u.v)
		}
	}
	if c.MaxEventBytes < 0 {
		return fmt.Errorf("connectorapi config: max event bytes must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	c.ConnectorURL = strings.TrimRight(c.ConnectorURL, "/")
	c.MTLSURL = strings.TrimRight(c.MTLSURL, "/")
	c.GatewayURL = strings.TrimRight(c.GatewayURL, "/")
	if c.GatewayURL == "" {
		c.GatewayURL = c.MTLSURL
	}
	if c.MaxEventBytes == 0 {
		c.MaxEventBytes = DefaultMaxEventBytes
	}
	return c
}
