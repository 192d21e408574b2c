package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/http/pprof"
	"net/url"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/runner"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// Bench credentials: not secret, they only exist on loopback for the run.
const (
	benchUser     = "bench"
	benchPassword = "bench-password"
)

// basicAuth is the Authorization value every Basic scenario sends.
func basicAuth() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(benchUser+":"+benchPassword))
}

// serve runs one server process until stdin closes (the driver exits or kills it). It
// prints "ADDR host:port" once it accepts requests, and "PPROF host:port" before that
// when asked for a profiling listener.
func serve(mode string, args []string) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	upstream := fs.String("upstream", "", "upstream base URL (plain HTTP)")
	tlsUpstream := fs.String("tls-upstream", "", "upstream base URL that requires a client certificate")
	pki := fs.String("pki", "", "directory of the run's CA, server and client certificates")
	payload := fs.Int("payload", 1024, "response size")
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	withTLS := fs.Bool("tls", false, "upstream: serve TLS and require a client certificate (needs -pki)")
	metrics := fs.Bool("metrics", true, "gateway: telemetry wired as in the binaries (metrics on, tracing off)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var h http.Handler
	var tlsConf *tls.Config
	switch mode {
	case "upstream":
		h = upstreamHandler(*payload)
		if *withTLS {
			if tlsConf, err = upstreamTLS(*pki); err != nil {
				return err
			}
		}
	case "echo":
		h = echoHandler()
	case "minimal":
		h, err = minimalProxy(*upstream, "", false)
	case "minimal-pooled":
		h, err = minimalProxy(*upstream, "", true)
	case "minimal-cert":
		h, err = minimalProxy(*tlsUpstream, *pki, false)
	case "gateway":
		h, err = gatewayHandler(*upstream, *tlsUpstream, *pki, *metrics)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return err
	}
	if mode != "echo" {
		// The driver reads the runtime's counters and profiles from a listener of its
		// own, so none of it shows in the measured requests.
		sl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/runtime", runtimeStats)
		go func() { _ = http.Serve(sl, mux) }()
		fmt.Printf("STATS %s\n", sl.Addr())
	}
	// The limits the binaries give the gateway listeners (runner.StreamingLimits).
	l := runner.StreamingLimits()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeaderTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin) // the driver closes our stdin to stop us
		_ = srv.Close()
	}()
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// echoHandler answers with the request it got as JSON (method, URI, headers): a target
// for trying the gateway by hand, e.g. in the README quickstart.
func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"method": r.Method, "uri": r.RequestURI, "headers": r.Header})
	})
}

// upstreamHandler answers every path with a fixed body, and /token with an OAuth token.
func upstreamHandler(size int) http.Handler {
	body := []byte(strings.Repeat("x", size))
	token := []byte(`{"access_token":"bench-token","token_type":"bearer","expires_in":3600}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(token)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	})
}

// upstreamTLS is the TLS upstream's configuration: the run's server certificate, and a
// client certificate issued by the run's CA required on every connection.
func upstreamTLS(dir string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	if err != nil {
		return nil, err
	}
	pool, err := caPool(dir)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}, nil
}

func caPool(dir string) (*x509.CertPool, error) {
	b, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("no CA certificate in " + dir)
	}
	return pool, nil
}

// upstreamTransport is the transport the minimal proxies use: Go's defaults with an
// idle pool large enough for the load, so none pays for new connections.
func upstreamTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0
	t.MaxIdleConnsPerHost = 256
	return t
}

// minimalProxy is the baseline: the least a Go reverse proxy that injects a Basic
// header can do. pooled adds a copy-buffer pool, the one optimisation of the gateway
// that a minimal proxy could also have, to show the gateway's overhead against it. With
// pki it presents the run's client certificate instead of a Basic header.
func minimalProxy(upstream, pki string, pooled bool) (http.Handler, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	tr := upstreamTransport()
	auth := basicAuth()
	if pki != "" {
		if tr.TLSClientConfig, err = clientTLS(pki); err != nil {
			return nil, err
		}
		auth = ""
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			if auth != "" {
				pr.Out.Header.Set("Authorization", auth)
			}
		},
		Transport: tr,
		ErrorLog:  slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	if pooled {
		rp.BufferPool = &bufferPool{p: sync.Pool{New: func() any { return new([32 << 10]byte) }}}
	}
	return rp, nil
}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte  { return b.p.Get().(*[32 << 10]byte)[:] }
func (b *bufferPool) Put(s []byte) { b.p.Put((*[32 << 10]byte)(s[:32<<10])) }

// gatewayHandler runs the real gateway over memory stores, with the process telemetry
// wired as the binaries wire it (components.NewGateway: request and store metrics;
// tracing stays off without an OTLP endpoint). One Application per scenario:
// bench-basic (Basic), bench-oauth (OAuth against the upstream's /token), bench-params
// (Basic plus request headers and query parameters) and, with a TLS upstream,
// bench-cert (client certificate).
func gatewayHandler(upstream, tlsUpstream, pki string, metrics bool) (http.Handler, error) {
	ctx := context.Background()
	apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
	put := func(name, target string, creds *application.Credentials, data map[string]string, params map[string]string) error {
		secret := func(suffix string, data map[string]string) (string, error) {
			s := credential.Secret{Name: name + suffix, Data: map[string][]byte{}}
			for k, v := range data {
				s.Data[k] = []byte(v)
			}
			_, _, err := secrets.Put(ctx, s)
			return s.Name, err
		}
		var err error
		if creds.SecretName, err = secret("-creds", data); err != nil {
			return err
		}
		e := application.Entry{Type: application.EntryTypeAPI, Name: "v1", TargetURL: target, Credentials: creds}
		if params != nil {
			if e.RequestParametersSecretName, err = secret("-params", params); err != nil {
				return err
			}
		}
		_, _, err = apps.Put(ctx, application.Application{Name: name, Spec: application.Spec{Services: []application.Service{{
			ID: "1", Name: "orders", DisplayName: "Orders", Entries: []application.Entry{e},
		}}}})
		return err
	}
	basic := map[string]string{"username": benchUser, "password": benchPassword}
	if err := put("bench-basic", upstream, &application.Credentials{Type: application.CredentialBasic}, basic, nil); err != nil {
		return nil, err
	}
	if err := put("bench-oauth", upstream, &application.Credentials{Type: application.CredentialOAuth, AuthenticationURL: upstream + "/token"},
		map[string]string{"clientId": "bench", "clientSecret": "bench-secret"}, nil); err != nil {
		return nil, err
	}
	if err := put("bench-params", upstream, &application.Credentials{Type: application.CredentialBasic}, basic,
		map[string]string{"headers": `{"X-Tenant":["bench"],"X-Client":["gatewaybench"]}`, "queryParameters": `{"sap-client":["100"]}`}); err != nil {
		return nil, err
	}
	cfg := gateway.DefaultConfig()
	if tlsUpstream != "" {
		crt, err1 := os.ReadFile(filepath.Join(pki, "client.crt"))
		key, err2 := os.ReadFile(filepath.Join(pki, "client.key"))
		pool, err3 := caPool(pki)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
		if err := put("bench-cert", tlsUpstream, &application.Credentials{Type: application.CredentialCertificateGen},
			map[string]string{"crt": string(crt), "key": string(key)}, nil); err != nil {
			return nil, err
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	var gw *gateway.Gateway
	var err error
	if metrics {
		tel, terr := telemetry.New(ctx, telemetry.Config{ServiceName: "gatewaybench", Getenv: func(string) string { return "" }})
		if terr != nil {
			return nil, terr
		}
		gw, err = components.NewGateway(cfg, tel, apps, secrets, logger)
	} else {
		gw, err = gateway.New(cfg, apps, secrets, logger)
	}
	if err != nil {
		return nil, err
	}
	go func() { _ = gw.Run(ctx) }()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := gw.WaitReady(wctx); err != nil {
		return nil, err
	}
	return gw.StandaloneHandler(), nil
}

// runtimeMetrics are the counters the driver turns into allocations, GC cycles and GC
// CPU per request.
var runtimeMetrics = []string{
	"/gc/heap/allocs:objects", "/gc/heap/allocs:bytes", "/gc/cycles/total:gc-cycles",
	"/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/total:cpu-seconds",
}

// runtimeStats answers "name value" lines of runtimeMetrics.
func runtimeStats(w http.ResponseWriter, _ *http.Request) {
	samples := make([]metrics.Sample, len(runtimeMetrics))
	for i, n := range runtimeMetrics {
		samples[i].Name = n
	}
	metrics.Read(samples)
	for _, s := range samples {
		var v float64
		switch s.Value.Kind() {
		case metrics.KindUint64:
			v = float64(s.Value.Uint64())
		case metrics.KindFloat64:
			v = s.Value.Float64()
		}
		fmt.Fprintf(w, "%s %g\n", s.Name, v)
	}
}
