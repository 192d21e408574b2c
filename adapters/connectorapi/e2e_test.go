package connectorapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/adapters/httpapi/metadataapi"
	"github.com/appconnector/appconnector/app/metadata"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/eventing"
	"github.com/appconnector/appconnector/adapters/httpapi"
	mgmtclient "github.com/appconnector/appconnector/adapters/httpapi/client"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

const adminToken = "admin-secret-token"

// env is a whole connector over real TLS on loopback: the management API (with the
// connector routes), the token-secured connector API, the mTLS API, two validator
// listeners (with and without --trust-xfcc) and a real CloudEvents receiver.
type env struct {
	t            *testing.T
	offset       atomic.Int64 // clock offset in nanoseconds
	apps         *memory.ApplicationRepository
	ca           *ca.CA
	svc          *connector.Service
	mgmt         *client.Management
	apps2        *mgmtclient.Client
	connectorHC  *http.Client // trusts the CA, no client certificate
	connectorURL string
	mtlsURL      string
	validator    string // --validator-addr without --trust-xfcc
	validatorX   string // --validator-addr with --trust-xfcc
	received     chan cloudevents.Event
	eventLog     *memory.EventLog
	mgmtURL      string
	// traceparents has the traceparent header of each delivery the receiver got.
	traceparents chan string
}

type envOptions struct {
	eventingURL string // "" = a CloudEvents receiver in the test; "log" = embedded event log
	// appsSeenByConnector, when set, wraps the repository the connector reads.
	appsSeenByConnector func(ports.ApplicationRepository) ports.ApplicationRepository
	// telemetry, when set, is wired as cmd wires it: handler metrics, an instrumented
	// sink and signer, and a forwarder that propagates trace context.
	telemetry *telemetry.Telemetry
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	e := &env{t: t, apps: memory.NewApplicationRepository(), received: make(chan cloudevents.Event, 100), traceparents: make(chan string, 100)}
	tel := opts.telemetry
	logger := discard()
	var err error
	e.ca, err = ca.Open(ca.Config{}, logger)
	require.NoError(t, err)

	var sink ports.EventSink
	switch opts.eventingURL {
	case "log":
		e.eventLog = memory.NewEventLog(100)
		sink = eventing.NewLogSink(e.eventLog)
	case "":
		p, err := cloudevents.NewHTTP()
		require.NoError(t, err)
		h, err := cloudevents.NewHTTPReceiveHandler(t.Context(), p, func(ev cloudevents.Event) { e.received <- ev })
		require.NoError(t, err)
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select { // kept for the tests that look; never blocks one that sends many
			case e.traceparents <- r.Header.Get("Traceparent"):
			default:
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(recv.Close)
		opts.eventingURL = recv.URL
		fallthrough
	default:
		var tr *telemetry.Tracing
		if tel != nil {
			tr = tel.Tracing
		}
		f, err := eventing.NewForwarder(eventing.Config{URL: opts.eventingURL, Timeout: 2 * time.Second, Tracing: tr}, nil, logger)
		require.NoError(t, err)
		sink = f
	}
	var signer ports.CertificateSigner = e.ca
	if tel != nil {
		sink = tel.Events.InstrumentSink(sink, tel.Tracing)
		signer = tel.Tracing.InstrumentSigner(signer)
	}

	var connApps ports.ApplicationRepository = e.apps
	if opts.appsSeenByConnector != nil {
		connApps = opts.appsSeenByConnector(e.apps)
	}
	deps := connector.Deps{
		Applications: connApps, Tokens: memory.NewTokenStore(), Signer: signer, Revocations: memory.NewRevocationList(),
		Sink: sink, Logger: logger, Now: func() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) },
	}
	if e.eventLog != nil {
		deps.EventLog = e.eventLog
	}
	e.svc, err = connector.New(connector.Config{Subject: certificate.DefaultSubject, EventTypePrefix: "sap.kyma.custom"}, deps)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = e.svc.Run(ctx) }()

	serverCert, err := e.ca.ServerCertificate(nil, 0)
	require.NoError(t, err)
	connSrv := httptest.NewUnstartedServer(nil)
	connSrv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}}
	mtlsSrv := httptest.NewUnstartedServer(nil)
	mtlsSrv.TLS = connectorapi.MTLSConfig(serverCert, e.ca.Pool())
	connSrv.StartTLS()
	mtlsSrv.StartTLS()
	t.Cleanup(connSrv.Close)
	t.Cleanup(mtlsSrv.Close)
	e.connectorURL, e.mtlsURL = localhost(connSrv.URL), localhost(mtlsSrv.URL)

	cfg := connectorapi.Config{ConnectorURL: e.connectorURL, MTLSURL: e.mtlsURL, ClientCAs: e.ca.Pool()}
	if tel != nil {
		cfg.Metrics, cfg.EventMetrics, cfg.Tracing = tel.Connector, tel.Events, tel.Tracing
	}
	connH, err := connectorapi.NewConnectorHandler(cfg, e.svc, logger)
	require.NoError(t, err)
	connSrv.Config.Handler = connH
	secrets := memory.NewSecretStore()
	registryRoutes := metadataapi.New(metadata.NewService(e.apps, secrets, metadata.Config{}, logger), logger)
	mtlsH, err := connectorapi.NewMTLSHandler(cfg, e.svc, logger, registryRoutes)
	require.NoError(t, err)
	mtlsSrv.Config.Handler = mtlsH

	valH, err := connectorapi.NewValidatorHandler(cfg, e.svc, logger)
	require.NoError(t, err)
	val := httptest.NewServer(valH)
	t.Cleanup(val.Close)
	e.validator = val.URL
	xcfg := cfg
	xcfg.TrustXFCC = true
	valXH, err := connectorapi.NewValidatorHandler(xcfg, e.svc, logger)
	require.NoError(t, err)
	valX := httptest.NewServer(valXH)
	t.Cleanup(valX.Close)
	e.validatorX = valX.URL

	routes, err := connectorapi.NewManagementRoutes(cfg, e.svc, logger)
	require.NoError(t, err)
	var _ httpapi.Routes = routes
	mgmtSrv := httptest.NewServer(httpapi.NewServer(httpapi.Config{AdminToken: adminToken},
		registry.NewService(e.apps, secrets, logger), logger, httpapi.ExtraRoutes{routes}).Handler())
	t.Cleanup(mgmtSrv.Close)
	e.mgmtURL = mgmtSrv.URL
	e.mgmt = client.NewManagement(mgmtSrv.URL, adminToken, nil)
	e.apps2, err = mgmtclient.New(mgmtSrv.URL, adminToken)
	require.NoError(t, err)

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: e.ca.Pool()}
	e.connectorHC = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return e
}

// localhost names the listener by host name, so certificate verification exercises the
// SAN the CA put into the listener certificate.
func localhost(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }

func (e *env) createApp(app application.Application) {
	e.t.Helper()
	_, _, err := e.apps2.ApplyApplication(e.t.Context(), app)
	require.NoError(e.t, err)
}

func (e *env) token(app string) schema.TokenResponse {
	e.t.Helper()
	tok, err := e.mgmt.IssueToken(e.t.Context(), app)
	require.NoError(e.t, err)
	return tok
}

func (e *env) connect(app string) (*client.Credentials, *http.Client) {
	e.t.Helper()
	creds, err := client.Connect(e.t.Context(), e.connectorHC, e.token(app).URL, client.KeyECDSAP256)
	require.NoError(e.t, err)
	hc, err := creds.HTTPClient()
	require.NoError(e.t, err)
	return creds, hc
}

func (e *env) waitEvent() cloudevents.Event {
	e.t.Helper()
	select {
	case ev := <-e.received:
		return ev
	case <-time.After(5 * time.Second):
		e.t.Fatal("the CloudEvents receiver got nothing")
	}
	return cloudevents.Event{}
}

type response struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, hc *http.Client, method, u string, header http.Header, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" && body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, string(b)}
}

const legacyEvent = `{"event-type":"order.created","event-type-version":"v1","event-time":"2024-05-06T07:08:09Z","data":{"orderId":"42"}}`

func TestEndToEnd(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.createApp(application.Application{Name: "app-a"})
	ctx := t.Context()

	// token -> info -> key + CSR -> certificate, all through the client package.
	tok := e.token("app-a")
	assert.True(t, strings.HasPrefix(tok.URL, e.connectorURL+schema.PathSigningInfo+"?token="))
	info, err := client.SigningInfo(ctx, e.connectorHC, tok.URL)
	require.NoError(t, err)
	assert.Equal(t, "O=Organization,OU=OrgUnit,L=Waldorf,ST=Waldorf,C=DE,CN=app-a", info.Certificate.Subject)
	assert.Equal(t, "rsa2048", info.Certificate.KeyAlgorithm)
	assert.Equal(t, e.mtlsURL+"/app-a/v1/events", info.API.EventsURL)
	assert.Equal(t, e.mtlsURL+schema.PathManagementInfo, info.API.InfoURL)
	assert.Equal(t, e.connectorURL+schema.PathCertificates, info.API.CertificatesURL)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	csr, err := client.NewCSR(key, info.Certificate.Subject)
	require.NoError(t, err)
	r := send(t, e.connectorHC, http.MethodPost, info.CSRURL, nil, `{"csr":"`+csr+`"}`)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Equal(t, "application/json;charset=UTF-8", r.header.Get("Content-Type"))
	var certResp schema.CSRResponse
	require.NoError(t, json.Unmarshal([]byte(r.body), &certResp))
	clientPEM, err := base64.StdEncoding.DecodeString(certResp.ClientCRT)
	require.NoError(t, err)
	block, _ := pem.Decode(clientPEM)
	require.NotNil(t, block)
	leaf, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.Equal(t, "app-a", leaf.Subject.CommonName)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, leaf.ExtKeyUsage)
	assert.InDelta(t, 90*24*time.Hour, time.Until(leaf.NotAfter), float64(time.Hour))
	assert.Greater(t, leaf.SerialNumber.BitLen(), 64)

	// The same CSR URL (token) cannot be used twice.
	r = send(t, e.connectorHC, http.MethodPost, info.CSRURL, nil, `{"csr":"`+csr+`"}`)
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.JSONEq(t, `{"code":403,"error":"Invalid token."}`, r.body)

	// Management info and an event with that certificate.
	chainPEM, err := base64.StdEncoding.DecodeString(certResp.CRT)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	tlsCert, err := tls.X509KeyPair(chainPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	require.NoError(t, err)
	caPEM, err := base64.StdEncoding.DecodeString(certResp.CACRT)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(caPEM))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{Certificates: []tls.Certificate{tlsCert}, RootCAs: roots}
	hc := &http.Client{Transport: tr}

	mi, err := client.ManagementInfo(ctx, hc, info.API.InfoURL)
	require.NoError(t, err)
	assert.Equal(t, "app-a", mi.ClientIdentity.Application)
	assert.Equal(t, info.Certificate.Subject, mi.Certificate.Subject)
	assert.Equal(t, e.mtlsURL+schema.PathRenewals, mi.URLs.RenewCertURL)
	assert.Equal(t, e.mtlsURL+schema.PathRevocations, mi.URLs.RevokeCertURL)

	r = send(t, hc, http.MethodPost, mi.URLs.EventsURL, nil, legacyEvent)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var ack struct {
		EventID string `json:"event-id"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &ack))
	ev := e.waitEvent()
	assert.Equal(t, ack.EventID, ev.ID())
	assert.Equal(t, "sap.kyma.custom.appa.order.created.v1", ev.Type())
	assert.Equal(t, "app-a", ev.Source())
	assert.Equal(t, "v1", ev.Extensions()["eventtypeversion"])
	assert.JSONEq(t, `{"orderId":"42"}`, string(ev.Data()))

	// v2 and /events in structured and binary mode.
	r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
		`{"specversion":"1.0","id":"s-1","source":"/crm","type":"customer.created.v1","data":{"c":1}}`)
	require.Equal(t, http.StatusNoContent, r.status, r.body)
	ev = e.waitEvent()
	assert.Equal(t, "s-1", ev.ID())
	assert.Equal(t, "customer.created.v1", ev.Type())
	assert.JSONEq(t, `{"c":1}`, string(ev.Data()))

	r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/events", http.Header{
		"Ce-Specversion": {"1.0"}, "Ce-Id": {"b-1"}, "Ce-Source": {"/crm"}, "Ce-Type": {"customer.deleted.v1"},
		"Ce-Traceparent": {"00-abc-def-01"}, "Content-Type": {"text/plain"},
	}, "goodbye")
	require.Equal(t, http.StatusNoContent, r.status, r.body)
	ev = e.waitEvent()
	assert.Equal(t, "b-1", ev.ID())
	assert.Equal(t, "customer.deleted.v1", ev.Type())
	assert.Equal(t, "goodbye", string(ev.Data()))
	assert.Equal(t, "00-abc-def-01", ev.Extensions()["traceparent"])

	// Renewal gives a working new certificate.
	creds := &client.Credentials{Key: key, ClientPEM: clientPEM, ChainPEM: chainPEM, CAPEM: caPEM}
	renewed, err := creds.Renew(ctx, hc, mi.URLs.RenewCertURL, mi.Certificate.Subject, client.KeyECDSAP256)
	require.NoError(t, err)
	hc2, err := renewed.HTTPClient()
	require.NoError(t, err)
	newLeaf, err := renewed.TLSCertificate()
	require.NoError(t, err)
	assert.NotEqual(t, leaf.SerialNumber, newLeaf.Leaf.SerialNumber)
	r = send(t, hc2, http.MethodPost, mi.URLs.EventsURL, nil, legacyEvent)
	require.Equal(t, http.StatusOK, r.status, r.body)
	e.waitEvent()

	// Revocation makes the revoked certificate fail at once, even on a kept-alive
	// connection; the renewed one keeps working.
	require.NoError(t, client.Revoke(ctx, hc, mi.URLs.RevokeCertURL))
	r = send(t, hc, http.MethodPost, mi.URLs.EventsURL, nil, legacyEvent)
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.JSONEq(t, `{"code":403,"error":"Certificate has been revoked."}`, r.body)
	_, err = client.ManagementInfo(ctx, hc, info.API.InfoURL)
	assert.ErrorContains(t, err, "403")
	_, err = creds.Renew(ctx, hc, mi.URLs.RenewCertURL, mi.Certificate.Subject, client.KeyECDSAP256)
	assert.ErrorContains(t, err, "revoked", "a revoked certificate cannot renew")
	r = send(t, hc2, http.MethodPost, mi.URLs.EventsURL, nil, legacyEvent)
	assert.Equal(t, http.StatusOK, r.status, r.body)
	e.waitEvent()
}

func TestTokens(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.createApp(application.Application{Name: "app-a"})

	t.Run("used twice", func(t *testing.T) {
		tok := e.token("app-a")
		r := send(t, e.connectorHC, http.MethodGet, tok.URL, nil, "")
		require.Equal(t, http.StatusOK, r.status, r.body)
		r = send(t, e.connectorHC, http.MethodGet, tok.URL, nil, "")
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.JSONEq(t, `{"code":403,"error":"Invalid token."}`, r.body)
	})
	t.Run("expired", func(t *testing.T) {
		tok := e.token("app-a")
		e.offset.Store(int64(5*time.Minute + time.Second))
		defer e.offset.Store(0)
		r := send(t, e.connectorHC, http.MethodGet, tok.URL, nil, "")
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Contains(t, r.body, "expired")
	})
	t.Run("missing and garbage", func(t *testing.T) {
		r := send(t, e.connectorHC, http.MethodGet, e.connectorURL+schema.PathSigningInfo, nil, "")
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.JSONEq(t, `{"code":403,"error":"Token not provided."}`, r.body)
		r = send(t, e.connectorHC, http.MethodGet, e.connectorURL+schema.PathSigningInfo+"?token=%00%ff", nil, "")
		assert.Equal(t, http.StatusForbidden, r.status)
	})
	t.Run("unknown application", func(t *testing.T) {
		_, err := e.mgmt.IssueToken(t.Context(), "nope")
		var ce *client.Error
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, http.StatusNotFound, ce.StatusCode)
	})
	t.Run("kyma style token request", func(t *testing.T) {
		u := e.mgmtURL
		r := send(t, http.DefaultClient, http.MethodPost, u+"/v1/applications/tokens",
			http.Header{"Application": {"app-a"}, "Authorization": {"Bearer " + adminToken}}, "")
		require.Equal(t, http.StatusCreated, r.status, r.body)
		assert.Contains(t, r.body, `"token":"`)
		r = send(t, http.DefaultClient, http.MethodPost, u+"/v1/applications/tokens", http.Header{"Authorization": {"Bearer " + adminToken}}, "")
		assert.Equal(t, http.StatusBadRequest, r.status)
		r = send(t, http.DefaultClient, http.MethodPost, u+"/v1/applications/app-a/tokens", nil, "")
		assert.Equal(t, http.StatusUnauthorized, r.status, "token issuing needs the admin token")
	})
}

func TestBadCSRs(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.createApp(application.Application{Name: "app-a"})
	info, err := client.SigningInfo(t.Context(), e.connectorHC, e.token("app-a").URL)
	require.NoError(t, err)

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	wrongCN, err := client.NewCSR(ec, strings.Replace(info.Certificate.Subject, "CN=app-a", "CN=app-b", 1))
	require.NoError(t, err)
	weakKey, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	weak, err := client.NewCSR(weakKey, info.Certificate.Subject)
	require.NoError(t, err)
	wrongO, err := client.NewCSR(ec, strings.Replace(info.Certificate.Subject, "O=Organization", "O=Evil", 1))
	require.NoError(t, err)

	for name, tc := range map[string]struct{ body, want string }{
		"wrong cn":   {`{"csr":"` + wrongCN + `"}`, `subject CN is \"app-b\", want \"app-a\"`},
		"wrong o":    {`{"csr":"` + wrongO + `"}`, `subject O is \"Evil\", want \"Organization\"`},
		"weak key":   {`{"csr":"` + weak + `"}`, "weak key: RSA key of 1024 bits, at least 2048 required"},
		"garbage":    {`{"csr":"` + base64.StdEncoding.EncodeToString([]byte("garbage")) + `"}`, "cannot be parsed as PKCS #10"},
		"not base64": {`{"csr":"***"}`, "not valid base64"},
		"empty":      {`{"csr":""}`, "csr is empty"},
		"not json":   {`{"csr":`, "not a valid JSON object"},
		"wrong type": {`{"csr":42}`, "field csr must be a string"},
		"no body":    {``, "request body is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			r := send(t, e.connectorHC, http.MethodPost, info.CSRURL, nil, tc.body)
			assert.Equal(t, http.StatusBadRequest, r.status, r.body)
			assert.Contains(t, r.body, tc.want)
			assert.Contains(t, r.body, `"code":400`)
		})
	}

	// The token survived the bad attempts: the client can fix its CSR and retry.
	good, err := client.NewCSR(ec, info.Certificate.Subject)
	require.NoError(t, err)
	r := send(t, e.connectorHC, http.MethodPost, info.CSRURL, nil, `{"csr":"`+good+`"}`)
	assert.Equal(t, http.StatusCreated, r.status, r.body)
}

func TestValidator(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.createApp(application.Application{Name: "app-a"})
	e.createApp(application.Application{Name: "app-b"})
	e.createApp(application.Application{Name: "compass-app", Spec: application.Spec{CompassMetadata: &application.CompassMetadata{
		Authentication: application.Authentication{ClientIDs: []string{"app-a"}},
	}}})
	credsA, hcA := e.connect("app-a")
	_, hcB := e.connect("app-b")
	certA, err := credsA.TLSCertificate()
	require.NoError(t, err)
	fpA := certificate.FingerprintOf(certA.Leaf.Raw).String()

	t.Run("certificate of A on B", func(t *testing.T) {
		r := send(t, hcA, http.MethodPost, e.mtlsURL+"/app-b/v1/events", nil, legacyEvent)
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Contains(t, r.body, "no valid subject found")
		r = send(t, hcB, http.MethodPost, e.mtlsURL+"/app-b/v1/events", nil, legacyEvent)
		assert.Equal(t, http.StatusOK, r.status, r.body)
		e.waitEvent()
	})
	t.Run("compass client ids", func(t *testing.T) {
		r := send(t, hcA, http.MethodPost, e.mtlsURL+"/compass-app/v2/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
			`{"specversion":"1.0","id":"c","source":"s","type":"t.v1","data":1}`)
		assert.Equal(t, http.StatusNoContent, r.status, r.body)
		e.waitEvent()
	})
	t.Run("unknown application", func(t *testing.T) {
		r := send(t, hcA, http.MethodPost, e.mtlsURL+"/nope/v1/events", nil, legacyEvent)
		assert.Equal(t, http.StatusNotFound, r.status)
		assert.Contains(t, r.body, `"code":404`)
	})
	t.Run("malformed events", func(t *testing.T) {
		r := send(t, hcA, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, `{"event-type":"x"}`)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Contains(t, r.body, `"type":"validation_violation"`)
		assert.Contains(t, r.body, `"field":"event-type-version"`)
		r = send(t, hcA, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, `not json`)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Contains(t, r.body, `"type":"bad_payload_syntax"`)
		r = send(t, hcA, http.MethodPost, e.mtlsURL+"/app-a/v2/events", nil, `{"a":1}`)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Contains(t, r.body, "specversion")
		r = send(t, hcA, http.MethodPost, e.mtlsURL+"/app-a/events", http.Header{"Content-Type": {"application/cloudevents+json"}}, `{"specversion":"1.0"}`)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Contains(t, r.body, "id: missing")
		r = send(t, hcA, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, `{"data":"`+strings.Repeat("x", connectorapi.DefaultMaxEventBytes)+`"}`)
		assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)
		assert.Contains(t, r.body, "request_body_too_large")
	})
	t.Run("xfcc ignored without trust", func(t *testing.T) {
		xfcc := `Hash=` + fpA + `;Subject="CN=app-a,OU=OrgUnit,O=Organization,L=Waldorf,ST=Waldorf,C=DE"`
		r := send(t, http.DefaultClient, http.MethodPost, e.validator+"/app-a/v1/events", http.Header{"X-Forwarded-Client-Cert": {xfcc}}, legacyEvent)
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Contains(t, r.body, "client certificate required")
		// The mTLS listener never reads XFCC either: B's certificate plus A's XFCC is B.
		r = send(t, hcB, http.MethodPost, e.mtlsURL+"/app-a/v1/events", http.Header{"X-Forwarded-Client-Cert": {xfcc}}, legacyEvent)
		assert.Equal(t, http.StatusForbidden, r.status)
	})
	t.Run("xfcc honoured with trust", func(t *testing.T) {
		xfcc := `Hash=` + fpA + `;Subject="CN=app-a,OU=OrgUnit,O=Organization,L=Waldorf,ST=Waldorf,C=DE";URI=,By=spiffe://cluster.local/ns/kyma-system/sa/validator;Hash=0000000000000000000000000000000000000000000000000000000000000000;Subject="";URI=spiffe://ingress`
		r := send(t, http.DefaultClient, http.MethodPost, e.validatorX+"/app-a/v1/events", http.Header{"X-Forwarded-Client-Cert": {xfcc}}, legacyEvent)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, "sap.kyma.custom.appa.order.created.v1", e.waitEvent().Type())

		cert := url.QueryEscape(string(credsA.ClientPEM))
		r = send(t, http.DefaultClient, http.MethodPost, e.validatorX+"/app-a/v1/events", http.Header{"X-Forwarded-Client-Cert": {`Cert="` + cert + `"`}}, legacyEvent)
		require.Equal(t, http.StatusOK, r.status, r.body)
		e.waitEvent()

		r = send(t, http.DefaultClient, http.MethodPost, e.validatorX+"/app-b/v1/events", http.Header{"X-Forwarded-Client-Cert": {xfcc}}, legacyEvent)
		assert.Equal(t, http.StatusForbidden, r.status)
		r = send(t, http.DefaultClient, http.MethodPost, e.validatorX+"/app-a/v1/events", http.Header{"X-Forwarded-Client-Cert": {`Subject="CN=app-a`}}, legacyEvent)
		assert.Equal(t, http.StatusBadRequest, r.status, "a malformed header is a 400, not a panic")
		r = send(t, http.DefaultClient, http.MethodPost, e.validatorX+"/app-a/v1/events", http.Header{"X-Forwarded-Client-Cert": {`Subject="CN=app-a"`}}, legacyEvent)
		assert.Equal(t, http.StatusForbidden, r.status, "without a hash the certificate cannot be checked for revocation")
		r = send(t, http.DefaultClient, http.MethodPost, e.validatorX+"/app-a/v1/events", nil, legacyEvent)
		assert.Equal(t, http.StatusForbidden, r.status)

		// Revocation applies to forwarded certificates too.
		require.NoError(t, e.mgmt.RevokeHash(t.Context(), fpA))
		r = send(t, http.DefaultClient, http.MethodPost, e.validatorX+"/app-a/v1/events", http.Header{"X-Forwarded-Client-Cert": {xfcc}}, legacyEvent)
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Contains(t, r.body, "revoked")
		r = send(t, hcA, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent)
		assert.Equal(t, http.StatusForbidden, r.status)
	})
	t.Run("application names that look like routes", func(t *testing.T) {
		for _, name := range []string{"v1", "v2", "events"} {
			e.createApp(application.Application{Name: name})
			_, hc := e.connect(name)
			r := send(t, hc, http.MethodPost, e.mtlsURL+"/"+name+"/v1/events", nil, legacyEvent)
			require.Equal(t, http.StatusOK, r.status, name+": "+r.body)
			e.waitEvent()
			r = send(t, hc, http.MethodPost, e.mtlsURL+"/"+name+"/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
				`{"specversion":"1.0","id":"1","source":"s","type":"t"}`)
			require.Equal(t, http.StatusNoContent, r.status, name+": "+r.body)
			e.waitEvent()
		}
	})
	t.Run("unknown routes", func(t *testing.T) {
		r := send(t, hcB, http.MethodGet, e.mtlsURL+"/v1/nothing", nil, "")
		assert.Equal(t, http.StatusNotFound, r.status)
		assert.JSONEq(t, `{"code":404,"error":"Requested resource could not be found."}`, r.body)
	})
}

func TestMTLSRequiresClientCertificate(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, err := e.connectorHC.Get(e.mtlsURL + schema.PathManagementInfo)
	assert.Error(t, err, "the handshake fails without a client certificate")

	// A certificate from another CA is refused too.
	other, err := ca.Open(ca.Config{}, discard())
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	issued, err := other.Sign(t.Context(), certificate.Request{PublicKey: &key.PublicKey, Subject: certificate.DefaultSubject.ForApplication("app-a"),
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: e.ca.Pool(), Certificates: []tls.Certificate{{Certificate: [][]byte{issued.Certificate.Raw}, PrivateKey: key}}}
	_, err = (&http.Client{Transport: tr}).Get(e.mtlsURL + schema.PathManagementInfo)
	assert.Error(t, err)
}

func TestEventLogMode(t *testing.T) {
	e := newEnv(t, envOptions{eventingURL: "log"})
	e.createApp(application.Application{Name: "app-a"})
	_, hc := e.connect("app-a")
	for range 3 {
		r := send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent)
		require.Equal(t, http.StatusOK, r.status, r.body)
	}
	list, err := e.mgmt.Events(t.Context(), ports.EventQuery{Application: "app-a", Limit: 2})
	require.NoError(t, err)
	require.Len(t, list.Events, 2)
	assert.Equal(t, "sap.kyma.custom.appa.order.created.v1", list.Events[0].Event.Type)
	assert.JSONEq(t, `{"orderId":"42"}`, string(list.Events[0].Event.Data))
	list, err = e.mgmt.Events(t.Context(), ports.EventQuery{After: list.Next})
	require.NoError(t, err)
	assert.Len(t, list.Events, 1)
}

func TestEventingFailures(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	e := newEnv(t, envOptions{eventingURL: down.URL})
	e.createApp(application.Application{Name: "app-a"})
	_, hc := e.connect("app-a")
	r := send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent)
	assert.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, "503", r.header.Get("Target-System-Status"))
	r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
		`{"specversion":"1.0","id":"1","source":"s","type":"t"}`)
	assert.Equal(t, http.StatusBadGateway, r.status)
	assert.Contains(t, r.body, `"code":502`)

	_, err := e.mgmt.Events(t.Context(), ports.EventQuery{})
	var ce *client.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusNotFound, ce.StatusCode, "no event log while forwarding")
}

// The management info announces metadataUrl on the mTLS listener: an external system
// registers its own services there with its certificate, and only its own.
func TestMetadataAPIWithClientCertificate(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.createApp(application.Application{Name: "app-a"})
	e.createApp(application.Application{Name: "app-b"})
	creds, hc := e.connect("app-a")
	info, err := client.ManagementInfo(t.Context(), hc, creds.Info.API.InfoURL)
	require.NoError(t, err)
	metadataURL := info.URLs.MetadataURL
	require.True(t, strings.HasPrefix(metadataURL, e.mtlsURL), metadataURL)

	service := `{"provider":"ACME","name":"Orders","description":"orders","api":{"targetUrl":"https://orders.example.com/api"}}`
	r := send(t, hc, http.MethodPost, metadataURL, nil, service)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"id"`)
	r = send(t, hc, http.MethodGet, metadataURL, nil, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"Orders"`)

	other := strings.Replace(metadataURL, "/app-a/", "/app-b/", 1)
	r = send(t, hc, http.MethodPost, other, nil, service)
	assert.Equal(t, http.StatusForbidden, r.status, r.body)

	require.NoError(t, client.Revoke(t.Context(), hc, info.URLs.RevokeCertURL))
	r = send(t, hc, http.MethodGet, metadataURL, nil, "")
	assert.Equal(t, http.StatusForbidden, r.status, r.body)
}
