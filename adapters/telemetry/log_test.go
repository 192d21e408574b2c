package telemetry_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/internal/testutil"
)

// logLines decodes the JSON records written to buf, which the server goroutine shares
// with the test.
func logLines(t *testing.T, buf *testutil.SyncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		out = append(out, m)
	}
	return out
}

func TestRequestLogsCarryTraceID(t *testing.T) {
	rcv := newOTLPReceiver(t)
	tr := newTracing(t, telemetry.TracingConfig{Endpoint: rcv.URL})
	var buf testutil.SyncBuffer
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "gateway")

	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.WarnContext(r.Context(), "target call failed", "status", 502)
		logger.Info("no context, no ids")
		w.WriteHeader(http.StatusBadGateway)
	}), telemetry.SpanGatewayRequest))
	defer srv.Close()

	const traceID = "0af7651916cd43dd8448eb211c80319c"
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/shop/orders", nil)
	req.Header.Set("Traceparent", "00-"+traceID+"-b7ad6b7169203331-01")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()

	lines := logLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, traceID, lines[0]["trace_id"])
	assert.Regexp(t, `^[0-9a-f]{16}$`, lines[0]["span_id"])
	assert.NotEqual(t, "b7ad6b7169203331", lines[0]["span_id"], "the server span's id, not the caller's")
	assert.Equal(t, "gateway", lines[0]["component"])
	assert.NotContains(t, lines[1], "trace_id")
}

func TestLogHandlerWithoutSpanAddsNothing(t *testing.T) {
	var buf testutil.SyncBuffer
	h := telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil))
	assert.Same(t, h, telemetry.NewLogHandler(h), "wrapping twice adds ids once")
	logger := slog.New(h).WithGroup("g")
	// A remote span context alone (no local span) is still a valid trace to join.
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
	})
	logger.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "with", "k", "v")
	logger.InfoContext(context.Background(), "without", "k", "v")
	lines := logLines(t, &buf)
	require.Len(t, lines, 2)
	assert.Equal(t, map[string]any{"k": "v", "trace_id": "01000000000000000000000000000000", "span_id": "0200000000000000"}, lines[0]["g"])
	assert.Equal(t, map[string]any{"k": "v"}, lines[1]["g"])
}
