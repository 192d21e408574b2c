package telemetry_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

func newTelemetry(t *testing.T, cfg telemetry.Config) *telemetry.Telemetry {
	t.Helper()
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	tel, err := telemetry.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// scrape fetches /metrics from a real loopback listener serving Handler.
func scrape(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestGatewayMetricsExposed(t *testing.T) {
	tel := newTelemetry(t, telemetry.Config{})
	g := tel.Gateway
	r := g.Route("shop", "orders")
	defer r.Release()

	r.ObserveRequest(telemetry.MethodOf("GET"), 200, 20*time.Millisecond)
	r.ObserveRequest(telemetry.MethodOf("GET"), 204, 20*time.Millisecond)
	r.ObserveRequest(telemetry.MethodOf("BREW"), 502, time.Second)
	r.ObserveUpstream(503, 900*time.Millisecond)
	r.TargetError(telemetry.TargetConnectionRefused)
	r.Fetch(telemetry.FetchOAuth, telemetry.FetchOK, 30*time.Millisecond)
	r.Fetch(telemetry.FetchCSRF, telemetry.FetchStatus, 10*time.Millisecond)
	r.AuthRetry(401)
	r.AuthRetry(500) // not a retry code: ignored
	g.Unrouted(telemetry.UnroutedNotFound)
	g.RequestStarted()
	g.SetRoutes(3)
	g.SetTransports(2)

	expected := `
# HELP appconnector_gateway_requests_total Requests answered for a route, by method and status code class of the answer to the caller.
# TYPE appconnector_gateway_requests_total counter
appconnector_gateway_requests_total{application="shop",code="2xx",method="GET",service="orders"} 2
appconnector_gateway_requests_total{application="shop",code="5xx",method="OTHER",service="orders"} 1
# HELP appconnector_gateway_upstream_responses_total Responses of targets, by the target's own status code class (before 5xx becomes 502).
# TYPE appconnector_gateway_upstream_responses_total counter
appconnector_gateway_upstream_responses_total{application="shop",code="5xx",service="orders"} 1
# HELP appconnector_gateway_target_errors_total Calls to a target that got no response, by kind (timeout, connection_refused, tls, reset, dns, other).
# TYPE appconnector_gateway_target_errors_total counter
appconnector_gateway_target_errors_total{application="shop",kind="connection_refused",service="orders"} 1
# HELP appconnector_gateway_token_fetches_total OAuth token and CSRF token fetches, by kind (oauth, csrf) and outcome (ok, bad_status, timeout, error).
# TYPE appconnector_gateway_token_fetches_total counter
appconnector_gateway_token_fetches_total{application="shop",kind="csrf",outcome="bad_status",service="orders"} 1
appconnector_gateway_token_fetches_total{application="shop",kind="oauth",outcome="ok",service="orders"} 1
# HELP appconnector_gateway_auth_retries_total Requests sent again with fresh tokens after the target answered 401 or 403, by that code.
# TYPE appconnector_gateway_auth_retries_total counter
appconnector_gateway_auth_retries_total{application="shop",code="401",service="orders"} 1
# HELP appconnector_gateway_in_flight_requests Gateway requests being served.
# TYPE appconnector_gateway_in_flight_requests gauge
appconnector_gateway_in_flight_requests 1
# HELP appconnector_gateway_routes API entries in the route table.
# TYPE appconnector_gateway_routes gauge
appconnector_gateway_routes 3
# HELP appconnector_gateway_cached_transports Upstream transports (connection pools) held by the gateway.
# TYPE appconnector_gateway_cached_transports gauge
appconnector_gateway_cached_transports 2
`
	require.NoError(t, testutil.GatherAndCompare(tel.Registry, strings.NewReader(expected),
		"appconnector_gateway_requests_total", "appconnector_gateway_upstream_responses_total",
		"appconnector_gateway_target_errors_total", "appconnector_gateway_token_fetches_total",
		"appconnector_gateway_auth_retries_total", "appconnector_gateway_in_flight_requests",
		"appconnector_gateway_routes", "appconnector_gateway_cached_transports"))

	code, body := scrape(t, tel.Handler(), "/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`appconnector_gateway_request_duration_seconds_count{application="shop",service="orders"} 3`,
		`appconnector_gateway_request_duration_seconds_bucket{application="shop",service="orders",le="0.025"} 2`,
		`appconnector_gateway_upstream_duration_seconds_sum{application="shop",service="orders"} 0.9`,
		`appconnector_gateway_token_fetch_duration_seconds_count{application="shop",kind="oauth",service="orders"} 1`,
		`appconnector_gateway_unrouted_requests_total{reason="not_found"} 1`,
		`appconnector_gateway_unrouted_requests_total{reason="bad_path"} 0`,
		"appconnector_build_info{",
		"go_goroutines ",
		"go_gc_duration_seconds",
		"process_cpu_seconds_total ",
		"process_resident_memory_bytes ",
	} {
		assert.Contains(t, body, want)
	}
}

func TestRouteHandleSharedAndReleased(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := telemetry.NewGatewayMetrics(reg)
	a := g.Route("shop", "orders")
	// A recompiled route binds the new endpoint before unbinding the old one.
	b := g.Route("shop", "orders")
	require.Same(t, a, b, "entries of one service share a handle")
	a.ObserveRequest(telemetry.MethodGet, 200, time.Millisecond)
	other := g.Route("shop", "invoices")
	other.ObserveRequest(telemetry.MethodGet, 200, time.Millisecond)

	a.Release()
	assert.Equal(t, 2, testutil.CollectAndCount(reg, "appconnector_gateway_requests_total"), "series kept while referenced")
	b.Release()
	assert.Equal(t, 1, testutil.CollectAndCount(reg, "appconnector_gateway_requests_total"))
	assert.Equal(t, 1, testutil.CollectAndCount(reg, "appconnector_gateway_request_duration_seconds"))

	// A request still in flight on the released handle creates no series.
	a.TargetError(telemetry.TargetDNS)
	a.Fetch(telemetry.FetchCSRF, telemetry.FetchError, time.Millisecond)
	assert.Equal(t, 0, testutil.CollectAndCount(reg, "appconnector_gateway_target_errors_total"))
	assert.Equal(t, 0, testutil.CollectAndCount(reg, "appconnector_gateway_token_fetch_duration_seconds"))

	c := g.Route("shop", "orders")
	require.NotSame(t, a, c, "a released route starts afresh")
	c.ObserveRequest(telemetry.MethodPost, 201, time.Millisecond)
	a.Release() // one Release too many must not delete the successor's series
	assert.Equal(t, 1.0, counterValue(t, reg, "appconnector_gateway_requests_total",
		prometheus.Labels{"application": "shop", "service": "orders", "method": "POST", "code": "2xx"}))
	c.Release()
	other.Release()
}

// counterValue reads one series through Gather, so the test sees what a scrape sees.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels prometheus.Labels) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func TestNilMetricSetsAreNoOps(t *testing.T) {
	var g *telemetry.GatewayMetrics
	r := g.Route("a", "b")
	r.ObserveRequest(telemetry.MethodGet, 200, time.Second)
	r.ObserveUpstream(200, time.Second)
	r.TargetError(telemetry.TargetTLS)
	r.Fetch(telemetry.FetchOAuth, telemetry.FetchOK, time.Second)
	r.AuthRetry(401)
	r.Release()
	g.Unrouted(telemetry.UnroutedBadPath)
	g.RequestStarted()
	g.RequestDone()
	var c *telemetry.ConnectorMetrics
	c.TokenIssued()
	c.CSRRefused(pairing.ErrExpired)
	c.SetCertificateExpiry("ca", time.Now())
	var e *telemetry.EventMetrics
	e.Accepted(telemetry.EventAPILegacy)
	e.Refused(connector.ErrForbidden)
	e.Forwarded(nil, time.Second)
	var s *telemetry.StoreMetrics
	s.WatchEvent(telemetry.StoreApplications, ports.EventPut)
	repo := memory.NewApplicationRepository()
	assert.Same(t, ports.ApplicationRepository(repo), s.Applications(repo))
}

func TestClassifyTargetError(t *testing.T) {
	// Real failures on loopback: a closed port refuses, a TLS server rejects plain HTTP
	// clients' handshakes, and a context deadline times out.
	ln := httptest.NewServer(http.NotFoundHandler())
	closedURL := ln.URL
	ln.Close()
	_, err := http.Get(closedURL)
	require.Error(t, err)
	assert.Equal(t, telemetry.TargetConnectionRefused, telemetry.ClassifyTargetError(err))

	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	_, err = http.Get(tlsSrv.URL) // the client does not trust the test CA
	require.Error(t, err)
	assert.Equal(t, telemetry.TargetTLS, telemetry.ClassifyTargetError(err))

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer slow.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, slow.URL, nil)
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.Equal(t, telemetry.TargetTimeout, telemetry.ClassifyTargetError(err))
	assert.Equal(t, telemetry.FetchTimeout, telemetry.ClassifyFetch(err))
	assert.Equal(t, telemetry.FetchOK, telemetry.ClassifyFetch(nil))
	assert.Equal(t, telemetry.TargetOther, telemetry.ClassifyTargetError(errors.New("boom")))
}

func TestConnectorMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := telemetry.NewConnectorMetrics(reg)
	m.TokenIssued()
	m.TokenIssued()
	m.TokenRedeemed()
	m.TokenRefused(fmt.Errorf("use token: %w", pairing.ErrExpired))
	m.TokenRefused(errors.New("disk on fire"))
	m.CSRSigned()
	m.CSRRefused(fmt.Errorf("sign: %w", certificate.ErrInvalidCSR))
	m.CSRRefused(fmt.Errorf("renew: %w", certificate.ErrRevoked))
	m.CSRRefused(fmt.Errorf("renew: %w", certificate.ErrExpired))
	m.CSRRefused(fmt.Errorf("sign csr for x: %w", application.ErrNotFound))
	m.CertificateRenewed()
	m.CertificateRevoked()
	notAfter := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	m.SetCertificateExpiry("ca", notAfter)

	expected := `
# HELP appconnector_connector_tokens_issued_total One-time tokens issued (by the management API and as the next token of a signing-request info).
# TYPE appconnector_connector_tokens_issued_total counter
appconnector_connector_tokens_issued_total 2
# HELP appconnector_connector_tokens_redeemed_total One-time tokens used up successfully.
# TYPE appconnector_connector_tokens_redeemed_total counter
appconnector_connector_tokens_redeemed_total 1
# HELP appconnector_connector_tokens_refused_total One-time tokens refused, by reason.
# TYPE appconnector_connector_tokens_refused_total counter
appconnector_connector_tokens_refused_total{reason="other"} 1
appconnector_connector_tokens_refused_total{reason="token_expired"} 1
appconnector_connector_tokens_refused_total{reason="token_malformed"} 0
appconnector_connector_tokens_refused_total{reason="token_not_found"} 0
# HELP appconnector_connector_csrs_refused_total Certificate signing and renewal requests refused, by reason.
# TYPE appconnector_connector_csrs_refused_total counter
appconnector_connector_csrs_refused_total{reason="application_not_found"} 1
appconnector_connector_csrs_refused_total{reason="certificate_expired"} 1
appconnector_connector_csrs_refused_total{reason="invalid_csr"} 1
appconnector_connector_csrs_refused_total{reason="other"} 0
appconnector_connector_csrs_refused_total{reason="revoked"} 1
appconnector_connector_csrs_refused_total{reason="token_expired"} 0
appconnector_connector_csrs_refused_total{reason="token_malformed"} 0
appconnector_connector_csrs_refused_total{reason="token_not_found"} 0
# HELP appconnector_certificate_expiry_timestamp_seconds NotAfter of the CA and the serving certificates, as a Unix timestamp; alert on it minus time().
# TYPE appconnector_certificate_expiry_timestamp_seconds gauge
appconnector_certificate_expiry_timestamp_seconds{certificate="ca"} 1.893553445e+09
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"appconnector_connector_tokens_issued_total", "appconnector_connector_tokens_redeemed_total",
		"appconnector_connector_tokens_refused_total", "appconnector_connector_csrs_refused_total",
		"appconnector_certificate_expiry_timestamp_seconds"))
	for _, name := range []string{"appconnector_connector_csrs_signed_total", "appconnector_connector_certificates_renewed_total", "appconnector_connector_certificates_revoked_total"} {
		assert.Equal(t, 1, testutil.CollectAndCount(reg, name), name)
	}
}

type fakeSink struct{ err error }

func (s fakeSink) Send(context.Context, string, event.CloudEvent) error { return s.err }

func TestEventMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := telemetry.NewEventMetrics(reg)
	m.Accepted(telemetry.EventAPILegacy)
	m.Accepted(telemetry.EventAPICloudEvents)
	m.Accepted("/shop/v1/events") // not an API name: never becomes a label
	m.Refused(fmt.Errorf("authorize shop: %w", connector.ErrForbidden))
	m.Refused(connector.ErrNoCertificate)
	m.Refused(&event.InvalidError{Field: "type", Reason: "missing"})
	m.Refused(event.LegacyBodyTooLarge(10))
	m.Refused(fmt.Errorf("authorize x: %w", application.ErrNotFound))

	ctx := context.Background()
	for _, err := range []error{nil, &event.DeliveryError{Timeout: true}, &event.DeliveryError{StatusCode: 503},
		&event.DeliveryError{StatusCode: 400}, &event.DeliveryError{Err: errors.New("connection refused")}} {
		got := m.InstrumentSink(fakeSink{err: err}, nil).Send(ctx, "shop", event.CloudEvent{})
		assert.Equal(t, err, got)
	}

	expected := `
# HELP appconnector_events_accepted_total Events accepted and delivered, by API (legacy, cloudevents).
# TYPE appconnector_events_accepted_total counter
appconnector_events_accepted_total{api="cloudevents"} 1
appconnector_events_accepted_total{api="legacy"} 1
# HELP appconnector_events_refused_total Events refused, by reason.
# TYPE appconnector_events_refused_total counter
appconnector_events_refused_total{reason="application_not_found"} 1
appconnector_events_refused_total{reason="certificate_expired"} 0
appconnector_events_refused_total{reason="delivery_failed"} 0
appconnector_events_refused_total{reason="forbidden"} 1
appconnector_events_refused_total{reason="invalid_event"} 1
appconnector_events_refused_total{reason="no_certificate"} 1
appconnector_events_refused_total{reason="other"} 0
appconnector_events_refused_total{reason="revoked"} 0
appconnector_events_refused_total{reason="too_large"} 1
# HELP appconnector_events_forwarded_total Event deliveries, by outcome (ok, timeout, rejected, server_error, unreachable).
# TYPE appconnector_events_forwarded_total counter
appconnector_events_forwarded_total{outcome="ok"} 1
appconnector_events_forwarded_total{outcome="rejected"} 1
appconnector_events_forwarded_total{outcome="server_error"} 1
appconnector_events_forwarded_total{outcome="timeout"} 1
appconnector_events_forwarded_total{outcome="unreachable"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"appconnector_events_accepted_total", "appconnector_events_refused_total", "appconnector_events_forwarded_total"))
	assert.Equal(t, 1, testutil.CollectAndCount(reg, "appconnector_events_forward_duration_seconds"))
}

func TestStoreMetricsCountWatchEvents(t *testing.T) {
	reg := prometheus.NewRegistry()
	now := time.Unix(1_700_000_000, 0)
	m := telemetry.NewStoreMetrics(reg, func() time.Time { return now })
	apps := m.Applications(memory.NewApplicationRepository())
	secrets := m.Secrets(memory.NewSecretStore())
	ctx, cancel := context.WithCancel(context.Background())
	_, _, err := apps.Put(ctx, application.Application{Name: "shop"})
	require.NoError(t, err)

	ch, err := apps.Watch(ctx)
	require.NoError(t, err)
	next := func() ports.Event[application.Application] {
		select {
		case ev, ok := <-ch:
			require.True(t, ok, "watch closed early")
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no watch event")
		}
		return ports.Event[application.Application]{}
	}
	assert.Equal(t, ports.EventPut, next().Type)
	assert.Equal(t, ports.EventSynced, next().Type)
	now = now.Add(time.Minute) // the relay reads the clock only when an event arrives
	_, _, err = apps.Put(ctx, application.Application{Name: "crm"})
	require.NoError(t, err)
	ev := next()
	assert.Equal(t, "crm", ev.Name)

	sch, err := secrets.Watch(ctx)
	require.NoError(t, err)
	select {
	case ev := <-sch:
		assert.Equal(t, ports.EventSynced, ev.Type)
	case <-time.After(5 * time.Second):
		t.Fatal("no secret watch event")
	}
	_ = credential.Secret{}

	expected := `
# HELP appconnector_store_watch_events_total Watch events received, by store and type (put, delete, synced).
# TYPE appconnector_store_watch_events_total counter
appconnector_store_watch_events_total{store="applications",type="put"} 2
appconnector_store_watch_events_total{store="applications",type="synced"} 1
appconnector_store_watch_events_total{store="secrets",type="synced"} 1
# HELP appconnector_store_last_sync_timestamp_seconds When the store's watch last completed a full snapshot (Unix time); time() minus it is the age of the last sync.
# TYPE appconnector_store_last_sync_timestamp_seconds gauge
appconnector_store_last_sync_timestamp_seconds{store="applications"} 1.7e+09
appconnector_store_last_sync_timestamp_seconds{store="secrets"} 1.70000006e+09
# HELP appconnector_store_last_event_timestamp_seconds When the store's watch last delivered any event (Unix time).
# TYPE appconnector_store_last_event_timestamp_seconds gauge
appconnector_store_last_event_timestamp_seconds{store="applications"} 1.70000006e+09
appconnector_store_last_event_timestamp_seconds{store="secrets"} 1.70000006e+09
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expected),
		"appconnector_store_watch_events_total", "appconnector_store_last_sync_timestamp_seconds", "appconnector_store_last_event_timestamp_seconds"))

	// Cancelling ends the relayed streams: the consumer sees them close.
	cancel()
	deadline := time.After(5 * time.Second)
	for closed := 0; closed < 2; {
		select {
		case _, ok := <-ch:
			if !ok {
				closed++
				ch = nil
			}
		case _, ok := <-sch:
			if !ok {
				closed++
				sch = nil
			}
		case <-deadline:
			t.Fatal("relayed watch did not close after cancel")
		}
	}
}

func TestHandlerPprofOptIn(t *testing.T) {
	off := newTelemetry(t, telemetry.Config{})
	code, _ := scrape(t, off.Handler(), "/debug/pprof/")
	assert.Equal(t, http.StatusNotFound, code)

	assert.Nil(t, off.NewServer(), "no --metrics-addr, no listener")

	on := newTelemetry(t, telemetry.Config{Pprof: true, MetricsAddr: "127.0.0.1:0"})
	srv := on.NewServer()
	require.NotNil(t, srv)
	assert.Equal(t, time.Duration(0), srv.WriteTimeout, "profiles may run longer than a write timeout")
	ln, err := net.Listen("tcp", srv.Addr)
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	for path, want := range map[string]string{"/debug/pprof/": "goroutine", "/metrics": "appconnector_build_info"} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, string(body), want, path)
	}
	resp, err := http.Post(base+"/metrics", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestRegisterFlags(t *testing.T) {
	var c telemetry.Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	telemetry.RegisterFlags(fs, &c)
	require.NoError(t, fs.Parse(nil))
	assert.Equal(t, "127.0.0.1:9464", c.MetricsAddr)
	assert.False(t, c.Pprof)
	require.NoError(t, fs.Parse([]string{"--metrics-addr=:9999", "--pprof", "--otlp-endpoint=http://127.0.0.1:4318"}))
	assert.Equal(t, telemetry.Config{MetricsAddr: ":9999", Pprof: true, OTLPEndpoint: "http://127.0.0.1:4318"}, c)
}
