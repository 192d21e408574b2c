package main

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/internal/testutil"
)

// TestTelemetryWired: application-gateway with --metrics-addr, --otlp-endpoint and
// --access-log over a data dir holding one Application. A request with a traceparent is
// counted under the registered application and service, next to build info, Go runtime
// metrics and the stores' watch metrics; it is served in a gateway.request span of the
// caller's trace; its log line carries the trace id. pprof answers only with --pprof.
func TestTelemetryWired(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(target.Close)
	dir := t.TempDir()
	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	_, _, err = bolt.NewApplicationRepository(db).Put(context.Background(), application.Application{Name: "shop", Spec: application.Spec{Services: []application.Service{{
		ID: "1", Name: "orders", DisplayName: "Orders",
		Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "v1", TargetURL: target.URL + "/api"}},
	}}}})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	spans := componenttest.NewSpanSink(t)
	logs := &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	listening := make(chan map[string]string, 1)
	go func() {
		done <- binary.Run(ctx, []string{"--data-dir", dir, "--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0",
			"--health-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--otlp-endpoint", spans.URL, "--access-log"},
			func(string) string { return "" }, logs, func(a map[string]string) { listening <- a })
	}()
	var addrs map[string]string
	select {
	case addrs = <-listening:
	case err := <-done:
		t.Fatalf("stopped: %v", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			cancel()
			<-done
		}
	}()
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
	metrics := addrs[components.ServerMetrics]
	require.NotEmpty(t, metrics)

	const traceID, parentID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	req, err := http.NewRequest(http.MethodGet, "http://"+addrs[components.ServerGateway]+"/shop/orders/items", nil)
	require.NoError(t, err)
	req.Header.Set("Traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	mfs := componenttest.Scrape(t, metrics)
	reqs := componenttest.Series(mfs, "appconnector_gateway_requests_total", "application", "shop", "service", "orders", "method", "GET", "code", "2xx")
	require.NotNil(t, reqs, "gateway series with the registered application and service")
	assert.Equal(t, 1.0, reqs.GetCounter().GetValue())
	assert.NotNil(t, componenttest.Series(mfs, "appconnector_build_info"), "build info")
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds"} {
		assert.NotNil(t, componenttest.Series(mfs, name), name)
	}
	for _, store := range []string{telemetry.StoreApplications, telemetry.StoreSecrets} {
		assert.NotNil(t, componenttest.Series(mfs, "appconnector_store_last_sync_timestamp_seconds", "store", store), store)
	}
	code, _ := componenttest.Get(t, "http://"+metrics+"/debug/pprof/", "")
	assert.Equal(t, http.StatusNotFound, code, "pprof is off without --pprof")

	cancel() // exports the buffered spans
	require.NoError(t, <-done)
	stopped = true
	sp := spans.Wait(t, telemetry.SpanGatewayRequest, traceID)
	assert.Equal(t, parentID, hex.EncodeToString(sp.GetParentSpanId()))
	assert.Contains(t, logs.String(), `"trace_id":"`+traceID+`"`, "the request's log line carries its trace id")

	on := componenttest.Start(t, binary, "--data-dir", t.TempDir(), "--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0",
		"--health-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--pprof")
	code, _ = componenttest.Get(t, "http://"+on[components.ServerMetrics]+"/debug/pprof/", "")
	assert.Equal(t, http.StatusOK, code, "--pprof serves /debug/pprof/")
}
