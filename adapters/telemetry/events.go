package telemetry

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

// Event APIs, the "api" label of appconnector_events_accepted_total.
const (
	EventAPILegacy      = "legacy"      // /{app}/v1/events
	EventAPICloudEvents = "cloudevents" // /{app}/v2/events and /{app}/events
)

// Event refusal reasons (label values).
const (
	ReasonNoCertificate = "no_certificate"
	ReasonForbidden     = "forbidden"
	ReasonInvalidEvent  = "invalid_event"
	ReasonTooLarge      = "too_large"
	ReasonDelivery      = "delivery_failed"
)

var eventReasons = []string{ReasonNoCertificate, ReasonForbidden, ReasonRevoked, ReasonCertificateExpired,
	ReasonApplicationNotFound, ReasonInvalidEvent, ReasonTooLarge, ReasonDelivery, ReasonOther}

// EventRefusalReason maps an error of the validator's use cases to a reason label.
func EventRefusalReason(err error) string {
	var (
		invalid *event.InvalidError
		legacy  *event.LegacyError
		tooBig  *http.MaxBytesError
		deliver *event.DeliveryError
	)
	switch {
	case errors.Is(err, connector.ErrNoCertificate):
		return ReasonNoCertificate
	case errors.Is(err, connector.ErrForbidden):
		return ReasonForbidden
	case errors.Is(err, certificate.ErrRevoked):
		return ReasonRevoked
	case errors.Is(err, certificate.ErrExpired):
		return ReasonCertificateExpired
	case errors.Is(err, application.ErrNotFound):
		return ReasonApplicationNotFound
	case errors.As(err, &tooBig):
		return ReasonTooLarge
	case errors.As(err, &legacy):
		if legacy.Type == event.ErrorTypeRequestBodyTooLarge {
			return ReasonTooLarge
		}
		return ReasonInvalidEvent
	case errors.As(err, &invalid), errors.Is(err, event.ErrInvalid):
		return ReasonInvalidEvent
	case errors.As(err, &deliver):
		return ReasonDelivery
	}
	return ReasonOther
}

// Forwarding outcomes (label values).
const (
	ForwardOK          = "ok"
	ForwardTimeout     = "timeout"
	ForwardRejected    = "rejected"     // the eventing endpoint answered 4xx
	ForwardServerError = "server_error" // the eventing endpoint answered 5xx
	ForwardUnreachable = "unreachable"  // no answer: connection refused, TLS, DNS, ...
)

var forwardOutcomes = []string{ForwardOK, ForwardTimeout, ForwardRejected, ForwardServerError, ForwardUnreachable}

// ForwardOutcome maps the error of ports.EventSink.Send to an outcome label.
func ForwardOutcome(err error) string {
	var de *event.DeliveryError
	switch {
	case err == nil:
		return ForwardOK
	case errors.As(err, &de):
		switch {
		case de.Timeout:
			return ForwardTimeout
		case de.StatusCode >= 500:
			return ForwardServerError
		case de.StatusCode >= 400:
			return ForwardRejected
		}
		return ForwardUnreachable
	case errors.Is(err, context.DeadlineExceeded):
		return ForwardTimeout
	}
	return ForwardUnreachable
}

// EventMetrics are the validator's and the event forwarder's.
type EventMetrics struct {
	accepted map[string]prometheus.Counter
	refused  map[string]prometheus.Counter
	forward  map[string]prometheus.Counter
	latency  prometheus.Observer
}

// NewEventMetrics registers the event metrics on reg.
func NewEventMetrics(reg prometheus.Registerer) *EventMetrics {
	if reg == nil {
		panic(errNilRegistry)
	}
	const sub = "events"
	curry := func(v *prometheus.CounterVec, values []string) map[string]prometheus.Counter {
		reg.MustRegister(v)
		m := make(map[string]prometheus.Counter, len(values))
		for _, s := range values {
			m[s] = v.WithLabelValues(s)
		}
		return m
	}
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: sub,
		Name: "forward_duration_seconds", Help: "Time delivering one event to the eventing endpoint or the embedded log took.", Buckets: durationBuckets})
	reg.MustRegister(latency)
	return &EventMetrics{
		accepted: curry(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "accepted_total", Help: "Events accepted and delivered, by API (legacy, cloudevents)."}, []string{"api"}),
			[]string{EventAPILegacy, EventAPICloudEvents}),
		refused: curry(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "refused_total", Help: "Events refused, by reason."}, []string{"reason"}), eventReasons),
		forward: curry(prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub,
			Name: "forwarded_total", Help: "Event deliveries, by outcome (ok, timeout, rejected, server_error, unreachable)."}, []string{"outcome"}),
			forwardOutcomes),
		latency: latency,
	}
}

// Accepted counts an event accepted on api (EventAPILegacy or EventAPICloudEvents).
func (m *EventMetrics) Accepted(api string) {
	if m == nil {
		return
	}
	if c, ok := m.accepted[api]; ok {
		c.Inc()
	}
}

// Refused counts a refused event, with the reason taken from err.
func (m *EventMetrics) Refused(err error) {
	if m != nil {
		m.refused[EventRefusalReason(err)].Inc()
	}
}

// Forwarded records one delivery: its outcome (from Send's error) and how long it took.
func (m *EventMetrics) Forwarded(err error, d time.Duration) {
	if m == nil {
		return
	}
	m.forward[ForwardOutcome(err)].Inc()
	m.latency.Observe(d.Seconds())
}

// InstrumentSink wraps sink so every Send is counted and timed and, with tracing on,
// runs in an "events.forward" span carrying the Application.
func (m *EventMetrics) InstrumentSink(sink ports.EventSink, t *Tracing) ports.EventSink {
	return &instrumentedSink{next: sink, m: m, t: t}
}

type instrumentedSink struct {
	next ports.EventSink
	m    *EventMetrics
	t    *Tracing
}

func (s *instrumentedSink) Send(ctx context.Context, app string, e event.CloudEvent) error {
	ctx, span := s.t.Start(ctx, SpanEventForward, app, "")
	start := time.Now()
	err := s.next.Send(ctx, app, e)
	s.m.Forwarded(err, time.Since(start))
	span.End(err)
	return err
}
