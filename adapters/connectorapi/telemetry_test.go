package connectorapi_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
	"google.golang.org/protobuf/proto"

	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/domain/application"
)

// spanSink is an OTLP/HTTP trace receiver on loopback keeping the spans it gets.
type spanSink struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newSpanSink(t *testing.T) *spanSink {
	s := &spanSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				s.spans = append(s.spans, ss.GetSpans()...)
			}
		}
		s.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(s.Close)
	return s
}

// named polls until n spans called name have arrived.
func (s *spanSink) named(t *testing.T, name string, n int) []*tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []*tracepb.Span
		s.mu.Lock()
		for _, sp := range s.spans {
			if sp.GetName() == name {
				got = append(got, sp)
			}
		}
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		require.True(t, time.Now().Before(deadline), "%d %s spans, want %d", len(got), name, n)
		time.Sleep(10 * time.Millisecond)
	}
}

func spanAttr(sp *tracepb.Span, key string) string {
	for _, kv := range sp.GetAttributes() {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

func scrapeMetrics(t *testing.T, tel *telemetry.Telemetry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(tel.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return mfs
}

// counter is the value of the series of name with exactly the labels kv; 0 if absent.
func counter(mfs map[string]*dto.MetricFamily, name string, kv ...string) float64 {
	mf := mfs[name]
	if mf == nil {
		return -1
	}
next:
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel())*2 != len(kv) {
			continue
		}
		for i, l := range m.GetLabel() {
			if l.GetName() != kv[2*i] || l.GetValue() != kv[2*i+1] {
				continue next
			}
		}
		if h := m.GetHistogram(); h != nil {
			return float64(h.GetSampleCount())
		}
		return m.GetCounter().GetValue()
	}
	return 0
}

func seriesKey(name string, kv ...string) string {
	var ls []string
	for i := 0; i+1 < len(kv); i += 2 {
		ls = append(ls, fmt.Sprintf("%s=%q", kv[i], kv[i+1]))
	}
	return name + "{" + strings.Join(ls, ",") + "}"
}

// moved is every counter and histogram series of the connector and event families that
// is not zero, with its value or sample count.
func moved(mfs map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "appconnector_connector_") && !strings.HasPrefix(name, "appconnector_events_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			var kv []string
			for _, l := range m.GetLabel() {
				kv = append(kv, l.GetName(), l.GetValue())
			}
			v := m.GetCounter().GetValue()
			if h := m.GetHistogram(); h != nil {
				v = float64(h.GetSampleCount())
			}
			if v != 0 {
				out[seriesKey(name, kv...)] = v
			}
		}
	}
	return out
}

// TestEventForwardingFailureMetrics: deliveries the eventing endpoint answers 503 or
// 400, does not answer in time, or cannot be reached are each counted by outcome, timed,
// and refused to the sender as delivery_failed; nothing is counted as accepted.
func TestEventForwardingFailureMetrics(t *testing.T) {
	var mode atomic.Int32
	release := make(chan struct{})
	eventing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch mode.Load() {
		case 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 1:
			w.WriteHeader(http.StatusBadRequest)
		default:
			select { // longer than the forwarder's 2 s timeout
			case <-r.Context().Done():
			case <-release:
			}
		}
	}))
	tel, err := telemetry.New(context.Background(), telemetry.Config{Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	e := newEnv(t, envOptions{telemetry: tel, eventingURL: eventing.URL})
	e.createApp(application.Application{Name: "app-a"})
	_, hc := e.connect("app-a")

	var statuses []int
	for m := range int32(3) {
		mode.Store(m)
		statuses = append(statuses, send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent).status)
	}
	close(release)
	eventing.Close()
	statuses = append(statuses, send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent).status)
	// docs/connector.md: 5xx and unreachable -> 502, a timeout -> 504, another 4xx is passed on.
	assert.Equal(t, []int{http.StatusBadGateway, http.StatusBadRequest, http.StatusGatewayTimeout, http.StatusBadGateway}, statuses)

	mfs := scrapeMetrics(t, tel)
	const ev = "appconnector_events_"
	assert.Equal(t, map[string]float64{
		seriesKey(ev+"forwarded_total", "outcome", "server_error"): 1,
		seriesKey(ev+"forwarded_total", "outcome", "rejected"):     1,
		seriesKey(ev+"forwarded_total", "outcome", "timeout"):      1,
		seriesKey(ev+"forwarded_total", "outcome", "unreachable"):  1,
		seriesKey(ev + "forward_duration_seconds"):                 4,
		seriesKey(ev+"refused_total", "reason", "delivery_failed"): 4,
		// The pairing that gave the client its certificate.
		seriesKey("appconnector_connector_tokens_issued_total"):   2,
		seriesKey("appconnector_connector_tokens_redeemed_total"): 2,
		seriesKey("appconnector_connector_csrs_signed_total"):     1,
	}, moved(mfs))
}

// TestConnectorAndEventMetrics runs a pairing, a renewal, a revocation and events
// through the real listeners with telemetry wired as cmd wires it, then finds the
// exact counts on /metrics, a connector.sign_csr span per certificate, and the trace
// context of each events.forward span at the eventing endpoint.
func TestConnectorAndEventMetrics(t *testing.T) {
	spans := newSpanSink(t)
	tel, err := telemetry.New(context.Background(), telemetry.Config{OTLPEndpoint: spans.URL, Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	require.True(t, tel.Tracing.Enabled())
	e := newEnv(t, envOptions{telemetry: tel})
	e.createApp(application.Application{Name: "app-a"})
	e.createApp(application.Application{Name: "app-b"})
	ctx := t.Context()

	// Pairing: a token from the management API, redeemed for the signing-request info
	// (which issues the CSR's token), redeemed again for the certificate.
	creds, hc := e.connect("app-a")

	// A token used twice, at the info URL and then at the CSR URL.
	tok := e.token("app-a")
	require.Equal(t, http.StatusOK, send(t, e.connectorHC, http.MethodGet, tok.URL, nil, "").status)
	require.Equal(t, http.StatusForbidden, send(t, e.connectorHC, http.MethodGet, tok.URL, nil, "").status)
	used := strings.SplitN(tok.URL, "?", 2)[1]
	r := send(t, e.connectorHC, http.MethodPost, e.connectorURL+schema.PathCertificates+"?"+used, nil, `{"csr":"x"}`)
	require.Equal(t, http.StatusForbidden, r.status, r.body)
	require.Equal(t, http.StatusForbidden, send(t, e.connectorHC, http.MethodPost, e.connectorURL+schema.PathCertificates, nil, `{"csr":"x"}`).status)

	// Events: one per API, one for an Application the certificate is not for.
	require.Equal(t, http.StatusOK, send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent).status)
	e.waitEvent()
	r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
		`{"specversion":"1.0","id":"s-1","source":"/crm","type":"customer.created.v1","data":{"c":1}}`)
	require.Equal(t, http.StatusNoContent, r.status, r.body)
	e.waitEvent()
	require.Equal(t, http.StatusForbidden, send(t, hc, http.MethodPost, e.mtlsURL+"/app-b/v1/events", nil, legacyEvent).status)
	require.Equal(t, http.StatusBadRequest, send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", http.Header{"Content-Type": {"application/cloudevents+json"}}, `{}`).status)

	// Renewal, then revocation of the first certificate, which is refused afterwards.
	mi, err := client.ManagementInfo(ctx, hc, e.mtlsURL+schema.PathManagementInfo)
	require.NoError(t, err)
	_, err = creds.Renew(ctx, hc, mi.URLs.RenewCertURL, mi.Certificate.Subject, client.KeyECDSAP256)
	require.NoError(t, err)
	require.NoError(t, client.Revoke(ctx, hc, mi.URLs.RevokeCertURL))
	require.Equal(t, http.StatusForbidden, send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil, legacyEvent).status)
	_, err = creds.Renew(ctx, hc, mi.URLs.RenewCertURL, mi.Certificate.Subject, client.KeyECDSAP256)
	require.Error(t, err)

	mfs := scrapeMetrics(t, tel)
	const c = "appconnector_connector_"
	want := map[string]float64{}
	for _, tc := range []struct {
		name string
		kv   []string
		want float64
	}{
		{c + "tokens_issued_total", nil, 4},   // two from the management API, two next tokens
		{c + "tokens_redeemed_total", nil, 3}, // two infos, one certificate
		{c + "tokens_refused_total", []string{"reason", "token_not_found"}, 2},
		{c + "tokens_refused_total", []string{"reason", "token_malformed"}, 1}, // no token at all
		{c + "csrs_signed_total", nil, 1},
		{c + "csrs_refused_total", []string{"reason", "token_not_found"}, 1},
		{c + "csrs_refused_total", []string{"reason", "token_malformed"}, 1},
		{c + "csrs_refused_total", []string{"reason", "revoked"}, 1},
		{c + "certificates_renewed_total", nil, 1},
		{c + "certificates_revoked_total", nil, 1},
		{"appconnector_events_accepted_total", []string{"api", "legacy"}, 1},
		{"appconnector_events_accepted_total", []string{"api", "cloudevents"}, 1},
		{"appconnector_events_refused_total", []string{"reason", "forbidden"}, 1},
		{"appconnector_events_refused_total", []string{"reason", "invalid_event"}, 1},
		{"appconnector_events_refused_total", []string{"reason", "revoked"}, 1},
		{"appconnector_events_forwarded_total", []string{"outcome", "ok"}, 2},
		{"appconnector_events_forward_duration_seconds", nil, 2},
	} {
		assert.Equal(t, tc.want, counter(mfs, tc.name, tc.kv...), "%s%v", tc.name, tc.kv)
		want[seriesKey(tc.name, tc.kv...)] = tc.want
	}
	assert.Equal(t, want, moved(mfs), "no other connector or event series moved")

	require.NoError(t, tel.Tracing.ForceFlush(ctx))
	for _, sp := range spans.named(t, telemetry.SpanSignCSR, 2) {
		assert.Equal(t, "app-a", spanAttr(sp, "appconnector.application"))
	}
	forwards := spans.named(t, telemetry.SpanEventForward, 2)
	ids := map[string]bool{}
	for _, sp := range forwards {
		assert.Equal(t, "app-a", spanAttr(sp, "appconnector.application"))
		ids[hex.EncodeToString(sp.GetTraceId())+"-"+hex.EncodeToString(sp.GetSpanId())] = true
	}
	for range 2 {
		var tp string
		select {
		case tp = <-e.traceparents:
		default:
			t.Fatal("the eventing endpoint got fewer deliveries than events")
		}
		parts := strings.Split(tp, "-")
		require.Len(t, parts, 4, "traceparent %q", tp)
		assert.True(t, ids[parts[1]+"-"+parts[2]], "the eventing endpoint's parent %q is an events.forward span", tp)
	}
}

// TestEventRoutesContinueTheSendersTrace: an event sent with a traceparent is received in
// an events.receive span of the sender's trace, the delivery's events.forward span is its
// child, and the eventing endpoint gets that trace; a refused event's span has the
// status the sender got.
func TestEventRoutesContinueTheSendersTrace(t *testing.T) {
	spans := newSpanSink(t)
	tel, err := telemetry.New(context.Background(), telemetry.Config{OTLPEndpoint: spans.URL, Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	e := newEnv(t, envOptions{telemetry: tel})
	e.createApp(application.Application{Name: "app-a"})
	e.createApp(application.Application{Name: "app-b"})
	_, hc := e.connect("app-a")

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	h := http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}}
	require.Equal(t, http.StatusOK, send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", h, legacyEvent).status)
	e.waitEvent()
	refused := http.Header{"Traceparent": {"00-" + strings.Repeat("ab", 16) + "-" + parentID + "-01"}}
	require.Equal(t, http.StatusForbidden, send(t, hc, http.MethodPost, e.mtlsURL+"/app-b/v1/events", refused, legacyEvent).status)

	require.NoError(t, tel.Tracing.ForceFlush(t.Context()))
	receives := spans.named(t, telemetry.SpanEventReceive, 2)
	byTrace := map[string]*tracepb.Span{}
	for _, sp := range receives {
		byTrace[hex.EncodeToString(sp.GetTraceId())] = sp
	}
	recv := byTrace[traceID]
	require.NotNil(t, recv, "the accepted event's span is in the sender's trace")
	assert.Equal(t, parentID, hex.EncodeToString(recv.GetParentSpanId()))
	assert.Equal(t, int64(200), intAttr(recv, "http.response.status_code"))
	rej := byTrace[strings.Repeat("ab", 16)]
	require.NotNil(t, rej)
	assert.Equal(t, int64(403), intAttr(rej, "http.response.status_code"), "the span has the answer the sender got")

	fwd := spans.named(t, telemetry.SpanEventForward, 1)[0]
	assert.Equal(t, traceID, hex.EncodeToString(fwd.GetTraceId()))
	assert.Equal(t, hex.EncodeToString(recv.GetSpanId()), hex.EncodeToString(fwd.GetParentSpanId()), "events.forward is a child of events.receive")
	tp := <-e.traceparents
	assert.Contains(t, tp, traceID, "the eventing endpoint continues the sender's trace")
}

func intAttr(sp *tracepb.Span, key string) int64 {
	for _, kv := range sp.GetAttributes() {
		if kv.GetKey() == key {
			return kv.GetValue().GetIntValue()
		}
	}
	return -1
}
