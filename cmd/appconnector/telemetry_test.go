package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/testutil"
)

// TestTelemetryWired: appconnector with --metrics-addr, --otlp-endpoint and
// --access-log. A request through the gateway with a traceparent is counted on /metrics
// under its registered application and service, next to build info, Go runtime and
// process metrics, the stores' watch metrics and the certificate expiry gauges; it is
// served in a gateway.request span of the caller's trace that reaches the target; its
// log line carries the trace id. pprof is not served unless --pprof.
func TestTelemetryWired(t *testing.T) {
	var gotTraceparent = make(chan string, 10)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case gotTraceparent <- r.Header.Get("Traceparent"):
		default:
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(target.Close)
	spans := componenttest.NewSpanSink(t)
	logs := &testutil.SyncBuffer{}
	tokenFile := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tokenFile, []byte("a-token-of-enough-length\n"), 0o600))
	addrs, stop := startAppLogging(t, nil, logs, "--data-dir", storage.MemoryDataDir, "--admin-token-file", tokenFile,
		"--metrics-addr", "127.0.0.1:0", "--otlp-endpoint", spans.URL, "--access-log")
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	require.Contains(t, addrs, components.ServerMetrics)
	metrics := addrs[components.ServerMetrics]

	app := "apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\nspec:\n  description: d\n  services:\n" +
		"    - id: \"1\"\n      name: orders\n      displayName: Orders\n      description: d\n      providerDisplayName: p\n      entries:\n" +
		"        - type: API\n          targetUrl: " + target.URL + "/api\n"
	code, body := do(t, http.MethodPut, "http://"+addrs[serverAPI]+"/v1/applications/shop", "a-token-of-enough-length", app)
	require.Equal(t, http.StatusCreated, code, body)
	gw := "http://" + addrs[serverGateway] + "/shop/orders/items"
	require.Eventually(t, func() bool { c, _ := componenttest.Get(t, gw, ""); return c == http.StatusOK }, 5*time.Second, 10*time.Millisecond)
	<-gotTraceparent

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, err := http.NewRequest(http.MethodGet, gw, nil)
	require.NoError(t, err)
	req.Header.Set("Traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tp := <-gotTraceparent
	assert.Contains(t, tp, "-"+traceID+"-", "the target continues the caller's trace")
	assert.NotContains(t, tp, parentID, "the target's parent is the gateway's span, not the caller's")

	mfs := componenttest.Scrape(t, metrics)
	reqs := componenttest.Series(mfs, "appconnector_gateway_requests_total", "application", "shop", "service", "orders", "method", "GET", "code", "2xx")
	require.NotNil(t, reqs, "gateway series with the registered application and service")
	assert.Equal(t, 2.0, reqs.GetCounter().GetValue())
	dur := componenttest.Series(mfs, "appconnector_gateway_request_duration_seconds", "application", "shop", "service", "orders")
	require.NotNil(t, dur)
	assert.Equal(t, uint64(2), dur.GetHistogram().GetSampleCount())
	bi := componenttest.Series(mfs, "appconnector_build_info")
	require.NotNil(t, bi, "build info")
	assert.Equal(t, 1.0, bi.GetGauge().GetValue())
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds"} {
		assert.NotNil(t, componenttest.Series(mfs, name), name)
	}
	for _, store := range []string{telemetry.StoreApplications, telemetry.StoreSecrets} {
		s := componenttest.Series(mfs, "appconnector_store_watch_events_total", "store", store, "type", "synced")
		if assert.NotNil(t, s, store) {
			assert.GreaterOrEqual(t, s.GetCounter().GetValue(), 1.0, store)
		}
	}
	for _, cert := range []string{"ca", "connector"} {
		s := componenttest.Series(mfs, "appconnector_certificate_expiry_timestamp_seconds", "certificate", cert)
		if assert.NotNil(t, s, cert) {
			assert.Greater(t, s.GetGauge().GetValue(), float64(time.Now().Unix()), cert)
		}
	}
	code, _ = componenttest.Get(t, "http://"+metrics+"/debug/pprof/", "")
	assert.Equal(t, http.StatusNotFound, code, "pprof is off without --pprof")

	stop() // exports the buffered spans
	stopped = true
	sp := spans.Wait(t, telemetry.SpanGatewayRequest, traceID)
	assert.Equal(t, parentID, hex.EncodeToString(sp.GetParentSpanId()))
	spans.Wait(t, telemetry.SpanUpstream, traceID)

	line := logLine(t, logs.String(), "request", traceID)
	require.NotNil(t, line, "the request's log line carries its trace id:\n%s", logs.String())
	assert.NotEmpty(t, line["span_id"])
}

// TestPprofFlag: --pprof serves /debug/pprof/ on the metrics listener.
func TestPprofFlag(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "tok")
	require.NoError(t, os.WriteFile(tokenFile, []byte("a-token-of-enough-length\n"), 0o600))
	addrs, stop := startApp(t, "--data-dir", storage.MemoryDataDir, "--admin-token-file", tokenFile, "--metrics-addr", "127.0.0.1:0", "--pprof")
	defer stop()
	code, body := componenttest.Get(t, "http://"+addrs[components.ServerMetrics]+"/debug/pprof/", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "goroutine")
	addrs, stop2 := startApp(t, "--data-dir", storage.MemoryDataDir, "--admin-token-file", tokenFile)
	defer stop2()
	assert.NotContains(t, addrs, components.ServerMetrics, "--metrics-addr empty: no listener")
}

// logLine returns the JSON log record with message msg and trace_id traceID, or nil.
func logLine(t *testing.T, logs, msg, traceID string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if rec["msg"] == msg && rec["trace_id"] == traceID {
			return rec
		}
	}
	return nil
}
