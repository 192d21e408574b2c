package telemetry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// durationBuckets cover a fast local target (5 ms) up to the default proxy timeout
// (10 s) and a little beyond, in seconds.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Method is an HTTP method reduced to a fixed set, so a client inventing methods
// cannot create series.
type Method uint8

// The methods counted by name; anything else is MethodOther.
const (
	MethodGet Method = iota
	MethodHead
	MethodPost
	MethodPut
	MethodPatch
	MethodDelete
	MethodOptions
	MethodOther
	numMethods
)

var methodNames = [numMethods]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}

func (m Method) String() string { return methodNames[m] }

// MethodOf maps a request method to its Method without allocating.
func MethodOf(method string) Method {
	switch method {
	case "GET":
		return MethodGet
	case "HEAD":
		return MethodHead
	case "POST":
		return MethodPost
	case "PUT":
		return MethodPut
	case "PATCH":
		return MethodPatch
	case "DELETE":
		return MethodDelete
	case "OPTIONS":
		return MethodOptions
	}
	return MethodOther
}

// status code classes: the label is "1xx".."5xx"; a code outside 100..599 is "other".
const numCodeClasses = 6

var codeClassNames = [numCodeClasses]string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"}

func codeClass(code int) int {
	if code < 100 || code > 599 {
		return 5
	}
	return code/100 - 1
}

// TargetErrorKind says why a call to a target failed without a response.
type TargetErrorKind uint8

// Target error kinds; ClassifyTargetError picks one for an error.
const (
	TargetTimeout TargetErrorKind = iota
	TargetConnectionRefused
	TargetTLS
	TargetReset
	TargetDNS
	TargetOther
	numTargetErrorKinds
)

var targetErrorNames = [numTargetErrorKinds]string{"timeout", "connection_refused", "tls", "reset", "dns", "other"}

func (k TargetErrorKind) String() string { return targetErrorNames[k] }

// ClassifyTargetError maps an error of a round trip to a target to its kind.
func ClassifyTargetError(err error) TargetErrorKind {
	var (
		dnsErr    *net.DNSError
		netErr    net.Error
		recErr    tls.RecordHeaderError
		alertErr  tls.AlertError
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return TargetTimeout
	case errors.As(err, &dnsErr):
		return TargetDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return TargetConnectionRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return TargetReset
	case errors.As(err, &recErr), errors.As(err, &alertErr), errors.As(err, &verifyErr),
		errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return TargetTLS
	}
	return TargetOther
}

// FetchKind is what the gateway fetched before calling a target.
type FetchKind uint8

// Fetch kinds.
const (
	FetchOAuth FetchKind = iota
	FetchCSRF
	numFetchKinds
)

var fetchKindNames = [numFetchKinds]string{"oauth", "csrf"}

func (k FetchKind) String() string { return fetchKindNames[k] }

// FetchOutcome is how a token or CSRF fetch ended.
type FetchOutcome uint8

// Fetch outcomes: FetchStatus is an answer other than 200 from the token endpoint.
const (
	FetchOK FetchOutcome = iota
	FetchStatus
	FetchTimeout
	FetchError
	numFetchOutcomes
)

var fetchOutcomeNames = [numFetchOutcomes]string{"ok", "bad_status", "timeout", "error"}

func (o FetchOutcome) String() string { return fetchOutcomeNames[o] }

// ClassifyFetch maps a fetch error to its outcome; nil is FetchOK. The caller knows
// its own "bad status" error type and reports FetchStatus for it.
func ClassifyFetch(err error) FetchOutcome {
	switch {
	case err == nil:
		return FetchOK
	case ClassifyTargetError(err) == TargetTimeout:
		return FetchTimeout
	}
	return FetchError
}

// UnroutedReason says why a gateway request matched no route; such requests carry no
// application or service label, since those would come from the raw path.
type UnroutedReason uint8

// Unrouted reasons.
const (
	UnroutedBadPath UnroutedReason = iota
	UnroutedNotFound
	UnroutedAmbiguous
	UnroutedNotReady
	numUnroutedReasons
)

var unroutedNames = [numUnroutedReasons]string{"bad_path", "not_found", "ambiguous", "not_ready"}

func (r UnroutedReason) String() string { return unroutedNames[r] }

// GatewayMetrics are the Application Gateway's metrics. Per-route recording goes
// through a RouteMetrics handle obtained once per route with Route.
type GatewayMetrics struct {
	requests         *prometheus.CounterVec
	duration         *prometheus.HistogramVec
	upstream         *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	targetErrors     *prometheus.CounterVec
	fetches          *prometheus.CounterVec
	fetchDuration    *prometheus.HistogramVec
	retries          *prometheus.CounterVec
	unrouted         [numUnroutedReasons]prometheus.Counter
	inFlight         prometheus.Gauge
	routes           prometheus.Gauge
	transports       prometheus.Gauge

	mu    sync.Mutex // guards byKey, the handles' refs and the creation of their series
	byKey map[routeKey]*RouteMetrics
}

type routeKey struct{ app, service string }

// NewGatewayMetrics registers the gateway's metrics on reg.
func NewGatewayMetrics(reg prometheus.Registerer) *GatewayMetrics {
	if reg == nil {
		panic(errNilRegistry)
	}
	const sub = "gateway"
	route := []string{"application", "service"}
	with := func(extra ...string) []string { return append(append([]string(nil), route...), extra...) }
	g := &GatewayMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "requests_total", Help: "Requests answered for a route, by method and status code class of the answer to the caller."},
			with("method", "code")),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: sub,
			Name: "request_duration_seconds", Help: "Time from receiving a routed request to the end of the answer's headers.", Buckets: durationBuckets},
			with()),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "upstream_responses_total", Help: "Responses of targets, by the target's own status code class (before 5xx becomes 502)."},
			with("code")),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: sub,
			Name: "upstream_duration_seconds", Help: "Time a target took to answer with response headers, retries included.", Buckets: durationBuckets},
			with()),
		targetErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "target_errors_total", Help: "Calls to a target that got no response, by kind (timeout, connection_refused, tls, reset, dns, other)."},
			with("kind")),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "token_fetches_total", Help: "OAuth token and CSRF token fetches, by kind (oauth, csrf) and outcome (ok, bad_status, timeout, error)."},
			with("kind", "outcome")),
		fetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Subsystem: sub,
			Name: "token_fetch_duration_seconds", Help: "Time an OAuth token or CSRF token fetch took, by kind.", Buckets: durationBuckets},
			with("kind")),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "auth_retries_total", Help: "Requests sent again with fresh tokens after the target answered 401 or 403, by that code."},
			with("code")),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "in_flight_requests", Help: "Gateway requests being served."}),
		routes: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "routes", Help: "API entries in the route table."}),
		transports: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub,
			Name: "cached_transports", Help: "Upstream transports (connection pools) held by the gateway."}),
		byKey: map[routeKey]*RouteMetrics{},
	}
	unrouted := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
		Name: "unrouted_requests_total", Help: "Requests that matched no usable route, by reason (bad_path, not_found, ambiguous, not_ready)."},
		[]string{"reason"})
	for i := range g.unrouted {
		g.unrouted[i] = unrouted.WithLabelValues(unroutedNames[i])
	}
	reg.MustRegister(g.requests, g.duration, g.upstream, g.upstreamDuration, g.targetErrors,
		g.fetches, g.fetchDuration, g.retries, unrouted, g.inFlight, g.routes, g.transports)
	return g
}

// Route returns the handle of one route, keyed by the Application's name and the
// service's normalised name as registered. Call it when the route table binds an
// endpoint, never per request; every Route call needs one Release. Entries sharing
// a service share the handle, so a recompiled route keeps its series.
func (g *GatewayMetrics) Route(app, service string) *RouteMetrics {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	k := routeKey{app, service}
	r := g.byKey[k]
	if r == nil {
		r = &RouteMetrics{g: g, app: app, service: service,
			duration:         g.duration.WithLabelValues(app, service),
			upstreamDuration: g.upstreamDuration.WithLabelValues(app, service),
		}
		g.byKey[k] = r
	}
	r.refs++
	return r
}

// Release gives up one reference taken by Route; with the last one the route's
// series are deleted, so a removed Application leaves nothing behind.
func (r *RouteMetrics) Release() {
	if r == nil {
		return
	}
	g := r.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.refs <= 0 {
		return // released already; a second call must not delete a successor's series
	}
	if r.refs--; r.refs > 0 {
		return
	}
	k := routeKey{r.app, r.service}
	if g.byKey[k] == r {
		delete(g.byKey, k)
	}
	l := prometheus.Labels{"application": r.app, "service": r.service}
	g.requests.DeletePartialMatch(l)
	g.duration.DeletePartialMatch(l)
	g.upstream.DeletePartialMatch(l)
	g.upstreamDuration.DeletePartialMatch(l)
	g.targetErrors.DeletePartialMatch(l)
	g.fetches.DeletePartialMatch(l)
	g.fetchDuration.DeletePartialMatch(l)
	g.retries.DeletePartialMatch(l)
}

// Unrouted counts a request that matched no usable route.
func (g *GatewayMetrics) Unrouted(reason UnroutedReason) {
	if g == nil || reason >= numUnroutedReasons {
		return
	}
	g.unrouted[reason].Inc()
}

// RequestStarted and RequestDone bracket a request for the in-flight gauge.
func (g *GatewayMetrics) RequestStarted() {
	if g != nil {
		g.inFlight.Inc()
	}
}

// RequestDone: see RequestStarted.
func (g *GatewayMetrics) RequestDone() {
	if g != nil {
		g.inFlight.Dec()
	}
}

// SetRoutes sets the number of API entries in the route table.
func (g *GatewayMetrics) SetRoutes(n int) {
	if g != nil {
		g.routes.Set(float64(n))
	}
}

// SetTransports sets the number of cached upstream transports.
func (g *GatewayMetrics) SetTransports(n int) {
	if g != nil {
		g.transports.Set(float64(n))
	}
}

// RouteMetrics records for one route. Its counters are curried with the route's
// labels when first used (series appear only for what happened) and cached in fixed
// arrays, so recording is a few atomic operations: no map lookup, no allocation.
type RouteMetrics struct {
	g            *GatewayMetrics
	app, service string
	refs         int // guarded by g.mu

	duration, upstreamDuration prometheus.Observer

	requests      [numMethods][numCodeClasses]lazy[prometheus.Counter]
	upstream      [numCodeClasses]lazy[prometheus.Counter]
	targetErrors  [numTargetErrorKinds]lazy[prometheus.Counter]
	fetches       [numFetchKinds][numFetchOutcomes]lazy[prometheus.Counter]
	fetchDuration [numFetchKinds]lazy[prometheus.Observer]
	retries       [2]lazy[prometheus.Counter]
}

// lazy holds a curried metric once created; Load is a single atomic read.
type lazy[T any] struct{ p atomic.Pointer[box[T]] }

type box[T any] struct{ v T }

// slow creates the metric with mk unless another goroutine won the race. Callers
// Load first and come here only on a miss, so the hot path passes nothing that could
// escape, which is what keeps it allocation-free.
func (l *lazy[T]) slow(mk func() T) T {
	b := &box[T]{v: mk()}
	if l.p.CompareAndSwap(nil, b) {
		return b.v
	}
	return l.p.Load().v
}

// counter curries vec with the route's labels and extra. It runs once per series,
// under the lock Release takes: a request still in flight on a released route gets a
// counter that is not registered, so a removed Application cannot come back as series.
func (r *RouteMetrics) counter(vec *prometheus.CounterVec, extra ...string) prometheus.Counter {
	r.g.mu.Lock()
	defer r.g.mu.Unlock()
	if r.refs <= 0 {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "released"})
	}
	return vec.WithLabelValues(append([]string{r.app, r.service}, extra...)...)
}

// observer is counter for histograms.
func (r *RouteMetrics) observer(vec *prometheus.HistogramVec, extra ...string) prometheus.Observer {
	r.g.mu.Lock()
	defer r.g.mu.Unlock()
	if r.refs <= 0 {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: "released"})
	}
	return vec.WithLabelValues(append([]string{r.app, r.service}, extra...)...)
}

// Application and Service return the route's label values.
func (r *RouteMetrics) Application() string { return r.app }

// Service: see Application.
func (r *RouteMetrics) Service() string { return r.service }

// ObserveRequest records one answered request: its method, the status code the
// caller got, and the time from receiving it to the answer's headers.
func (r *RouteMetrics) ObserveRequest(method Method, code int, d time.Duration) {
	if r == nil {
		return
	}
	if method >= numMethods {
		method = MethodOther
	}
	c := codeClass(code)
	l := &r.requests[method][c]
	if b := l.p.Load(); b != nil {
		b.v.Inc()
	} else {
		r.requestCounter(method, c).Inc()
	}
	r.duration.Observe(d.Seconds())
}

func (r *RouteMetrics) requestCounter(m Method, c int) prometheus.Counter {
	return r.requests[m][c].slow(func() prometheus.Counter {
		return r.counter(r.g.requests, methodNames[m], codeClassNames[c])
	})
}

// ObserveUpstream records a target's response: its own status code and how long it
// took to send the headers.
func (r *RouteMetrics) ObserveUpstream(code int, d time.Duration) {
	if r == nil {
		return
	}
	c := codeClass(code)
	if b := r.upstream[c].p.Load(); b != nil {
		b.v.Inc()
	} else {
		r.upstream[c].slow(func() prometheus.Counter {
			return r.counter(r.g.upstream, codeClassNames[c])
		}).Inc()
	}
	r.upstreamDuration.Observe(d.Seconds())
}

// TargetError counts a call to the target that got no response.
func (r *RouteMetrics) TargetError(kind TargetErrorKind) {
	if r == nil {
		return
	}
	if kind >= numTargetErrorKinds {
		kind = TargetOther
	}
	if b := r.targetErrors[kind].p.Load(); b != nil {
		b.v.Inc()
		return
	}
	r.targetErrors[kind].slow(func() prometheus.Counter {
		return r.counter(r.g.targetErrors, targetErrorNames[kind])
	}).Inc()
}

// Fetch records one OAuth or CSRF token fetch (not a cache hit) and its latency.
func (r *RouteMetrics) Fetch(kind FetchKind, outcome FetchOutcome, d time.Duration) {
	if r == nil || kind >= numFetchKinds {
		return
	}
	if outcome >= numFetchOutcomes {
		outcome = FetchError
	}
	if b := r.fetches[kind][outcome].p.Load(); b != nil {
		b.v.Inc()
	} else {
		r.fetches[kind][outcome].slow(func() prometheus.Counter {
			return r.counter(r.g.fetches, fetchKindNames[kind], fetchOutcomeNames[outcome])
		}).Inc()
	}
	if b := r.fetchDuration[kind].p.Load(); b != nil {
		b.v.Observe(d.Seconds())
	} else {
		r.fetchDuration[kind].slow(func() prometheus.Observer {
			return r.observer(r.g.fetchDuration, fetchKindNames[kind])
		}).Observe(d.Seconds())
	}
}

// AuthRetry counts a request sent again after the target answered code (401 or 403;
// anything else is ignored).
func (r *RouteMetrics) AuthRetry(code int) {
	if r == nil {
		return
	}
	var i int
	var name string
	switch code {
	case 401:
		i, name = 0, "401"
	case 403:
		i, name = 1, "403"
	default:
		return
	}
	if b := r.retries[i].p.Load(); b != nil {
		b.v.Inc()
		return
	}
	r.retries[i].slow(func() prometheus.Counter {
		return r.counter(r.g.retries, name)
	}).Inc()
}
