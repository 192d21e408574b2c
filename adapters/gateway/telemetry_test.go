package gateway_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/domain/application"
)

func newTelemetry(t testing.TB) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(context.Background(), telemetry.Config{Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// metricsScrape fetches /metrics from tel.Handler on a loopback listener and parses it
// with the Prometheus text parser.
func metricsScrape(t *testing.T, tel *telemetry.Telemetry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(tel.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return mfs
}

// series finds the sample of name whose labels are exactly want; nil if there is none.
func series(mfs map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		return m
	}
	return nil
}

func counterOf(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	m := series(mfs, name, labelMap(labels))
	require.NotNil(t, m, "no series %s%v", name, labels)
	return m.GetCounter().GetValue()
}

func histogramCount(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) uint64 {
	t.Helper()
	m := series(mfs, name, labelMap(labels))
	require.NotNil(t, m, "no series %s%v", name, labels)
	return m.GetHistogram().GetSampleCount()
}

func gaugeOf(t *testing.T, mfs map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	m := series(mfs, name, map[string]string{})
	require.NotNil(t, m, "no series %s", name)
	return m.GetGauge().GetValue()
}

// routeSeries is every series of the gateway's per-route families except those of the
// applications in skip, as name{label="value",...} (labels sorted, as exposed) with its
// value, or its sample count for a histogram.
func routeSeries(mfs map[string]*dto.MetricFamily, skip ...string) map[string]float64 {
	out := map[string]float64{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "appconnector_gateway_") {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			var ls []string
			routed := false
			for _, l := range m.GetLabel() {
				if l.GetName() == "application" {
					if slices.Contains(skip, l.GetValue()) {
						continue next
					}
					routed = true
				}
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			if !routed {
				continue // the gateway-wide gauges and the unrouted counter, checked apart
			}
			key := name + "{" + strings.Join(ls, ",") + "}"
			if h := m.GetHistogram(); h != nil {
				out[key] = float64(h.GetSampleCount())
			} else {
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func labelMap(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func drainClose(t *testing.T, resp *http.Response) int {
	t.Helper()
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestMetricsAfterRequests drives successes, a 5xx target, an unreachable and a slow
// target, a failing token endpoint, a 401 retried with a fresh token, a CSRF fetch and
// requests that match no route through the gateway, then scrapes /metrics and finds the
// exact counts under the registered application and service names.
func TestMetricsAfterRequests(t *testing.T) {
	tel := newTelemetry(t)
	e := newEnv(t, func(c *gateway.Config) {
		c.Metrics = tel.Gateway
		c.ProxyTimeout = time.Second
	})
	const svc = "orders-api" // "Orders API", normalised

	ok := newEcho(t)
	e.put(t, app("shop", ok.URL, nil))

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(broken.Close)
	e.put(t, app("broken", broken.URL, nil))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	e.put(t, app("down", refused, nil))

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(slow.Close)
	e.put(t, app("slow", slow.URL, nil))

	badTokens := httptest.NewServer(&tokenServer{status: http.StatusUnauthorized})
	t.Cleanup(badTokens.Close)
	oauthSecret(e, t, "bad-oauth")
	e.put(t, app("oauthbad", ok.URL, &application.Credentials{Type: application.CredentialOAuth, SecretName: "bad-oauth", AuthenticationURL: badTokens.URL + "/token"}))

	tokens := httptest.NewServer(&tokenServer{expiresIn: 3600})
	t.Cleanup(tokens.Close)
	var calls atomic.Int32
	rejectFirst := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		echoHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(rejectFirst.Close)
	oauthSecret(e, t, "good-oauth")
	e.put(t, app("retry", rejectFirst.URL, &application.Credentials{Type: application.CredentialOAuth, SecretName: "good-oauth", AuthenticationURL: tokens.URL + "/token"}))

	ct := &csrfTarget{}
	csrfUp := httptestServer(ct)
	t.Cleanup(csrfUp.Close)
	e.putSecret(t, "csrf-basic", map[string]string{"username": "u", "password": "p"})
	e.put(t, app("csrf", csrfUp.URL+"/api", &application.Credentials{Type: application.CredentialBasic, SecretName: "csrf-basic",
		CSRFInfo: &application.CSRFInfo{TokenEndpointURL: csrfUp.URL + "/csrf"}}))

	// e.put's barrier polls (env.sync) may reach the gateway before the barrier route is
	// bound and count as unrouted: count those from here.
	unrouted := func(mfs map[string]*dto.MetricFamily, reason string) float64 {
		if m := series(mfs, "appconnector_gateway_unrouted_requests_total", map[string]string{"reason": reason}); m != nil {
			return m.GetCounter().GetValue()
		}
		return 0
	}
	before := metricsScrape(t, tel)

	for range 3 {
		require.Equal(t, http.StatusOK, drainClose(t, e.do(t, "GET", "/shop/orders-api/items?x=1", nil)))
	}
	require.Equal(t, http.StatusOK, drainClose(t, e.do(t, "POST", "/shop/orders-api/items", strings.NewReader("{}"))))
	require.Equal(t, http.StatusOK, drainClose(t, e.do(t, "BREW", "/shop/orders-api/pot", nil)))
	for range 2 {
		require.Equal(t, http.StatusBadGateway, drainClose(t, e.do(t, "GET", "/broken/orders-api/x", nil)))
		require.Equal(t, http.StatusBadGateway, drainClose(t, e.do(t, "GET", "/oauthbad/orders-api/x", nil)))
		require.Equal(t, http.StatusOK, drainClose(t, e.do(t, "GET", "/csrf/orders-api/x", nil)))
	}
	require.Equal(t, http.StatusBadGateway, drainClose(t, e.do(t, "GET", "/down/orders-api/x", nil)))
	require.Equal(t, http.StatusGatewayTimeout, drainClose(t, e.do(t, "GET", "/slow/orders-api/x", nil)))
	require.Equal(t, http.StatusOK, drainClose(t, e.do(t, "GET", "/retry/orders-api/x", nil)))
	require.Equal(t, http.StatusBadRequest, drainClose(t, e.do(t, "GET", "/only-one-segment", nil)))
	require.Equal(t, http.StatusNotFound, drainClose(t, e.do(t, "GET", "/nobody/orders-api/x", nil)))
	require.Equal(t, http.StatusNotFound, drainClose(t, e.do(t, "GET", "/shop/no-such-service/x", nil)))

	mfs := metricsScrape(t, tel)
	// Every series of the per-route families, with its exact count (the sample count of
	// a histogram): nothing missing, nothing more.
	const (
		g        = "appconnector_gateway_"
		requests = g + "requests_total"
	)
	want := map[string]float64{
		// Successes: 3 GET, a POST and an invented method, each one target response.
		g + `requests_total{application="shop",code="2xx",method="GET",service="orders-api"}`:   3,
		g + `requests_total{application="shop",code="2xx",method="POST",service="orders-api"}`:  1,
		g + `requests_total{application="shop",code="2xx",method="OTHER",service="orders-api"}`: 1,
		g + `request_duration_seconds{application="shop",service="orders-api"}`:                 5,
		g + `upstream_responses_total{application="shop",code="2xx",service="orders-api"}`:      5,
		g + `upstream_duration_seconds{application="shop",service="orders-api"}`:                5,
		// A 5xx target: the caller gets 502, the target's own answer was a 5xx.
		g + `requests_total{application="broken",code="5xx",method="GET",service="orders-api"}`: 2,
		g + `request_duration_seconds{application="broken",service="orders-api"}`:               2,
		g + `upstream_responses_total{application="broken",code="5xx",service="orders-api"}`:    2,
		g + `upstream_duration_seconds{application="broken",service="orders-api"}`:              2,
		// A refused connection: no response, so no upstream response or duration.
		g + `requests_total{application="down",code="5xx",method="GET",service="orders-api"}`:        1,
		g + `request_duration_seconds{application="down",service="orders-api"}`:                      1,
		g + `target_errors_total{application="down",kind="connection_refused",service="orders-api"}`: 1,
		g + `upstream_duration_seconds{application="down",service="orders-api"}`:                     0,
		// A timeout: 504 after --proxy-timeout, no response.
		g + `requests_total{application="slow",code="5xx",method="GET",service="orders-api"}`: 1,
		g + `request_duration_seconds{application="slow",service="orders-api"}`:               1,
		g + `target_errors_total{application="slow",kind="timeout",service="orders-api"}`:     1,
		g + `upstream_duration_seconds{application="slow",service="orders-api"}`:              0,
		// A failing token endpoint: a failed fetch is not cached, each request tries
		// again, and the target is never called.
		g + `requests_total{application="oauthbad",code="5xx",method="GET",service="orders-api"}`:                2,
		g + `request_duration_seconds{application="oauthbad",service="orders-api"}`:                              2,
		g + `token_fetches_total{application="oauthbad",kind="oauth",outcome="bad_status",service="orders-api"}`: 2,
		g + `token_fetch_duration_seconds{application="oauthbad",kind="oauth",service="orders-api"}`:             2,
		g + `upstream_duration_seconds{application="oauthbad",service="orders-api"}`:                             0,
		// 401, token dropped, fetched again, sent again: two fetches, one retry, one
		// answer; the upstream duration spans both attempts.
		g + `requests_total{application="retry",code="2xx",method="GET",service="orders-api"}`:        1,
		g + `request_duration_seconds{application="retry",service="orders-api"}`:                      1,
		g + `auth_retries_total{application="retry",code="401",service="orders-api"}`:                 1,
		g + `token_fetches_total{application="retry",kind="oauth",outcome="ok",service="orders-api"}`: 2,
		g + `token_fetch_duration_seconds{application="retry",kind="oauth",service="orders-api"}`:     2,
		g + `upstream_responses_total{application="retry",code="2xx",service="orders-api"}`:           1,
		g + `upstream_duration_seconds{application="retry",service="orders-api"}`:                     1,
		// The CSRF token is fetched once and reused by both requests.
		g + `requests_total{application="csrf",code="2xx",method="GET",service="orders-api"}`:       2,
		g + `request_duration_seconds{application="csrf",service="orders-api"}`:                     2,
		g + `token_fetches_total{application="csrf",kind="csrf",outcome="ok",service="orders-api"}`: 1,
		g + `token_fetch_duration_seconds{application="csrf",kind="csrf",service="orders-api"}`:     1,
		g + `upstream_responses_total{application="csrf",code="2xx",service="orders-api"}`:          2,
		g + `upstream_duration_seconds{application="csrf",service="orders-api"}`:                    2,
	}
	assert.Equal(t, want, routeSeries(mfs, "zz-sync"))
	assert.Equal(t, int32(1), ct.fetches.Load())

	// The timeout's duration lies in the bucket of --proxy-timeout (1 s): above 1 s,
	// below 2.5 s.
	slowDur := series(mfs, "appconnector_gateway_request_duration_seconds", map[string]string{"application": "slow", "service": svc})
	require.NotNil(t, slowDur)
	for _, b := range slowDur.GetHistogram().GetBucket() {
		switch b.GetUpperBound() {
		case 1:
			assert.Equal(t, uint64(0), b.GetCumulativeCount(), "le=1")
		case 2.5:
			assert.Equal(t, uint64(1), b.GetCumulativeCount(), "le=2.5")
		}
	}
	assert.GreaterOrEqual(t, slowDur.GetHistogram().GetSampleSum(), 1.0)

	assert.Equal(t, 1.0, unrouted(mfs, "bad_path")-unrouted(before, "bad_path"))
	assert.Equal(t, 2.0, unrouted(mfs, "not_found")-unrouted(before, "not_found"))
	assert.Equal(t, 0.0, gaugeOf(t, mfs, "appconnector_gateway_in_flight_requests"))
	// shop, broken, down, slow, oauthbad, retry, csrf and the test's zz-sync barrier.
	assert.Equal(t, 8.0, gaugeOf(t, mfs, "appconnector_gateway_routes"))
	// One shared pool for every target without a client certificate, one per token client.
	assert.Equal(t, 3.0, gaugeOf(t, mfs, "appconnector_gateway_cached_transports"))

	registered := map[string]bool{"shop": true, "broken": true, "down": true, "slow": true, "oauthbad": true, "retry": true, "csrf": true, "zz-sync": true}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "application":
					assert.True(t, registered[l.GetValue()], "%s has application %q", name, l.GetValue())
				case "service":
					assert.Equal(t, svc, l.GetValue(), name)
				}
			}
		}
	}

	// Removing an Application removes its series.
	err = e.apps.Delete(context.Background(), "broken")
	require.NoError(t, err)
	e.sync(t)
	mfs = metricsScrape(t, tel)
	assert.Nil(t, series(mfs, requests, map[string]string{"application": "broken", "service": svc, "method": "GET", "code": "5xx"}))
	assert.Equal(t, 7.0, gaugeOf(t, mfs, "appconnector_gateway_routes"))
}

// otlpReceiver is an OTLP/HTTP trace receiver on loopback keeping the spans it gets.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	// discard drops what arrives (benchmarks would otherwise keep every span).
	discard bool
}

func newOTLPReceiver(t testing.TB) *otlpReceiver {
	rcv := &otlpReceiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			if rcv.discard {
				break
			}
			for _, ss := range rs.GetScopeSpans() {
				rcv.spans = append(rcv.spans, ss.GetSpans()...)
			}
		}
		rcv.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(rcv.Close)
	return rcv
}

// trace returns the spans of one trace once every name in want is among them.
func (rcv *otlpReceiver) trace(t *testing.T, traceID string, want ...string) map[string]*tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := map[string]*tracepb.Span{}
		rcv.mu.Lock()
		for _, s := range rcv.spans {
			if hex.EncodeToString(s.GetTraceId()) == traceID {
				got[s.GetName()] = s
			}
		}
		rcv.mu.Unlock()
		missing := false
		for _, n := range want {
			missing = missing || got[n] == nil
		}
		if !missing {
			return got
		}
		require.True(t, time.Now().Before(deadline), "trace %s has spans %v, want %v", traceID, keys(got), want)
		time.Sleep(10 * time.Millisecond)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func spanAttrs(s *tracepb.Span) map[string]string {
	m := map[string]string{}
	for _, kv := range s.GetAttributes() {
		if v := kv.GetValue().GetStringValue(); v != "" {
			m[kv.GetKey()] = v
		} else {
			m[kv.GetKey()] = kv.GetValue().String()
		}
	}
	return m
}

// traceparentRecorder records the traceparent each request brings, then hands over.
type traceparentRecorder struct {
	mu   sync.Mutex
	seen []string
	next http.Handler
}

func (rec *traceparentRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.seen = append(rec.seen, r.Header.Get("Traceparent"))
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

// first is the traceparent of the first request: the CSRF fetch comes before the call.
func (rec *traceparentRecorder) first() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) == 0 {
		return ""
	}
	return rec.seen[0]
}

func (rec *traceparentRecorder) last() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) == 0 {
		return ""
	}
	return rec.seen[len(rec.seen)-1]
}

const (
	clientTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpanID  = "00f067aa0ba902b7"
	clientParent  = "00-" + clientTraceID + "-" + clientSpanID + "-01"
)

// TestTraceparentReachesTarget: with tracing on, the caller's trace continues through
// the gateway's spans (request, token fetch, CSRF fetch, upstream call) to the target,
// the token and the CSRF endpoint, and an OTLP receiver on loopback gets those spans
// with the registered names and no credential.
func TestTraceparentReachesTarget(t *testing.T) {
	rcv := newOTLPReceiver(t)
	tr, err := telemetry.NewTracing(context.Background(), telemetry.TracingConfig{Endpoint: rcv.URL, Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	require.True(t, tr.Enabled())
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	e := newEnv(t, func(c *gateway.Config) { c.Tracing = tr })

	target := &traceparentRecorder{next: &csrfTarget{}}
	up := httptestServer(target)
	t.Cleanup(up.Close)
	tokens := &traceparentRecorder{next: &tokenServer{expiresIn: 3600}}
	tok := httptest.NewServer(tokens)
	t.Cleanup(tok.Close)
	oauthSecret(e, t, "shop-oauth")
	e.put(t, app("shop", up.URL+"/api", &application.Credentials{Type: application.CredentialOAuth, SecretName: "shop-oauth",
		AuthenticationURL: tok.URL + "/token", CSRFInfo: &application.CSRFInfo{TokenEndpointURL: up.URL + "/csrf"}}))

	got := readEcho(t, e.do(t, "GET", "/shop/orders-api/items?top=1", nil, "Traceparent", clientParent))
	sent := got.Header.Get("Traceparent")
	require.NotEmpty(t, sent)
	parts := strings.Split(sent, "-")
	require.Len(t, parts, 4)
	assert.Equal(t, clientTraceID, parts[1], "the target continues the caller's trace")
	assert.NotEqual(t, clientSpanID, parts[2], "the target's parent is the gateway's span")
	assert.Contains(t, tokens.last(), clientTraceID, "the token endpoint continues the caller's trace")
	assert.Contains(t, target.first(), clientTraceID, "the CSRF endpoint continues the caller's trace")

	require.NoError(t, tr.ForceFlush(context.Background()))
	spans := rcv.trace(t, clientTraceID, telemetry.SpanGatewayRequest, telemetry.SpanUpstream, telemetry.SpanTokenFetch, telemetry.SpanCSRFFetch)
	req, upSpan := spans[telemetry.SpanGatewayRequest], spans[telemetry.SpanUpstream]
	assert.Equal(t, clientSpanID, hex.EncodeToString(req.GetParentSpanId()))
	assert.Equal(t, hex.EncodeToString(req.GetSpanId()), hex.EncodeToString(upSpan.GetParentSpanId()))
	assert.Equal(t, parts[2], hex.EncodeToString(upSpan.GetSpanId()), "the target's parent is the upstream span")
	assert.Equal(t, tracepb.Span_SPAN_KIND_SERVER, req.GetKind())
	assert.Equal(t, tracepb.Span_SPAN_KIND_CLIENT, upSpan.GetKind())
	for _, name := range []string{telemetry.SpanGatewayRequest, telemetry.SpanTokenFetch, telemetry.SpanCSRFFetch} {
		a := spanAttrs(spans[name])
		assert.Equal(t, "shop", a["appconnector.application"], name)
		assert.Equal(t, "orders-api", a["appconnector.service"], name)
	}
	for name, s := range spans {
		for k, v := range spanAttrs(s) {
			for _, secret := range []string{"s3cret", "token-1", "csrf-1", "top=1", "/items"} {
				assert.NotContains(t, v, secret, "span %s attribute %s", name, k)
			}
		}
	}
}

// TestTracingOffPassesTraceparentThrough: without tracing the gateway adds no span and
// the caller's traceparent reaches the target unchanged, as any other header.
func TestTracingOffPassesTraceparentThrough(t *testing.T) {
	tr, err := telemetry.NewTracing(context.Background(), telemetry.TracingConfig{Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	require.False(t, tr.Enabled())
	for name, tracing := range map[string]*telemetry.Tracing{"nil": nil, "disabled": tr} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *gateway.Config) { c.Tracing = tracing })
			require.True(t, gateway.Uninstrumented(e.gw), "tracing off installs no middleware and no tracing transport")
			up := newEcho(t)
			e.put(t, app("shop", up.URL, nil))
			got := readEcho(t, e.do(t, "GET", "/shop/orders-api/x", nil, "Traceparent", clientParent))
			assert.Equal(t, clientParent, got.Header.Get("Traceparent"))
		})
	}
}

// seriesKeys is every series of the appconnector_ families on a scrape, as
// name{label="value",...} with the labels in the order of the exposition.
func seriesKeys(mfs map[string]*dto.MetricFamily) map[string]bool {
	keys := map[string]bool{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "appconnector_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			var b strings.Builder
			b.WriteString(name)
			for _, l := range m.GetLabel() {
				fmt.Fprintf(&b, ",%s=%q", l.GetName(), l.GetValue())
			}
			keys[b.String()] = true
		}
	}
	return keys
}

// handled is how many requests the gateway has answered: each is counted either under
// its route or as unrouted.
func handled(mfs map[string]*dto.MetricFamily) float64 {
	n := 0.0
	for _, name := range []string{"appconnector_gateway_requests_total", "appconnector_gateway_unrouted_requests_total"} {
		for _, m := range mfs[name].GetMetric() {
			n += m.GetCounter().GetValue()
		}
	}
	return n
}

// randomRequest invents a method and a path: a routed path with random sub-paths and
// queries, an unknown application, an unknown service, or a path with too few segments,
// each with random characters and percent-escapes.
func randomRequest(rng *rand.Rand) (method, path string) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@"
	seg := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			if rng.IntN(8) == 0 {
				fmt.Fprintf(&b, "%%%02X", rng.IntN(256))
				continue
			}
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	segs := func() string {
		parts := make([]string, rng.IntN(4))
		for i := range parts {
			parts[i] = seg()
		}
		return strings.Join(parts, "/")
	}
	switch rng.IntN(6) {
	case 0, 1:
		path = "/shop/orders-api/" + segs()
	case 2:
		path = "/crm/orders-api/" + segs()
	case 3:
		path = "/" + seg() + "/" + seg() + "/" + segs()
	case 4:
		path = "/shop/" + seg() + "/" + segs()
	default:
		path = "/" + seg()
	}
	if rng.IntN(2) == 0 {
		path += "?" + seg() + "=" + seg()
	}
	switch rng.IntN(3) {
	case 0: // an invented method: any token is valid HTTP
		b := make([]byte, 1+rng.IntN(10))
		for i := range b {
			b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[rng.IntN(52)]
		}
		method = string(b)
	default:
		method = gatewayMethods[rng.IntN(len(gatewayMethods)-1)] // not OTHER itself
	}
	return method, path
}

// gatewayMethods are the values of the method label; OTHER stands for every other method.
var gatewayMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}

// TestRandomPathsCreateNoSeries: 10,000 requests with random methods and paths through
// the real gateway (invented applications, services, sub-paths, queries, escapes) add
// not one series once every method class has been seen on the two registered routes:
// label values are the registered names and fixed sets only. Every request is counted.
func TestRandomPathsCreateNoSeries(t *testing.T) {
	const requests, workers = 10_000, 4
	tel := newTelemetry(t)
	e := newEnv(t, func(c *gateway.Config) { c.Metrics = tel.Gateway })
	up := newEcho(t)
	e.put(t, app("shop", up.URL, nil))
	e.put(t, app("crm", up.URL, nil))
	// Keep-alive connections, one per worker, so the run measures the gateway rather
	// than connection set-up.
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string) error {
		req, err := http.NewRequest(method, e.standalone.URL+path, nil)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}

	// Every series the registered routes can have with an echoing target: each method
	// class (an invented method for OTHER) answered 2xx by the target, and 4xx by the
	// gateway for a dot segment in the sub-path, which random paths produce too.
	for _, a := range []string{"shop", "crm"} {
		for _, m := range append(slices.Clone(gatewayMethods[:len(gatewayMethods)-1]), "BREW") {
			require.NoError(t, send(m, "/"+a+"/orders-api/warm"))
			require.NoError(t, send(m, "/"+a+"/orders-api/a/../b"))
		}
	}
	mfs := metricsScrape(t, tel)
	before, handledBefore := seriesKeys(mfs), handled(mfs)

	started := time.Now()
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			rng := rand.New(rand.NewPCG(10, uint64(w)))
			for range requests / workers {
				if err := send(randomRequest(rng)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())
	t.Logf("%d random requests in %v", requests, time.Since(started).Round(time.Millisecond))

	mfs = metricsScrape(t, tel)
	after := seriesKeys(mfs)
	for k := range after {
		assert.True(t, before[k], "new series %s", k)
	}
	assert.Equal(t, len(before), len(after), "series removed")
	assert.Equal(t, handledBefore+requests, handled(mfs), "every request was counted, under a route or as unrouted")
	assert.Greater(t, counterOf(t, mfs, "appconnector_gateway_requests_total", "application", "shop", "service", "orders-api", "method", "OTHER", "code", "2xx"), 1.0,
		"invented methods reached the target")
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "application":
					assert.Contains(t, []string{"shop", "crm", "zz-sync"}, l.GetValue(), name)
				case "service":
					assert.Equal(t, "orders-api", l.GetValue(), name)
				case "method":
					assert.Contains(t, gatewayMethods, l.GetValue(), name)
				}
			}
		}
	}
}

// TestMetricsAddNoAllocations guards the hot path: a proxied request allocates no more
// with metrics on than with them off (pools emptied by a GC can add one now and then,
// hence the margin of one allocation per request).
func TestMetricsAddNoAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations of many requests")
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(up.Close)
	allocs := func(metrics *telemetry.GatewayMetrics) float64 {
		e := newEnv(t, func(c *gateway.Config) { c.Metrics = metrics })
		e.put(t, app("bench", up.URL+"/api", nil))
		h := e.gw.StandaloneHandler()
		req := httptest.NewRequest("GET", "/bench/orders-api/v1/orders?top=1", nil)
		req.RemoteAddr = "127.0.0.1:5555"
		w := &discardRecorder{h: http.Header{}}
		serve := func() { clear(w.h); h.ServeHTTP(w, req) }
		serve() // warm the connection pool and the route's series
		return testing.AllocsPerRun(300, serve)
	}
	off := allocs(nil)
	tel := newTelemetry(t)
	on := allocs(tel.Gateway)
	t.Logf("allocs/request: metrics off %.2f, on %.2f", off, on)
	assert.LessOrEqual(t, on, off+1, "metrics on allocate on the request path")
	// Our warm-up, AllocsPerRun's own, and the 300 measured.
	require.Equal(t, 302.0, counterOf(t, metricsScrape(t, tel), "appconnector_gateway_requests_total",
		"application", "bench", "service", "orders-api", "method", "GET", "code", "2xx"), "the measured requests were counted")
}
