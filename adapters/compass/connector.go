package compass

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"

	"github.com/appconnector/appconnector/adapters/compass/internal/connectorgql"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

// ConnectorClient calls the Compass Connector: the token-secured endpoint with a
// one-time token, the certificate-secured one with the runtime certificate.
type ConnectorClient struct {
	opts    Options
	clients *httpClients
}

var _ ports.CompassConnector = (*ConnectorClient)(nil)

// NewConnectorClient returns a Connector client; an unusable RootCAs is an error.
func NewConnectorClient(opts Options) (*ConnectorClient, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &ConnectorClient{opts: o, clients: newHTTPClients(o)}, nil
}

// CloseIdleConnections closes the idle keep-alive connections of every transport.
func (c *ConnectorClient) CloseIdleConnections() { c.clients.closeIdle() }

func (c *ConnectorClient) call(ep ports.ConnectorEndpoint, operation string, secrets ...string) (*call, error) {
	fail := func(err error) (*call, error) {
		return nil, fmt.Errorf("compass connector %s: %w", operation, err)
	}
	if err := checkURL(ep.URL); err != nil {
		return fail(err)
	}
	header := http.Header{}
	if c.opts.UserAgent != "" {
		header.Set("User-Agent", c.opts.UserAgent)
	}
	var hc *http.Client
	switch {
	case ep.Credentials != nil:
		var err error
		if hc, err = c.clients.forCredentials(*ep.Credentials); err != nil {
			return fail(err)
		}
	case ep.Token != "":
		hc = c.clients.forToken()
	default:
		return fail(errors.New("neither a one-time token nor the runtime certificate to authenticate with"))
	}
	// A token goes with the certificate too if the caller gives both: the Connector
	// then decides which one counts, as Compass's hydrator does.
	if ep.Token != "" {
		header.Set("Connector-Token", ep.Token)
	}
	if ep.RequestID != "" {
		header.Set("X-Request-Id", ep.RequestID)
	}
	return &call{
		service:   "connector",
		operation: operation,
		url:       ep.URL,
		client:    hc,
		header:    header,
		timeout:   c.opts.Timeout,
		maxBytes:  c.opts.MaxResponseBytes,
		secrets:   append(secrets, ep.Token),
	}, nil
}

// Configuration runs the configuration query. Absent parts of the answer (the next
// token, the CSR info, the management plane info, as Compass answers for a revoked
// certificate) leave their fields empty: what that means is the agent's decision.
func (c *ConnectorClient) Configuration(ctx context.Context, ep ports.ConnectorEndpoint) (compass.Configuration, error) {
	cl, err := c.call(ep, "configuration")
	if err != nil {
		return compass.Configuration{}, err
	}
	resp, err := connectorgql.Configuration(ctx, cl)
	if err != nil {
		return compass.Configuration{}, err
	}
	r := resp.Configuration
	var out compass.Configuration
	if r.Token != nil {
		out.Token = r.Token.Token
	}
	if r.CertificateSigningRequestInfo != nil {
		out.Subject = r.CertificateSigningRequestInfo.Subject
		out.KeyAlgorithm = r.CertificateSigningRequestInfo.KeyAlgorithm
	}
	if m := r.ManagementPlaneInfo; m != nil {
		out.DirectorURL = deref(m.DirectorURL)
		out.CertificateSecuredConnectorURL = deref(m.CertificateSecuredConnectorURL)
	}
	return out, nil
}

// SignCSR sends the PEM CSR base64-encoded, as Compass's Connector expects, and
// decodes the three base64 PEM results.
func (c *ConnectorClient) SignCSR(ctx context.Context, ep ports.ConnectorEndpoint, csrPEM []byte) (compass.CertificationResult, error) {
	const op = "signCertificateSigningRequest"
	if len(csrPEM) == 0 {
		return compass.CertificationResult{}, fmt.Errorf("compass connector %s: empty CSR", op)
	}
	encoded := base64.StdEncoding.EncodeToString(csrPEM)
	cl, err := c.call(ep, op, encoded, string(csrPEM))
	if err != nil {
		return compass.CertificationResult{}, err
	}
	resp, err := connectorgql.SignCertificateSigningRequest(ctx, cl, encoded)
	if err != nil {
		return compass.CertificationResult{}, err
	}
	r := resp.SignCertificateSigningRequest
	var out compass.CertificationResult
	for _, f := range []struct {
		name string
		in   string
		out  *[]byte
	}{
		{"certificateChain", r.CertificateChain, &out.CertificateChain},
		{"caCertificate", r.CaCertificate, &out.CACertificate},
		{"clientCertificate", r.ClientCertificate, &out.ClientCertificate},
	} {
		if *f.out, err = decodePEM(f.in); err != nil {
			return compass.CertificationResult{}, fmt.Errorf("compass connector %s: %s: %w", op, f.name, err)
		}
	}
	return out, nil
}

// decodePEM decodes a base64 (standard) PEM certificate field of the Connector.
func decodePEM(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base64 (standard encoding)")
	}
	if block, _ := pem.Decode(b); block == nil {
		return nil, errors.New("decoded base64 is not PEM")
	}
	return b, nil
}

// RevokeCertificate revokes the certificate the call presents (ep.Credentials).
func (c *ConnectorClient) RevokeCertificate(ctx context.Context, ep ports.ConnectorEndpoint) error {
	const op = "revokeCertificate"
	cl, err := c.call(ep, op)
	if err != nil {
		return err
	}
	resp, err := connectorgql.RevokeCertificate(ctx, cl)
	if err != nil {
		return err
	}
	if !resp.RevokeCertificate {
		return fmt.Errorf("compass connector %s: the Connector answered false", op)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
