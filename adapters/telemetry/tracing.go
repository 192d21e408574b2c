package telemetry

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Span names. They are fixed: nothing of the request path goes into a name.
const (
	SpanGatewayRequest = "gateway.request"
	SpanTokenFetch     = "gateway.token_fetch"
	SpanCSRFFetch      = "gateway.csrf_fetch"
	SpanUpstream       = "gateway.upstream"
	SpanSignCSR        = "connector.sign_csr"
	SpanEventForward   = "events.forward"
	// SpanEventReceive is the server span of an event request, so the sender's trace
	// continues through the validator to events.forward.
	SpanEventReceive = "events.receive"
)

// Attribute keys set by this package. Values are registry names, methods and status
// codes; never URLs with queries, headers or bodies, which may carry credentials.
const (
	AttrApplication = attribute.Key("appconnector.application")
	AttrService     = attribute.Key("appconnector.service")
)

// TracingConfig configures NewTracing.
type TracingConfig struct {
	// Endpoint is an OTLP/HTTP base URL; /v1/traces is appended. Empty: the
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) and OTEL_EXPORTER_OTLP_ENDPOINT
	// (base URL) variables decide; without any, tracing is off.
	Endpoint       string
	ServiceName    string
	ServiceVersion string
	// Getenv reads the OTEL_* variables (default os.Getenv). The exporter itself also
	// reads the process environment for headers, timeout, compression and TLS files.
	Getenv func(string) string
}

// Tracing starts spans and propagates W3C trace context. A nil or disabled Tracing is
// valid and does nothing.
type Tracing struct {
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	provider *sdktrace.TracerProvider
}

// NewTracing sets up OTLP/HTTP export when an endpoint is configured and returns a
// disabled Tracing otherwise. OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none
// turn it off; OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG choose the sampler
// (default parentbased_always_on), as the OpenTelemetry specification defines them.
func NewTracing(ctx context.Context, cfg TracingConfig) (*Tracing, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return &Tracing{}, nil
	}
	if exp := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exp != "" && exp != "otlp" {
		if exp == "none" {
			return &Tracing{}, nil
		}
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER %q: only otlp and none are supported", exp)
	}
	endpoint, err := tracesURL(cfg.Endpoint, getenv)
	if err != nil || endpoint == "" {
		return &Tracing{}, err
	}
	if p := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")); p == "" {
		if p = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL")); p != "" && p != "http/protobuf" {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: only http/protobuf is supported", p)
		}
	} else if p != "http/protobuf" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL %q: only http/protobuf is supported", p)
	}
	sampler, err := samplerFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	name := cfg.ServiceName
	if v := getenv("OTEL_SERVICE_NAME"); v != "" {
		name = v
	}
	if name == "" {
		name = "appconnector"
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", name)}
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.ServiceVersion))
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
	if err != nil {
		return nil, fmt.Errorf("tracing resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sampler),
		sdktrace.WithResource(res),
	)
	return &Tracing{
		tracer:   tp.Tracer("github.com/appconnector/appconnector"),
		prop:     propagation.TraceContext{},
		provider: tp,
	}, nil
}

// tracesURL returns the full URL spans are posted to, or "" when none is configured.
func tracesURL(base string, getenv func(string) string) (string, error) {
	name, raw, signal := "--otlp-endpoint", base, false
	if raw == "" {
		if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); v != "" {
			name, raw, signal = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", v, true
		} else if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); v != "" {
			name, raw = "OTEL_EXPORTER_OTLP_ENDPOINT", v
		}
	}
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s %q: want an http or https URL such as http://127.0.0.1:4318", name, raw)
	}
	if u.User != nil || u.RawQuery != "" {
		return "", fmt.Errorf("%s: credentials and query parameters are not accepted in the URL; use OTEL_EXPORTER_OTLP_HEADERS", name)
	}
	if !signal {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	}
	return u.String(), nil
}

func samplerFromEnv(getenv func(string) string) (sdktrace.Sampler, error) {
	name := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER"))
	arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
	ratio := func() (float64, error) {
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG %q: want a ratio between 0 and 1", arg)
		}
		return r, nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		if name == "traceidratio" {
			return sdktrace.TraceIDRatioBased(r), nil
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER %q: want always_on, always_off, traceidratio or their parentbased_ forms", name)
}

// Enabled reports whether spans are recorded and exported.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// ForceFlush exports the spans ended so far.
func (t *Tracing) ForceFlush(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}

// Shutdown exports what is left and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Span is a started span, or nothing with tracing off. The zero Span is valid.
type Span struct{ s trace.Span }

// End ends the span; a non-nil err marks it failed with the error's kind only, since
// messages of URL and transport errors can quote a target URL with credentials.
func (s Span) End(err error) {
	if s.s == nil {
		return
	}
	if err != nil {
		kind := ClassifyTargetError(err).String()
		s.s.SetAttributes(attribute.String("error.type", kind))
		s.s.SetStatus(codes.Error, kind)
	}
	s.s.End()
}

// SetStatusCode records an HTTP status code; 5xx marks the span failed.
func (s Span) SetStatusCode(code int) {
	if s.s == nil {
		return
	}
	s.s.SetAttributes(attribute.Int("http.response.status_code", code))
	if code >= 500 {
		s.s.SetStatus(codes.Error, "")
	}
}

// Start starts an internal span named name (one of the Span* constants) with the
// Application and service as attributes (empty ones are left out). With tracing off
// it returns ctx itself and the zero Span.
func (t *Tracing) Start(ctx context.Context, name, app, service string) (context.Context, Span) {
	if !t.Enabled() {
		return ctx, Span{}
	}
	ctx, s := t.tracer.Start(ctx, name)
	setRoute(s, app, service)
	return ctx, Span{s}
}

// Detach returns a context for work that outlives the request of ctx (a token fetch
// shared by every request waiting for it): no deadline, cancellation or values of
// ctx, only its span, so spans started from it join the request's trace. With
// tracing off it is context.Background().
func (t *Tracing) Detach(ctx context.Context) context.Context {
	if !t.Enabled() {
		return context.Background()
	}
	return trace.ContextWithSpan(context.Background(), trace.SpanFromContext(ctx))
}

// SetRoute puts the Application and service on the span in ctx, once the gateway has
// resolved the route. It costs a context lookup when nothing records.
func SetRoute(ctx context.Context, app, service string) {
	if s := trace.SpanFromContext(ctx); s.IsRecording() {
		setRoute(s, app, service)
	}
}

func setRoute(s trace.Span, app, service string) {
	if app != "" {
		s.SetAttributes(AttrApplication.String(app))
	}
	if service != "" {
		s.SetAttributes(AttrService.String(service))
	}
}

// Middleware takes the W3C trace context of incoming requests and serves each in a
// server span named name. With tracing off it returns next itself.
func (t *Tracing) Middleware(next http.Handler, name string) http.Handler {
	if !t.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, s := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", MethodOf(r.Method).String())))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			// A hijacked connection (protocol upgrade) answered on its own: no code known.
			if !sw.hijacked {
				code := sw.code
				if code == 0 {
					code = http.StatusOK
				}
				Span{s}.SetStatusCode(code)
			}
			s.End()
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// statusWriter remembers the status code. Unwrap lets http.ResponseController (and so
// httputil.ReverseProxy's flushes and protocol upgrades) reach the real writer.
type statusWriter struct {
	http.ResponseWriter
	code     int
	hijacked bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 || w.code < 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, rw, err
}

// Transport wraps rt so outgoing requests carry the W3C trace context of their
// context. With a name, each call runs in a client span of that name (SpanUpstream for
// the gateway's target calls); with "", it only propagates, for calls already inside a
// span (token and CSRF fetches). With tracing off it returns rt itself.
func (t *Tracing) Transport(rt http.RoundTripper, name string) http.RoundTripper {
	if !t.Enabled() {
		return rt
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &tracingTransport{next: rt, t: t, name: name}
}

type tracingTransport struct {
	next http.RoundTripper
	t    *Tracing
	name string
}

func (tt *tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var s trace.Span
	if tt.name != "" {
		attrs := []attribute.KeyValue{
			attribute.String("http.request.method", MethodOf(req.Method).String()),
			attribute.String("server.address", req.URL.Hostname()),
		}
		if p := req.URL.Port(); p != "" {
			if n, err := strconv.Atoi(p); err == nil {
				attrs = append(attrs, attribute.Int("server.port", n))
			}
		}
		ctx, s = tt.t.tracer.Start(ctx, tt.name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	}
	// A RoundTripper must not modify the caller's request, so the header goes on a copy.
	out := req.Clone(ctx)
	tt.t.prop.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := tt.next.RoundTrip(out)
	if s != nil {
		if err == nil {
			Span{s}.SetStatusCode(resp.StatusCode)
		}
		Span{s}.End(err)
	}
	return resp, err
}
