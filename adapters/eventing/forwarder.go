package eventing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	ceclient "github.com/cloudevents/sdk-go/v2/client"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.EventSink = (*Forwarder)(nil)

// DefaultTimeout bounds one delivery unless configured otherwise.
const DefaultTimeout = 10 * time.Second

// Config says where and how events are forwarded.
type Config struct {
	// URL of the CloudEvents HTTP endpoint (--eventing-url), for example
	// http://eventing-publisher-proxy.kyma-system/publish.
	URL string
	// Timeout of one delivery; default DefaultTimeout.
	Timeout time.Duration
	// Structured sends application/cloudevents+json bodies instead of binary mode
	// (ce-* headers), for endpoints that only understand the former.
	Structured bool
	// Tracing, when enabled, sends the trace context of each delivery (the
	// events.forward span of telemetry.EventMetrics.InstrumentSink) to the endpoint as
	// traceparent. Nil or disabled leaves the client's transport as it is.
	Tracing *telemetry.Tracing
}

// Forwarder sends events to an HTTP CloudEvents endpoint. It is safe for concurrent use.
type Forwarder struct {
	cfg    Config
	client ceclient.Client
	logger *slog.Logger
}

// NewForwarder returns a Forwarder for cfg. httpClient may be nil for a client tuned for
// one busy upstream (connection reuse for up to 200 concurrent deliveries, HTTP/1.1
// keep-alive), which Kyma's validator lacked.
func NewForwarder(cfg Config, httpClient *http.Client, logger *slog.Logger) (*Forwarder, error) {
	if logger == nil {
		panic("eventing.NewForwarder: nil logger")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("eventing url %q: must be an absolute http(s) URL", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if httpClient == nil {
		httpClient = &http.Client{Transport: newTransport()}
	}
	if cfg.Tracing.Enabled() {
		c := *httpClient // the caller's client stays as it was
		c.Transport = cfg.Tracing.Transport(c.Transport, "")
		httpClient = &c
	}
	p, err := cehttp.New(cehttp.WithTarget(cfg.URL), cehttp.WithClient(*httpClient))
	if err != nil {
		return nil, fmt.Errorf("eventing protocol: %w", err)
	}
	c, err := cloudevents.NewClient(p)
	if err != nil {
		return nil, fmt.Errorf("eventing client: %w", err)
	}
	return &Forwarder{cfg: cfg, client: c, logger: logger}, nil
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 400
	t.MaxIdleConnsPerHost = 200
	t.IdleConnTimeout = 90 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// Send implements ports.EventSink.
func (f *Forwarder) Send(ctx context.Context, app string, e event.CloudEvent) error {
	ce, err := ToSDK(e)
	if err != nil {
		return &event.DeliveryError{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	if f.cfg.Structured {
		ctx = binding.WithForceStructured(ctx)
	} else {
		ctx = binding.WithForceBinary(ctx)
	}
	res := f.client.Send(ctx, ce)
	if cloudevents.IsACK(res) {
		return nil
	}
	var httpRes *cehttp.Result
	if cloudevents.ResultAs(res, &httpRes) && httpRes.StatusCode != 0 {
		if httpRes.StatusCode < 300 {
			return nil
		}
		f.logger.Warn("eventing rejected event", "application", app, "id", e.ID, "type", e.Type, "status", httpRes.StatusCode)
		return &event.DeliveryError{StatusCode: httpRes.StatusCode, Err: res}
	}
	timeout := errors.Is(res, context.DeadlineExceeded) || isTimeout(res)
	f.logger.Warn("deliver event", "application", app, "id", e.ID, "timeout", timeout, "err", res)
	return &event.DeliveryError{Timeout: timeout, Err: res}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || err != nil && strings.Contains(err.Error(), "Client.Timeout exceeded")
}

// ToSDK converts a domain CloudEvent to the SDK's event, keeping data bytes as they
// are: JSON stays inline JSON in structured mode, binary data goes base64.
func ToSDK(e event.CloudEvent) (cloudevents.Event, error) {
	ce := cloudevents.NewEvent(cloudevents.VersionV1)
	ce.SetID(e.ID)
	ce.SetSource(e.Source)
	ce.SetType(e.Type)
	if e.Subject != "" {
		ce.SetSubject(e.Subject)
	}
	if !e.Time.IsZero() {
		ce.SetTime(e.Time)
	}
	if e.DataSchema != "" {
		ce.SetDataSchema(e.DataSchema)
	}
	for k, v := range e.Extensions {
		ce.SetExtension(k, v)
	}
	if e.Data != nil || e.DataContentType != "" {
		ct := e.DataContentType
		if ct == "" && e.Data != nil {
			ct = "application/json"
		}
		ce.SetDataContentType(ct)
		ce.DataEncoded = e.Data
		ce.DataBase64 = !event.IsJSONContentType(ct) && !strings.HasPrefix(ct, "text/")
	}
	if err := ce.Validate(); err != nil {
		return ce, fmt.Errorf("convert event %s: %w", e.ID, err)
	}
	return ce, nil
}
