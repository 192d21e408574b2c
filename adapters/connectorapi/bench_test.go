//go:build unix

package connectorapi_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/ca"
	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/eventing"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
)

const receiverEnv = "CONNECTORAPI_BENCH_RECEIVER"

// TestMain doubles as the out-of-process eventing receiver of the benchmarks, so the
// CPU they report is appconnector's alone.
func TestMain(m *testing.M) {
	if os.Getenv(receiverEnv) == "1" {
		runReceiver()
		return
	}
	os.Exit(m.Run())
}

func runReceiver() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); os.Exit(0) }() // exit with the parent
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
}

// startReceiver runs the receiver in a child process and returns its URL.
func startReceiver(b *testing.B) string {
	b.Helper()
	exe, err := os.Executable()
	require.NoError(b, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), receiverEnv+"=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(b, err)
	return "http://" + strings.TrimSpace(addr)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type benchEnv struct {
	svc   *connector.Service
	ca    *ca.CA
	cfg   connectorapi.Config
	leaf  *x509.Certificate
	key   *ecdsa.PrivateKey
	apps  *memory.ApplicationRepository
	close func()
}

func newBenchEnv(b *testing.B, eventingURL string) *benchEnv {
	b.Helper()
	logger := discard()
	authority, err := ca.Open(ca.Config{}, logger)
	require.NoError(b, err)
	f, err := eventing.NewForwarder(eventing.Config{URL: eventingURL}, nil, logger)
	require.NoError(b, err)
	apps := memory.NewApplicationRepository()
	_, _, err = apps.Put(b.Context(), application.Application{Name: "app-a"})
	require.NoError(b, err)
	svc, err := connector.New(connector.Config{Subject: certificate.DefaultSubject, EventTypePrefix: "sap.kyma.custom"}, connector.Deps{
		Applications: apps, Tokens: memory.NewTokenStore(), Signer: authority, Revocations: memory.NewRevocationList(),
		Sink: f, Logger: logger,
	})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = svc.Run(ctx) }()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(b, err)
	issued, err := authority.Sign(b.Context(), certificate.Request{PublicKey: &key.PublicKey, Subject: certificate.DefaultSubject.ForApplication("app-a"),
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour)})
	require.NoError(b, err)
	// Authorisation reads the repository, so the Application is usable at once: no wait.
	require.NoError(b, svc.Authorize(b.Context(), "app-a", []certificate.Identity{certificate.IdentityOf(issued.Certificate)}))
	return &benchEnv{svc: svc, ca: authority, leaf: issued.Certificate, key: key, apps: apps, close: cancel,
		cfg: connectorapi.Config{ConnectorURL: "https://connector.local", MTLSURL: "https://gateway.local"}}
}

// reportCPU runs op b.N times and reports process CPU per operation.
func reportCPU(b *testing.B, unit string, op func()) {
	b.ReportAllocs()
	start := cpuTime()
	n := 0
	for b.Loop() {
		op()
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Microsecond)/float64(n), unit)
}

// BenchmarkForwardEvent measures the CPU appconnector spends per accepted event: the
// mTLS handler (identity, authorisation, revocation check, decoding, conversion) and
// the forwarding HTTP exchange with an eventing endpoint in another process. TLS
// termination of the inbound request is not included (see BenchmarkForwardEventOverTLS).
func BenchmarkForwardEvent(b *testing.B) {
	env := newBenchEnv(b, startReceiver(b))
	defer env.close()
	h, err := connectorapi.NewMTLSHandler(env.cfg, env.svc, discard())
	require.NoError(b, err)
	state := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{env.leaf, env.ca.Certificate()}}}
	cases := []struct {
		name, path string
		header     http.Header
		body       string
	}{
		{"legacy-v1", "/app-a/v1/events", http.Header{"Content-Type": {"application/json"}}, legacyEvent},
		{"v2-binary", "/app-a/v2/events", http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"},
			"Ce-Id": {"8954ad1c-78ed-4c58-a639-68bd44031de0"}, "Ce-Source": {"/crm"}, "Ce-Type": {"order.created.v1"}}, `{"orderId":"42"}`},
		{"v2-structured", "/app-a/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
			`{"specversion":"1.0","id":"8954ad1c-78ed-4c58-a639-68bd44031de0","source":"/crm","type":"order.created.v1","datacontenttype":"application/json","data":{"orderId":"42"}}`},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			reportCPU(b, "cpu-µs/event", func() {
				req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
				for k, v := range tc.header {
					req.Header[k] = v
				}
				req.TLS = state
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code >= 300 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			})
		})
	}
}

// BenchmarkForwardEventParallel is BenchmarkForwardEvent/legacy-v1 with 32 concurrent
// senders, the shape of real load: wake-ups and syscalls are shared, so CPU per event
// drops.
func BenchmarkForwardEventParallel(b *testing.B) {
	env := newBenchEnv(b, startReceiver(b))
	defer env.close()
	h, err := connectorapi.NewMTLSHandler(env.cfg, env.svc, discard())
	require.NoError(b, err)
	state := &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{env.leaf, env.ca.Certificate()}}}
	b.ReportAllocs()
	b.SetParallelism(16)
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/app-a/v1/events", strings.NewReader(legacyEvent))
			req.Header.Set("Content-Type", "application/json")
			req.TLS = state
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Microsecond)/float64(b.N), "cpu-µs/event")
}

// BenchmarkForwardEventOverTLS is the same exchange end to end over loopback mTLS with
// keep-alive; the CPU includes the in-process client's side of TLS and HTTP.
func BenchmarkForwardEventOverTLS(b *testing.B) {
	env := newBenchEnv(b, startReceiver(b))
	defer env.close()
	h, err := connectorapi.NewMTLSHandler(env.cfg, env.svc, discard())
	require.NoError(b, err)
	serverCert, err := env.ca.ServerCertificate(nil, 0)
	require.NoError(b, err)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = connectorapi.MTLSConfig(serverCert, env.ca.Pool())
	srv.StartTLS()
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: env.ca.Pool(), Certificates: []tls.Certificate{{Certificate: [][]byte{env.leaf.Raw}, PrivateKey: env.key}}}
	hc := &http.Client{Transport: tr}
	url := srv.URL + "/app-a/v1/events"
	reportCPU(b, "cpu-µs/event", func() {
		resp, err := hc.Post(url, "application/json", strings.NewReader(legacyEvent))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	})
}

// BenchmarkSignCSR measures certificate signings per second through the connector API
// over TLS: a token is issued, then the client's CSR (RSA 2048, as announced) is
// decoded, validated and signed. CSR generation on the client side is not included.
func BenchmarkSignCSR(b *testing.B) {
	env := newBenchEnv(b, "http://127.0.0.1:1")
	defer env.close()
	h, err := connectorapi.NewConnectorHandler(env.cfg, env.svc, discard())
	require.NoError(b, err)
	serverCert, err := env.ca.ServerCertificate(nil, 0)
	require.NoError(b, err)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}}
	srv.StartTLS()
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: env.ca.Pool()}
	hc := &http.Client{Transport: tr}
	for _, keyType := range []string{client.KeyRSA2048, client.KeyECDSAP256} {
		b.Run(keyType, func(b *testing.B) {
			key, err := client.GenerateKey(keyType)
			require.NoError(b, err)
			csr, err := client.NewCSR(key, certificate.DefaultSubject.ForApplication("app-a").String())
			require.NoError(b, err)
			body := `{"csr":"` + csr + `"}`
			b.ReportAllocs()
			start := time.Now()
			n := 0
			for b.Loop() {
				tok, err := env.svc.IssueToken(b.Context(), "app-a")
				if err != nil {
					b.Fatal(err)
				}
				resp, err := hc.Post(srv.URL+schema.PathCertificates+"?token="+tok.Secret, "application/json", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("status %d", resp.StatusCode)
				}
				n++
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "signings/s")
		})
	}
}
