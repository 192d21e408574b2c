package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

// exercised returns a Telemetry on which every metric of every family has at least
// one series: each family a binary can serve, so a test of the exposition sees all.
func exercised(t *testing.T) *telemetry.Telemetry {
	t.Helper()
	tel := newTelemetry(t, telemetry.Config{})
	g := tel.Gateway
	r := g.Route("shop", "orders-api")
	t.Cleanup(r.Release)
	r.ObserveRequest(telemetry.MethodGet, 200, time.Millisecond)
	r.ObserveRequest(telemetry.MethodOf("BREW"), 502, time.Second)
	r.ObserveUpstream(503, time.Millisecond)
	r.TargetError(telemetry.TargetTimeout)
	r.Fetch(telemetry.FetchOAuth, telemetry.FetchOK, time.Millisecond)
	r.Fetch(telemetry.FetchCSRF, telemetry.FetchStatus, time.Millisecond)
	r.AuthRetry(401)
	g.Unrouted(telemetry.UnroutedNotFound)
	g.RequestStarted()
	g.RequestDone()
	g.SetRoutes(1)
	g.SetTransports(1)

	c := tel.Connector
	c.TokenIssued()
	c.TokenRedeemed()
	c.TokenRefused(pairing.ErrExpired)
	c.CSRSigned()
	c.CSRRefused(pairing.ErrNotFound)
	c.CertificateRenewed()
	c.CertificateRevoked()
	c.SetCertificateExpiry("ca", time.Now().Add(time.Hour))
	c.SetCertificateExpiry("connector", time.Now().Add(time.Hour))

	ev := tel.Events
	ev.Accepted(telemetry.EventAPILegacy)
	ev.Accepted(telemetry.EventAPICloudEvents)
	ev.Refused(connector.ErrForbidden)
	ctx := context.Background()
	_ = ev.InstrumentSink(fakeSink{}, nil).Send(ctx, "shop", event.CloudEvent{})
	_ = ev.InstrumentSink(fakeSink{err: &event.DeliveryError{StatusCode: 503}}, nil).Send(ctx, "shop", event.CloudEvent{})

	for _, store := range []string{telemetry.StoreApplications, telemetry.StoreSecrets} {
		for _, typ := range []ports.EventType{ports.EventPut, ports.EventDelete, ports.EventSynced} {
			tel.Stores.WatchEvent(store, typ)
		}
	}
	return tel
}

// scrapeFamilies scrapes /metrics twice through the real handler on loopback (the
// second scrape sees the first in promhttp_metric_handler_requests_total) and parses
// the text format as Prometheus does.
func scrapeFamilies(t *testing.T, tel *telemetry.Telemetry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(tel.Handler())
	defer srv.Close()
	var mfs map[string]*dto.MetricFamily
	for range 2 {
		resp, err := http.Get(srv.URL + "/metrics")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"), resp.Header.Get("Content-Type"))
		parser := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err = parser.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
	}
	return mfs
}

// TestMetricsPassPromlint runs client_golang's promlint, the linter behind
// `promtool check metrics`, over the scrape of a registry on which every metric has
// been recorded: names, help texts, units and counter suffixes follow the conventions.
func TestMetricsPassPromlint(t *testing.T) {
	mfs := scrapeFamilies(t, exercised(t))
	var list []*dto.MetricFamily
	var empty []string
	for name, mf := range mfs {
		list = append(list, mf)
		if len(mf.GetMetric()) == 0 {
			empty = append(empty, name)
		}
	}
	sort.Strings(empty)
	assert.Empty(t, empty, "families without a series are not linted")
	for _, want := range []string{
		"appconnector_gateway_requests_total", "appconnector_gateway_token_fetch_duration_seconds",
		"appconnector_connector_csrs_refused_total", "appconnector_certificate_expiry_timestamp_seconds",
		"appconnector_events_forward_duration_seconds", "appconnector_store_last_sync_timestamp_seconds",
		"appconnector_build_info", "go_goroutines", "process_cpu_seconds_total", "promhttp_metric_handler_requests_total",
	} {
		assert.Contains(t, mfs, want, "the scrape covers %s", want)
	}

	problems, err := promlint.NewWithMetricFamilies(list).Lint()
	require.NoError(t, err)
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestPromlintCatchesBadMetrics proves the linter run above can fail: a counter without
// _total and a non-base unit are flagged.
func TestPromlintCatchesBadMetrics(t *testing.T) {
	bad := `# HELP appconnector_requests Requests.
# TYPE appconnector_requests counter
appconnector_requests 1
# HELP appconnector_latency_milliseconds Latency.
# TYPE appconnector_latency_milliseconds gauge
appconnector_latency_milliseconds 1
`
	problems, err := promlint.New(strings.NewReader(bad)).Lint()
	require.NoError(t, err)
	var texts []string
	for _, p := range problems {
		texts = append(texts, p.Metric+": "+p.Text)
	}
	assert.Len(t, problems, 2, "%v", texts)
}
