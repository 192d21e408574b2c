package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

// apiCounter stands between a binary and the API server and records every request the
// binary's client makes: the binary's kubeconfig points at it, so whatever transport
// client-go builds from its rest.Config, each of its API calls passes here.
type apiCounter struct {
	mu    sync.Mutex
	calls []string
}

func (c *apiCounter) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// countingAPIServer starts the counter in front of k and returns it with a kubeconfig
// that reaches k through it.
func countingAPIServer(t *testing.T, k *realservers.Kube) (*apiCounter, string) {
	t.Helper()
	cfg := k.Config()
	target, err := url.Parse(cfg.Host)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(cfg.CAData))
	c := &apiCounter{}
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true},
		FlushInterval: -1, // watches stream
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.calls = append(c.calls, r.Method+" "+r.URL.RequestURI())
		c.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	proxyCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return c, componenttest.Kubeconfig(t, &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{CAData: proxyCA}, BearerToken: cfg.BearerToken})
}

// TestNoAPICallPerProxiedRequest: in Kubernetes mode the gateway answers from its
// informers. Once ready, N proxied requests (credentials injected from a Secret, both
// listeners, found and unknown routes) make 0 API server calls.
func TestNoAPICallPerProxiedRequest(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _, _ := r.BasicAuth()
		_, _ = io.WriteString(w, u)
	}))
	t.Cleanup(target.Close)
	_, err := k.Client(t).CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "basic"},
		Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}}, metav1.CreateOptions{})
	require.NoError(t, err)
	app := ns
	componenttest.CreateApplication(t, k, app, map[string]any{"description": "d", "services": []any{map[string]any{
		"id": "1", "name": "orders", "displayName": "Orders", "description": "d", "providerDisplayName": "p",
		"entries": []any{map[string]any{"type": "API", "targetUrl": target.URL, "credentials": map[string]any{"type": "Basic", "secretName": "basic"}}},
	}}})

	counter, kubeconfig := countingAPIServer(t, k)
	addrs := componenttest.Start(t, binary, "--store", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", ns,
		"--gateway-addr", "127.0.0.1:0", "--gateway-compass-addr", "127.0.0.1:0", "--health-addr", "127.0.0.1:0", "--metrics-addr", "")
	componenttest.WaitHealthy(t, addrs[components.ServerHealth])
	code, body := componenttest.Get(t, "http://"+addrs[components.ServerGateway]+"/"+app+"/orders/x", "")
	require.Equal(t, "200 u", fmt.Sprint(code, " ", body))
	before := counter.snapshot()
	require.NotEmpty(t, before, "the counter sees the gateway's lists and watches")

	const n = 500
	for i := range n {
		switch i % 4 {
		case 0, 1:
			code, body = componenttest.Get(t, fmt.Sprintf("http://%s/%s/orders/items/%d", addrs[components.ServerGateway], app, i), "")
			require.Equal(t, "200 u", fmt.Sprint(code, " ", body))
		case 2:
			code, _ = componenttest.Get(t, fmt.Sprintf("http://%s/%s/no-such-service/%d", addrs[components.ServerGateway], app, i), "")
			require.Equal(t, http.StatusNotFound, code)
		case 3:
			code, _ = componenttest.Get(t, fmt.Sprintf("http://%s/no-such-app-%d/orders/x", addrs[components.ServerGateway], i), "")
			require.Equal(t, http.StatusNotFound, code)
		}
	}
	after := counter.snapshot()
	assert.Equal(t, before, after, "%d proxied requests made API server calls", n)
	t.Logf("%d API calls while starting (%v), 0 for %d proxied requests", len(before), before, n)
}
