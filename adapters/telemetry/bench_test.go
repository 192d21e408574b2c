package telemetry_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appconnector/appconnector/adapters/telemetry"
)

// recordRequest is what the gateway does per proxied request with tracing off.
func recordRequest(g *telemetry.GatewayMetrics, r *telemetry.RouteMetrics, tr *telemetry.Tracing, ctx context.Context) {
	g.RequestStarted()
	telemetry.SetRoute(ctx, "shop", "orders")
	_, sp := tr.Start(ctx, telemetry.SpanUpstream, "shop", "orders")
	r.ObserveUpstream(http.StatusOK, 3*time.Millisecond)
	sp.End(nil)
	r.ObserveRequest(telemetry.MethodOf(http.MethodGet), http.StatusOK, 4*time.Millisecond)
	g.RequestDone()
}

func BenchmarkRecordRequest(b *testing.B) {
	g := telemetry.NewGatewayMetrics(prometheus.NewRegistry())
	r := g.Route("shop", "orders")
	defer r.Release()
	tr, _ := telemetry.NewTracing(context.Background(), telemetry.TracingConfig{Getenv: noEnv})
	ctx := context.Background()
	recordRequest(g, r, tr, ctx) // creates the curried series once
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		recordRequest(g, r, tr, ctx)
	}
}

func BenchmarkRecordRequestParallel(b *testing.B) {
	g := telemetry.NewGatewayMetrics(prometheus.NewRegistry())
	r := g.Route("shop", "orders")
	defer r.Release()
	ctx := context.Background()
	recordRequest(g, r, nil, ctx)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			recordRequest(g, r, nil, ctx)
		}
	})
}

// TestRecordRequestDoesNotAllocate holds the hot path to zero allocations, for every
// per-request method of a route, so a change that adds one fails here and not only in
// a benchmark nobody reads.
func TestRecordRequestDoesNotAllocate(t *testing.T) {
	g := telemetry.NewGatewayMetrics(prometheus.NewRegistry())
	r := g.Route("shop", "orders")
	defer r.Release()
	tr, err := telemetry.NewTracing(context.Background(), telemetry.TracingConfig{Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all := func() {
		recordRequest(g, r, tr, ctx)
		r.ObserveRequest(telemetry.MethodOf("BREW"), 599, time.Second)
		r.TargetError(telemetry.TargetReset)
		r.Fetch(telemetry.FetchOAuth, telemetry.FetchOK, time.Millisecond)
		r.Fetch(telemetry.FetchCSRF, telemetry.FetchTimeout, time.Millisecond)
		r.AuthRetry(http.StatusForbidden)
		g.Unrouted(telemetry.UnroutedNotFound)
	}
	all() // first use curries the series
	if n := testing.AllocsPerRun(1000, all); n != 0 {
		t.Fatalf("per-request recording allocates %.1f times, want 0", n)
	}
}
