package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/domain/application"
)

// discardRecorder is a ResponseWriter that keeps nothing, so the benchmark measures the
// gateway, not the recorder.
type discardRecorder struct{ h http.Header }

func (d *discardRecorder) Header() http.Header         { return d.h }
func (d *discardRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardRecorder) WriteHeader(int)             {}

// BenchmarkHandler measures one proxied request through the full handler (route lookup,
// target build, credential injection, ReverseProxy, response rules) to a loopback
// upstream, including the upstream round trip.
// Sub-benchmarks without a suffix run without telemetry; "+metrics" with metrics on
// (tracing off), "+metrics+tracing" also with tracing on, sampling every request and
// exporting to an OTLP receiver on loopback.
func BenchmarkHandler(b *testing.B) {
	body := strings.Repeat("x", 1024)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }))
	defer up.Close()
	benchMinimal(b, up.URL+"/api")
	for _, mode := range benchModes {
		t := b
		e := newEnv(t, mode.config(b))
		e.putSecret(t, "b", map[string]string{"username": "u", "password": "p"})
		e.put(t, app("bench", up.URL+"/api", &application.Credentials{Type: application.CredentialBasic, SecretName: "b"}))
		p := app("params", up.URL+"/api", nil)
		e.putSecret(t, "p", map[string]string{"queryParameters": `{"sap-client":["100"]}`, "headers": `{"X-Tenant":["t"]}`})
		p.Spec.Services[0].Entries[0].RequestParametersSecretName = "p"
		e.put(t, p)

		for _, path := range []string{"/bench/orders-api/v1/orders/4711?$top=10", "/params/orders-api/v1/orders/4711?$top=10"} {
			b.Run(strings.Split(path, "/")[1]+mode.name, func(b *testing.B) {
				h := e.gw.StandaloneHandler()
				req := httptest.NewRequest("GET", path, nil)
				req.RemoteAddr = "127.0.0.1:5555"
				w := &discardRecorder{h: http.Header{}}
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					clear(w.h)
					h.ServeHTTP(w, req)
				}
				reportCPU(b, cpu)
			})
		}
	}
}

// benchMode is a telemetry setting the benchmarks run under.
type benchMode struct {
	name             string
	metrics, tracing bool
}

var benchModes = []benchMode{{"", false, false}, {"+metrics", true, false}, {"+metrics+tracing", true, true}}

func (m benchMode) config(b *testing.B) func(*gateway.Config) {
	return func(c *gateway.Config) {
		if m.metrics {
			c.Metrics = newTelemetry(b).Gateway
		}
		if m.tracing {
			rcv := newOTLPReceiver(b)
			rcv.mu.Lock()
			rcv.discard = true
			rcv.mu.Unlock()
			tr, err := telemetry.NewTracing(context.Background(), telemetry.TracingConfig{Endpoint: rcv.URL, Getenv: func(string) string { return "" }})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
			c.Tracing = tr
		}
	}
}

// benchMinimal is the baseline under the same conditions: a bare ReverseProxy that sets
// a Basic header, with a transport pool as large as the gateway's.
func benchMinimal(b *testing.B, target string) {
	u, _ := url.Parse(target)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	defer tr.CloseIdleConnections()
	rp := &httputil.ReverseProxy{Transport: tr, Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Header.Set("Authorization", "Basic dTpw")
	}}
	b.Run("minimal-reverseproxy", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/v1/orders/4711?$top=10", nil)
		req.RemoteAddr = "127.0.0.1:5555"
		w := &discardRecorder{h: http.Header{}}
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			clear(w.h)
			rp.ServeHTTP(w, req)
		}
		reportCPU(b, cpu)
	})
}

// processCPU is the CPU time the process has used so far (user and system, every
// thread: gateway, target and the runtime).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op, the process CPU time per request since start. Unlike
// ns/op it does not count time spent waiting for a core, so it stays comparable on a
// machine shared with other work.
func reportCPU(b *testing.B, start time.Duration) {
	if n := b.N; n > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(n), "cpu-ns/op")
	}
}
