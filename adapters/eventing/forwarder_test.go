package eventing

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sample() event.CloudEvent {
	return event.CloudEvent{
		SpecVersion: event.SpecVersion, ID: "8954ad1c-78ed-4c58-a639-68bd44031de0", Source: "my-app",
		Type: "sap.kyma.custom.myapp.order.created.v1", Time: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		DataContentType: "application/json", Data: []byte(`{"orderId":"42"}`),
		Extensions: map[string]string{"eventtypeversion": "v1"},
	}
}

// receiver starts a real CloudEvents HTTP receiver (the SDK's) and returns its URL and
// the channel it delivers events on.
func receiver(t *testing.T) (string, <-chan cloudevents.Event) {
	t.Helper()
	got := make(chan cloudevents.Event, 10)
	p, err := cloudevents.NewHTTP()
	require.NoError(t, err)
	h, err := cloudevents.NewHTTPReceiveHandler(t.Context(), p, func(e cloudevents.Event) { got <- e })
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, got
}

func TestForwarderDeliversToCloudEventsReceiver(t *testing.T) {
	for _, structured := range []bool{false, true} {
		t.Run(map[bool]string{false: "binary", true: "structured"}[structured], func(t *testing.T) {
			url, got := receiver(t)
			f, err := NewForwarder(Config{URL: url, Structured: structured}, nil, discard())
			require.NoError(t, err)
			require.NoError(t, f.Send(t.Context(), "my-app", sample()))
			select {
			case e := <-got:
				assert.Equal(t, sample().Type, e.Type())
				assert.Equal(t, "my-app", e.Source())
				assert.Equal(t, sample().ID, e.ID())
				assert.Equal(t, "v1", e.Extensions()["eventtypeversion"])
				assert.JSONEq(t, `{"orderId":"42"}`, string(e.Data()))
				assert.True(t, sample().Time.Equal(e.Time()))
			case <-time.After(5 * time.Second):
				t.Fatal("receiver got nothing")
			}
		})
	}
}

func TestForwarderModes(t *testing.T) {
	type seen struct {
		contentType string
		ceType      string
		body        []byte
	}
	ch := make(chan seen, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- seen{r.Header.Get("Content-Type"), r.Header.Get("Ce-Type"), b}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	bin, err := NewForwarder(Config{URL: srv.URL}, nil, discard())
	require.NoError(t, err)
	require.NoError(t, bin.Send(t.Context(), "app", sample()))
	s := <-ch
	assert.Equal(t, "application/json", s.contentType)
	assert.Equal(t, sample().Type, s.ceType)
	assert.JSONEq(t, `{"orderId":"42"}`, string(s.body))

	st, err := NewForwarder(Config{URL: srv.URL, Structured: true}, nil, discard())
	require.NoError(t, err)
	require.NoError(t, st.Send(t.Context(), "app", sample()))
	s = <-ch
	assert.Contains(t, s.contentType, "application/cloudevents+json")
	var body map[string]any
	require.NoError(t, json.Unmarshal(s.body, &body))
	assert.Equal(t, map[string]any{"orderId": "42"}, body["data"], "JSON data stays inline")

	octets := sample()
	octets.DataContentType = "application/octet-stream"
	octets.Data = []byte{0, 1, 2, 255}
	require.NoError(t, bin.Send(t.Context(), "app", octets))
	s = <-ch
	assert.Equal(t, []byte{0, 1, 2, 255}, s.body)
}

func TestForwarderFailures(t *testing.T) {
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "nope", code)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	for _, code := range []int{400, 500, 503} {
		f, err := NewForwarder(Config{URL: status(code)}, nil, discard())
		require.NoError(t, err)
		err = f.Send(t.Context(), "app", sample())
		var de *event.DeliveryError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, code, de.StatusCode)
		assert.False(t, de.Timeout)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	f, err := NewForwarder(Config{URL: closed}, nil, discard())
	require.NoError(t, err)
	var de *event.DeliveryError
	require.ErrorAs(t, f.Send(t.Context(), "app", sample()), &de)
	assert.Zero(t, de.StatusCode)
	assert.False(t, de.Timeout)

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer slow.Close()
	f, err = NewForwarder(Config{URL: slow.URL, Timeout: 50 * time.Millisecond}, nil, discard())
	require.NoError(t, err)
	require.ErrorAs(t, f.Send(t.Context(), "app", sample()), &de)
	assert.True(t, de.Timeout)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	f, err = NewForwarder(Config{URL: slow.URL}, nil, discard())
	require.NoError(t, err)
	require.ErrorAs(t, f.Send(ctx, "app", sample()), &de)
	assert.True(t, de.Timeout, "the caller's deadline counts as a timeout")
}

func TestNewForwarderValidatesURL(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		_, err := NewForwarder(Config{URL: u}, nil, discard())
		assert.Error(t, err, u)
	}
}

func TestLogSink(t *testing.T) {
	log := memory.NewEventLog(10)
	s := NewLogSink(log)
	require.NoError(t, s.Send(t.Context(), "app", sample()))
	recs, err := log.List(t.Context(), ports.EventQuery{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "app", recs[0].Application)
	assert.Equal(t, sample(), recs[0].Event)
	assert.False(t, recs[0].ReceivedAt.IsZero())
}

// TestForwarderPropagatesTraceContext: with tracing on, a delivery made inside a
// request's trace reaches the eventing endpoint with that trace id and the
// events.forward span as parent; with tracing off no traceparent is added.
func TestForwarderPropagatesTraceContext(t *testing.T) {
	const (
		traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
		incoming = "00-" + traceID + "-00f067aa0ba902b7-01"
	)
	got := make(chan string, 1)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Traceparent")
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(endpoint.Close)
	// Spans are exported here and dropped; the test looks at what the endpoint gets.
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(collector.Close)
	on, err := telemetry.NewTracing(t.Context(), telemetry.TracingConfig{Endpoint: collector.URL, Getenv: func(string) string { return "" }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = on.Shutdown(context.Background()) })
	off, err := telemetry.NewTracing(t.Context(), telemetry.TracingConfig{Getenv: func(string) string { return "" }})
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		tracing *telemetry.Tracing
		check   func(t *testing.T, traceparent string)
	}{
		"on": {on, func(t *testing.T, tp string) {
			parts := strings.Split(tp, "-")
			require.Len(t, parts, 4, "traceparent %q", tp)
			assert.Equal(t, traceID, parts[1])
			assert.NotEqual(t, "00f067aa0ba902b7", parts[2], "the parent is the events.forward span")
		}},
		"off": {off, func(t *testing.T, tp string) { assert.Empty(t, tp) }},
		"nil": {nil, func(t *testing.T, tp string) { assert.Empty(t, tp) }},
	} {
		t.Run(name, func(t *testing.T) {
			client := &http.Client{Transport: http.DefaultTransport}
			f, err := NewForwarder(Config{URL: endpoint.URL, Tracing: tc.tracing}, client, discard())
			require.NoError(t, err)
			assert.Same(t, http.DefaultTransport, client.Transport, "the caller's client is not modified")
			sink := telemetry.NewEventMetrics(prometheus.NewRegistry()).InstrumentSink(f, tc.tracing)
			// The request the event came in with: its trace continues to the endpoint.
			front := httptest.NewServer(tc.tracing.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := sink.Send(r.Context(), "my-app", sample()); err != nil {
					w.WriteHeader(http.StatusBadGateway)
				}
			}), telemetry.SpanGatewayRequest))
			defer front.Close()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, front.URL, nil)
			require.NoError(t, err)
			req.Header.Set("Traceparent", incoming)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			tc.check(t, <-got)
		})
	}
}
