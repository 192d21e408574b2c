package telemetry_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/telemetry"
)

// TestNoLabelValueFromRawPath drives a gateway-shaped router on loopback the way the
// gateway records: a handle per registered route, Unrouted for everything else. Clients
// send paths, methods and encodings of their own invention; afterwards every label
// value on /metrics must be a registered name or one of the package's constants.
func TestNoLabelValueFromRawPath(t *testing.T) {
	tel := newTelemetry(t, telemetry.Config{})
	g := tel.Gateway
	registered := map[string]*telemetry.RouteMetrics{
		"/shop/orders":  g.Route("shop", "orders"),
		"/shop/refunds": g.Route("shop", "refunds"),
		"/crm/contacts": g.Route("crm", "contacts"),
	}
	for _, r := range registered {
		defer r.Release()
	}
	router := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		g.RequestStarted()
		defer g.RequestDone()
		parts := strings.SplitN(strings.TrimPrefix(req.URL.EscapedPath(), "/"), "/", 3)
		if len(parts) < 2 {
			g.Unrouted(telemetry.UnroutedBadPath)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r, ok := registered["/"+parts[0]+"/"+parts[1]]
		if !ok {
			g.Unrouted(telemetry.UnroutedNotFound)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		code := http.StatusOK
		if len(parts) == 3 && strings.HasPrefix(parts[2], "fail") {
			code = http.StatusBadGateway
			r.TargetError(telemetry.TargetConnectionRefused)
		} else {
			r.ObserveUpstream(code, time.Since(start))
		}
		w.WriteHeader(code)
		r.ObserveRequest(telemetry.MethodOf(req.Method), code, time.Since(start))
	})
	srv := httptest.NewServer(router)
	defer srv.Close()

	hostile := []string{
		"/shop/orders/v1/orders/4711?top=1", "/shop/orders/fail/now", "/shop/orders/%2e%2e/etc/passwd",
		"/shop", "/", "/shop/ORDERS/x", "/shop/orders%2Fx/y", "/shop/unknown-service/1",
		"/" + strings.Repeat("a", 300) + "/b", "/crm/contacts/" + strings.Repeat("z", 100),
		"/%F0%9F%92%A5/%00/x", "/shop/refunds/../orders",
	}
	for i := range 50 {
		hostile = append(hostile, fmt.Sprintf("/app-%d/svc-%d/item/%d", i, i, i))
	}
	methods := []string{"GET", "POST", "DELETE", "PROPFIND", "X-EVIL-METHOD", "get"}
	client := srv.Client()
	for _, p := range hostile {
		for _, m := range methods {
			req, err := http.NewRequest(m, srv.URL+p, nil)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
		}
	}

	allowed := map[string]bool{"shop": true, "crm": true, "orders": true, "refunds": true, "contacts": true}
	for _, set := range [][]string{
		{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"},
		{"1xx", "2xx", "3xx", "4xx", "5xx", "other"},
		{"timeout", "connection_refused", "tls", "reset", "dns", "other"},
		{"bad_path", "not_found", "ambiguous", "not_ready"},
	} {
		for _, v := range set {
			allowed[v] = true
		}
	}
	code, body := scrape(t, tel.Handler(), "/metrics")
	require.Equal(t, http.StatusOK, code)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	seen := 0
	for name, mf := range families {
		if !strings.HasPrefix(name, "appconnector_gateway_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == model.BucketLabel {
					continue
				}
				seen++
				assert.True(t, allowed[lp.GetValue()], "%s{%s=%q} did not come from the registry or a fixed set", name, lp.GetName(), lp.GetValue())
			}
		}
	}
	require.NotZero(t, seen)
	// 3 OTHER methods (PROPFIND, X-EVIL-METHOD, lower-case get) on 2 shop/orders paths.
	for _, want := range []string{
		`appconnector_gateway_requests_total{application="shop",code="2xx",method="OTHER",service="orders"} 6`,
		`appconnector_gateway_unrouted_requests_total{reason="bad_path"} 12`,
	} {
		assert.True(t, strings.Contains(body, want), "missing %s", want)
	}
}
