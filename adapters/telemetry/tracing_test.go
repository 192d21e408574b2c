package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/appconnector/appconnector/adapters/telemetry"
)

// otlpReceiver is an OTLP/HTTP trace receiver on loopback: it decodes every export
// request's protobuf body and keeps the spans and the raw bodies.
type otlpReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	spans  []*tracepb.Span
	bodies [][]byte
	paths  []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rcv := &otlpReceiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		rcv.paths = append(rcv.paths, r.URL.Path)
		rcv.bodies = append(rcv.bodies, body)
		for _, rs := range req.GetResourceSpans() {
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

// waitSpans polls until the receiver holds at least n spans.
func (rcv *otlpReceiver) waitSpans(t *testing.T, n int) []*tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rcv.mu.Lock()
		got := append([]*tracepb.Span(nil), rcv.spans...)
		rcv.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver has %d spans, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (rcv *otlpReceiver) count() int {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return len(rcv.spans)
}

func noEnv(string) string { return "" }

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func newTracing(t *testing.T, cfg telemetry.TracingConfig) *telemetry.Tracing {
	t.Helper()
	if cfg.Getenv == nil {
		cfg.Getenv = noEnv
	}
	tr, err := telemetry.NewTracing(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	return tr
}

func attrs(s *tracepb.Span) map[string]string {
	m := map[string]string{}
	for _, kv := range s.GetAttributes() {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			m[kv.GetKey()] = v.GetStringValue()
		default:
			m[kv.GetKey()] = strings.TrimSpace(strings.TrimPrefix(v.String(), "int_value:"))
		}
	}
	return m
}

func byName(spans []*tracepb.Span, name string) *tracepb.Span {
	for _, s := range spans {
		if s.GetName() == name {
			return s
		}
	}
	return nil
}

func TestTracingExportsSpansOverOTLP(t *testing.T) {
	rcv := newOTLPReceiver(t)
	tr := newTracing(t, telemetry.TracingConfig{Endpoint: rcv.URL, ServiceName: "appconnector-test"})
	require.True(t, tr.Enabled())

	ctx, sp := tr.Start(context.Background(), telemetry.SpanTokenFetch, "shop", "orders")
	_, child := tr.Start(ctx, telemetry.SpanUpstream, "shop", "orders")
	// A transport error quotes the target URL, query included: only its kind may leave.
	child.End(&url.Error{Op: "Get", URL: "https://target.example/api?api_key=s3cr3t-value", Err: io.ErrUnexpectedEOF})
	sp.End(nil)
	require.NoError(t, tr.ForceFlush(context.Background()))

	spans := rcv.waitSpans(t, 2)
	fetch := byName(spans, telemetry.SpanTokenFetch)
	require.NotNil(t, fetch)
	assert.Equal(t, map[string]string{"appconnector.application": "shop", "appconnector.service": "orders"}, attrs(fetch))
	up := byName(spans, telemetry.SpanUpstream)
	require.NotNil(t, up)
	assert.Equal(t, fetch.GetSpanId(), up.GetParentSpanId())
	assert.Equal(t, tracepb.Status_STATUS_CODE_ERROR, up.GetStatus().GetCode())
	assert.Equal(t, "other", attrs(up)["error.type"])

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	assert.Equal(t, "/v1/traces", rcv.paths[0], "--otlp-endpoint is a base URL")
	for _, b := range rcv.bodies {
		assert.NotContains(t, string(b), "s3cr3t-value")
		assert.Contains(t, string(b), "appconnector-test", "service.name in the resource")
	}
}

func TestTracingEndpointFromEnvironment(t *testing.T) {
	rcv := newOTLPReceiver(t)
	tr := newTracing(t, telemetry.TracingConfig{Getenv: envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL + "/collector/"})})
	require.True(t, tr.Enabled())
	_, sp := tr.Start(context.Background(), telemetry.SpanSignCSR, "shop", "")
	sp.End(nil)
	require.NoError(t, tr.ForceFlush(context.Background()))
	rcv.waitSpans(t, 1)
	rcv.mu.Lock()
	assert.Equal(t, "/collector/v1/traces", rcv.paths[0])
	rcv.mu.Unlock()

	// The signal-specific variable is used as is.
	rcv2 := newOTLPReceiver(t)
	tr2 := newTracing(t, telemetry.TracingConfig{Getenv: envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://127.0.0.1:1",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rcv2.URL + "/custom/path",
	})})
	_, sp = tr2.Start(context.Background(), telemetry.SpanSignCSR, "shop", "")
	sp.End(nil)
	require.NoError(t, tr2.ForceFlush(context.Background()))
	rcv2.waitSpans(t, 1)
	rcv2.mu.Lock()
	assert.Equal(t, "/custom/path", rcv2.paths[0])
	rcv2.mu.Unlock()
}

func TestTracingOffByDefaultAndByVariables(t *testing.T) {
	rcv := newOTLPReceiver(t)
	for name, env := range map[string]map[string]string{
		"no endpoint":     {},
		"sdk disabled":    {"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_SDK_DISABLED": "true"},
		"exporter none":   {"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_TRACES_EXPORTER": "none"},
		"endpoint spaces": {"OTEL_EXPORTER_OTLP_ENDPOINT": "  "},
	} {
		t.Run(name, func(t *testing.T) {
			tr := newTracing(t, telemetry.TracingConfig{Getenv: envOf(env)})
			assert.False(t, tr.Enabled())
			next := http.NewServeMux()
			assert.Same(t, next, tr.Middleware(next, telemetry.SpanGatewayRequest), "off: the handler itself")
			rt := http.DefaultTransport
			assert.Equal(t, rt, tr.Transport(rt, telemetry.SpanUpstream), "off: the transport itself")
			ctx := context.Background()
			got, sp := tr.Start(ctx, telemetry.SpanTokenFetch, "a", "b")
			assert.Equal(t, ctx, got, "off: no new context")
			sp.End(nil)
			require.NoError(t, tr.Shutdown(ctx))
		})
	}
	var nilTracing *telemetry.Tracing
	assert.False(t, nilTracing.Enabled())
	assert.Zero(t, rcv.count())
}

func TestTracingConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  telemetry.TracingConfig
		want string
	}{
		"bad flag URL":     {telemetry.TracingConfig{Endpoint: "127.0.0.1:4318"}, "--otlp-endpoint"},
		"credentials":      {telemetry.TracingConfig{Endpoint: "http://user:pw@127.0.0.1:4318"}, "credentials"},
		"bad env URL":      {telemetry.TracingConfig{Getenv: envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://x"})}, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		"unknown sampler":  {telemetry.TracingConfig{Endpoint: "http://127.0.0.1:4318", Getenv: envOf(map[string]string{"OTEL_TRACES_SAMPLER": "sometimes"})}, "OTEL_TRACES_SAMPLER"},
		"bad ratio":        {telemetry.TracingConfig{Endpoint: "http://127.0.0.1:4318", Getenv: envOf(map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"})}, "OTEL_TRACES_SAMPLER_ARG"},
		"grpc protocol":    {telemetry.TracingConfig{Endpoint: "http://127.0.0.1:4318", Getenv: envOf(map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})}, "http/protobuf"},
		"unknown exporter": {telemetry.TracingConfig{Getenv: envOf(map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"})}, "OTEL_TRACES_EXPORTER"},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.cfg.Getenv == nil {
				tc.cfg.Getenv = noEnv
			}
			_, err := telemetry.NewTracing(context.Background(), tc.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "pw@")
		})
	}
}

func TestSamplerAlwaysOffStillPropagates(t *testing.T) {
	rcv := newOTLPReceiver(t)
	tr := newTracing(t, telemetry.TracingConfig{Endpoint: rcv.URL, Getenv: envOf(map[string]string{"OTEL_TRACES_SAMPLER": "always_off"})})
	got := make(chan string, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Get("Traceparent") }))
	defer target.Close()
	front := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, target.URL, nil)
		resp, err := (&http.Client{Transport: tr.Transport(http.DefaultTransport, telemetry.SpanUpstream)}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}), telemetry.SpanGatewayRequest))
	defer front.Close()
	resp, err := http.Get(front.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, tr.ForceFlush(context.Background()))
	assert.Regexp(t, `^00-[0-9a-f]{32}-[0-9a-f]{16}-00$`, <-got, "not sampled, but the context still travels")
	assert.Zero(t, rcv.count())
}

// TestTraceparentPropagation runs caller → gateway-like server (Middleware) → target
// through the round tripper, and a token endpoint called inside a fetch span, all on
// loopback, and checks the exported spans form one trace with the caller's trace id.
func TestTraceparentPropagation(t *testing.T) {
	rcv := newOTLPReceiver(t)
	tr := newTracing(t, telemetry.TracingConfig{Endpoint: rcv.URL})

	var mu sync.Mutex
	seen := map[string]string{} // server → traceparent it received
	record := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name] = r.Header.Get("Traceparent")
			mu.Unlock()
			_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"bearer"}`)
		})
	}
	target := httptest.NewServer(record("target"))
	defer target.Close()
	tokenEndpoint := httptest.NewServer(record("token"))
	defer tokenEndpoint.Close()

	upstream := &http.Client{Transport: tr.Transport(http.DefaultTransport, telemetry.SpanUpstream)}
	tokens := &http.Client{Transport: tr.Transport(http.DefaultTransport, "")}
	gw := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		telemetry.SetRoute(ctx, "shop", "orders")
		fctx, fetch := tr.Start(ctx, telemetry.SpanTokenFetch, "shop", "orders")
		req, _ := http.NewRequestWithContext(fctx, http.MethodPost, tokenEndpoint.URL, nil)
		resp, err := tokens.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		fetch.End(err)
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, target.URL+"/api", nil)
		resp, err = upstream.Do(req)
		if err != nil {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(http.StatusAccepted)
	}), telemetry.SpanGatewayRequest))
	defer gw.Close()

	const traceID, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest(http.MethodGet, gw.URL+"/shop/orders/api?secret=x", nil)
	req.Header.Set("Traceparent", "00-"+traceID+"-"+callerSpan+"-01")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.NoError(t, tr.ForceFlush(context.Background()))

	spans := rcv.waitSpans(t, 3)
	server := byName(spans, telemetry.SpanGatewayRequest)
	fetch := byName(spans, telemetry.SpanTokenFetch)
	up := byName(spans, telemetry.SpanUpstream)
	require.NotNil(t, server)
	require.NotNil(t, fetch)
	require.NotNil(t, up)
	for _, s := range []*tracepb.Span{server, fetch, up} {
		assert.Equal(t, traceID, hexOf(s.GetTraceId()), s.GetName())
	}
	assert.Equal(t, callerSpan, hexOf(server.GetParentSpanId()), "the server span continues the caller's trace")
	assert.Equal(t, tracepb.Span_SPAN_KIND_SERVER, server.GetKind())
	assert.Equal(t, server.GetSpanId(), fetch.GetParentSpanId())
	assert.Equal(t, server.GetSpanId(), up.GetParentSpanId())
	assert.Equal(t, tracepb.Span_SPAN_KIND_CLIENT, up.GetKind())
	assert.Equal(t, map[string]string{
		"http.request.method": "GET", "http.response.status_code": "202",
		"appconnector.application": "shop", "appconnector.service": "orders",
	}, attrs(server), "no path, query or headers on the span")
	assert.Equal(t, "200", attrs(up)["http.response.status_code"])

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "00-"+traceID+"-"+hexOf(up.GetSpanId())+"-01", seen["target"], "the target's parent is the upstream span")
	assert.Equal(t, "00-"+traceID+"-"+hexOf(fetch.GetSpanId())+"-01", seen["token"], "the token endpoint's parent is the fetch span")
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestMiddlewareKeepsUpgradesAndFlushes: the status-recording writer must not hide
// Flusher/Hijacker from httputil.ReverseProxy, which the gateway's upgrades rely on.
func TestMiddlewareKeepsUpgradesAndFlushes(t *testing.T) {
	rcv := newOTLPReceiver(t)
	tr := newTracing(t, telemetry.TracingConfig{Endpoint: rcv.URL})
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, isFlusher := w.(http.Flusher)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil || !isFlusher {
			http.Error(w, "not hijackable", http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		_ = buf.Flush()
	}), telemetry.SpanGatewayRequest))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "ok", string(body))
}
