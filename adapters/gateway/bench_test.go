package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

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
func BenchmarkHandler(b *testing.B) {
	t := b
	e := newEnv(t, nil)
	body := strings.Repeat("x", 1024)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }))
	defer up.Close()
	benchMinimal(b, up.URL+"/api")
	e.putSecret(t, "b", map[string]string{"username": "u", "password": "p"})
	e.put(t, app("bench", up.URL+"/api", &application.Credentials{Type: application.CredentialBasic, SecretName: "b"}))
	p := app("params", up.URL+"/api", nil)
	e.putSecret(t, "p", map[string]string{"queryParameters": `{"sap-client":["100"]}`, "headers": `{"X-Tenant":["t"]}`})
	p.Spec.Services[0].Entries[0].RequestParametersSecretName = "p"
	e.put(t, p)

	for _, path := range []string{"/bench/orders-api/v1/orders/4711?$top=10", "/params/orders-api/v1/orders/4711?$top=10"} {
		b.Run(strings.Split(path, "/")[1], func(b *testing.B) {
			h := e.gw.StandaloneHandler()
			req := httptest.NewRequest("GET", path, nil)
			req.RemoteAddr = "127.0.0.1:5555"
			w := &discardRecorder{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
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
		for b.Loop() {
			clear(w.h)
			rp.ServeHTTP(w, req)
		}
	})
}
