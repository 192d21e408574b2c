package main

import (
	"context"
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
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// Bench credentials: not secret, they only exist on loopback for the run.
const (
	benchUser     = "bench"
	benchPassword = "bench-password"
)

// serve runs one server process until stdin closes (the driver exits or kills it). It
// prints "ADDR host:port" once it accepts requests.
func serve(mode string, args []string) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	upstream := fs.String("upstream", "", "upstream base URL")
	payload := fs.Int("payload", 1024, "response size")
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var h http.Handler
	switch mode {
	case "upstream":
		h = upstreamHandler(*payload)
	case "echo":
		h = echoHandler()
	case "minimal":
		h, err = minimalProxy(*upstream, false)
	case "minimal-pooled":
		h, err = minimalProxy(*upstream, true)
	case "gateway":
		h, err = gatewayHandler(*upstream)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin) // the driver closes our stdin to stop us
		_ = srv.Close()
	}()
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

// upstreamTransport is the transport both proxies use: Go's defaults with an idle pool
// large enough for the load, so neither pays for new connections.
func upstreamTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0
	t.MaxIdleConnsPerHost = 256
	return t
}

// minimalProxy is the baseline: the least a Go reverse proxy that injects a Basic
// header can do. pooled adds a copy-buffer pool, the one optimisation of the gateway
// that a minimal proxy could also have, to show the gateway's overhead against it.
func minimalProxy(upstream string, pooled bool) (http.Handler, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(benchUser+":"+benchPassword))
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header.Set("Authorization", auth)
		},
		Transport: upstreamTransport(),
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

// gatewayHandler runs the real gateway over memory stores holding two Applications:
// bench-basic (Basic) and bench-oauth (OAuth against the upstream's /token).
func gatewayHandler(upstream string) (http.Handler, error) {
	ctx := context.Background()
	apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
	put := func(name string, creds *application.Credentials, data map[string]string) error {
		s := credential.Secret{Name: name + "-creds", Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		if _, _, err := secrets.Put(ctx, s); err != nil {
			return err
		}
		creds.SecretName = s.Name
		_, _, err := apps.Put(ctx, application.Application{Name: name, Spec: application.Spec{Services: []application.Service{{
			ID: "1", Name: "orders", DisplayName: "Orders",
			Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "v1", TargetURL: upstream, Credentials: creds}},
		}}}})
		return err
	}
	if err := put("bench-basic", &application.Credentials{Type: application.CredentialBasic},
		map[string]string{"username": benchUser, "password": benchPassword}); err != nil {
		return nil, err
	}
	if err := put("bench-oauth", &application.Credentials{Type: application.CredentialOAuth, AuthenticationURL: upstream + "/token"},
		map[string]string{"clientId": "bench", "clientSecret": "bench-secret"}); err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	gw, err := gateway.New(gateway.DefaultConfig(), apps, secrets, logger)
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
