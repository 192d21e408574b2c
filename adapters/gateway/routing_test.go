package gateway_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
)

func TestBasicAuth(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.putSecret(t, "shop-basic", map[string]string{"username": "user", "password": "p@ss:word"})
	e.put(t, app("shop", up.URL+"/api", &application.Credentials{Type: application.CredentialBasic, SecretName: "shop-basic"}))

	got := readEcho(t, e.do(t, "GET", "/shop/orders-api/orders/1?x=1", nil, "Authorization", "Bearer caller"))
	assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("user:p@ss:word")), got.Header.Get("Authorization"))
	assert.Equal(t, "/api/orders/1?x=1", got.RequestURI)
	assert.Equal(t, strings.TrimPrefix(up.URL, "http://"), got.Host)

	// The same entry on the Compass listener.
	got = readEcho(t, e.doOn(t, e.compass, "POST", "/shop/orders-api/v1/orders", strings.NewReader("payload")))
	assert.Equal(t, "/api/orders", got.RequestURI)
	assert.Equal(t, "payload", got.Body)
	assert.Equal(t, "POST", got.Method)
}

func TestNoAuthPassesCallerAuthorization(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.put(t, app("open", up.URL, nil))
	got := readEcho(t, e.do(t, "GET", "/open/orders-api", nil, "Authorization", "Bearer mine", "User-Agent", ""))
	assert.Equal(t, "Bearer mine", got.Header.Get("Authorization"))
	assert.Equal(t, "/", got.RequestURI)
	assert.Equal(t, "", got.Header.Get("User-Agent"), "no Go default user agent when the caller sent none")
}

func TestGatewayErrors(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	a := app("shop", up.URL, &application.Credentials{Type: application.CredentialBasic, SecretName: "missing-secret"})
	a.Spec.Services = append(a.Spec.Services,
		application.Service{ID: "d1", Name: "dup-1", DisplayName: "Dup", Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "a", TargetURL: up.URL}}},
		application.Service{ID: "d2", Name: "dup-2", DisplayName: "dup", Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "b", TargetURL: up.URL}}},
	)
	e.put(t, a)
	e.putSecret(t, "bad-params", map[string]string{"headers": "{not json, secret-value-123"})
	b := app("params", up.URL, nil)
	b.Spec.Services[0].Entries[0].RequestParametersSecretName = "bad-params"
	e.put(t, b)

	tests := []struct {
		name   string
		path   string
		compas bool
		status int
		msg    string
	}{
		{name: "too few segments", path: "/shop", status: 400, msg: "failed to extract API Identifier from path"},
		{name: "too few segments compass", path: "/shop/orders-api", compas: true, status: 400, msg: "failed to extract API Identifier from path"},
		{name: "unknown app", path: "/nope/orders-api/x", status: 404, msg: "application nope not found"},
		{name: "unknown service", path: "/shop/nope/x", status: 404, msg: "service with name nope not found"},
		{name: "unknown entry", path: "/shop/orders-api/nope", compas: true, status: 404, msg: "service with name orders-api and entry name nope not found"},
		{name: "ambiguous", path: "/shop/dup/x", status: 400, msg: "failed to get service with name 'dup': multiple services found"},
		{name: "ambiguous resolved on compass", path: "/shop/dup/b", compas: true, status: 200},
		{name: "missing secret", path: "/shop/orders-api/x", status: 500, msg: "failed to read API for Orders API service: secret missing-secret not found"},
		{name: "invalid params secret", path: "/params/orders-api", status: 500, msg: `secret bad-params, key "headers"`},
		{name: "dot segments", path: "/shop/dup/b/../../admin", compas: true, status: 400, msg: "path must not contain '.' or '..' segments"},
		{name: "encoded dot segments", path: "/shop/dup/b/x%2F%2e%2e%2F%2e%2e%2Fadmin", compas: true, status: 400, msg: "path must not contain '.' or '..' segments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := e.standalone
			if tc.compas {
				srv = e.compass
			}
			resp := e.doOn(t, srv, "GET", tc.path, nil)
			if tc.status == 200 {
				readEcho(t, resp)
				return
			}
			msg := errorBody(t, resp, tc.status)
			assert.Contains(t, msg, tc.msg)
			assert.NotContains(t, msg, "secret-value-123")
		})
	}
}

func TestEncodeURL(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	enc := app("enc", up.URL+"/odata", nil)
	enc.Spec.EncodeURL = boolPtr(true)
	raw := app("raw", up.URL+"/odata", nil)
	raw.Spec.EncodeURL = boolPtr(false)
	def := app("def", up.URL+"/odata", nil) // absent: CRD default true
	e.put(t, enc)
	e.put(t, raw)
	e.put(t, def)

	tests := []struct {
		app, path, want string
	}{
		{"enc", "/Orders('%7Cx%7C')", "/odata/Orders%28%27%7Cx%7C%27%29"},
		{"def", "/Orders('%7Cx%7C')", "/odata/Orders%28%27%7Cx%7C%27%29"},
		{"raw", "/Orders('%7Cx%7C')", "/odata/Orders('%7Cx%7C')"},
		{"enc", "/files/a%2Fb", "/odata/files/a/b"},
		{"raw", "/files/a%2Fb", "/odata/files/a%2Fb"},
		{"raw", "/files/a%2Fb?$filter=x%20eq%201", "/odata/files/a%2Fb?$filter=x%20eq%201"},
		{"enc", "/orders/", "/odata/orders/"},
		{"raw", "/orders:1/items", "/odata/orders:1/items"},
		{"enc", "/orders:1", "/odata/orders:1"},
	}
	for _, tc := range tests {
		t.Run(tc.app+tc.path, func(t *testing.T) {
			got := readEcho(t, e.do(t, "GET", "/"+tc.app+"/orders-api"+tc.path, nil))
			assert.Equal(t, tc.want, got.RequestURI)
		})
	}
}

func TestRequestParametersAndQuery(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.putSecret(t, "shop-params", map[string]string{
		"headers":         `{"x-tenant":["t1"],"X-Extra":["e1","e2"]}`,
		"queryParameters": `{"sap-client":["100"],"lang":["en"]}`,
	})
	a := app("shop", up.URL+"/api?fixed=1", nil)
	a.Spec.Services[0].Entries[0].RequestParametersSecretName = "shop-params"
	e.put(t, a)

	got := readEcho(t, e.do(t, "GET", "/shop/orders-api/x?lang=de&z=%41", nil, "X-Tenant", "caller"))
	assert.Equal(t, "/api/x?fixed=1&lang=de&z=%41&sap-client=100", got.RequestURI, "caller wins, order and encoding kept")
	assert.Equal(t, []string{"caller"}, got.Header["X-Tenant"])
	assert.Equal(t, []string{"e1", "e2"}, got.Header["X-Extra"])
}

func TestAccessTokenOverride(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.putSecret(t, "shop-basic", map[string]string{"username": "u", "password": "p"})
	e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialBasic, SecretName: "shop-basic"}))
	got := readEcho(t, e.do(t, "GET", "/shop/orders-api", nil, "Access-Token", "Bearer from-caller"))
	assert.Equal(t, "Bearer from-caller", got.Header.Get("Authorization"))
	assert.Empty(t, got.Header.Values("Access-Token"))

	// An empty Access-Token overrides nothing (as in Kyma): the configured credentials
	// are sent, not an empty Authorization.
	got = readEcho(t, e.do(t, "GET", "/shop/orders-api", nil, "Access-Token", ""))
	assert.Equal(t, "Basic dTpw", got.Header.Get("Authorization"))
	assert.Empty(t, got.Header.Values("Access-Token"))
}

func TestForwardedAndHopByHopHeaders(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.put(t, app("open", up.URL, nil))
	got := readEcho(t, e.do(t, "GET", "/open/orders-api", nil,
		"X-Forwarded-For", "10.0.0.1", "X-Forwarded-Host", "public.example", "X-Forwarded-Proto", "https",
		"X-Forwarded-Client-Cert", "Hash=abc", "Connection", "X-Drop", "X-Drop", "1", "Proxy-Authorization", "x"))
	assert.Equal(t, "10.0.0.1, 127.0.0.1", got.Header.Get("X-Forwarded-For"))
	assert.Equal(t, "public.example", got.Header.Get("X-Forwarded-Host"))
	assert.Equal(t, "https", got.Header.Get("X-Forwarded-Proto"))
	assert.Equal(t, "Hash=abc", got.Header.Get("X-Forwarded-Client-Cert"))
	assert.Empty(t, got.Header.Get("X-Drop"))
	assert.Empty(t, got.Header.Get("Proxy-Authorization"))
}

// TestConnectionListedForwardedHeadersDropped: headers the caller names in Connection
// are hop-by-hop (RFC 9110 7.6.1), the X-Forwarded-* ones the gateway passes through
// included.
func TestConnectionListedForwardedHeadersDropped(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.put(t, app("open", up.URL, nil))
	got := readEcho(t, e.do(t, "GET", "/open/orders-api", nil,
		"Connection", "keep-alive, X-Forwarded-Host", "Connection", "forwarded , x-forwarded-for",
		"X-Forwarded-Host", "evil.example", "Forwarded", "for=1.2.3.4", "X-Forwarded-Proto", "https",
		"X-Forwarded-For", "10.9.9.9"))
	assert.Equal(t, "127.0.0.1", got.Header.Get("X-Forwarded-For"), "only the gateway's own entry")
	assert.Empty(t, got.Header.Values("X-Forwarded-Host"))
	assert.Empty(t, got.Header.Values("Forwarded"))
	assert.Equal(t, "https", got.Header.Get("X-Forwarded-Proto"))
}

func TestResponses(t *testing.T) {
	e := newEnv(t, nil)
	mux := http.NewServeMux()
	up := newServer(t, mux)
	mux.HandleFunc("/api/redirect/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/api/target/x?q=1", http.StatusFound)
	})
	mux.HandleFunc("/api/redirect/relative", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "sibling")
		w.WriteHeader(http.StatusSeeOther)
	})
	mux.HandleFunc("/api/redirect/other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://other.example/api/x", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/api/redirect/outside", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/apiary/x", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/api/created", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", up.URL+"/api/orders/7")
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("/api/fail", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("target body"))
	})
	mux.HandleFunc("/api/teapot", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	e.put(t, app("shop", up.URL+"/api", nil))

	tests := []struct {
		path     string
		status   int
		location string
	}{
		{"/redirect/same", 302, "/shop/orders-api/target/x?q=1"},
		{"/redirect/relative", 303, "/shop/orders-api/redirect/sibling"},
		{"/redirect/other", 301, "http://other.example/api/x"},
		{"/redirect/outside", 307, "/apiary/x"},
		{"/created", 201, "/shop/orders-api/orders/7"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp := e.do(t, "GET", "/shop/orders-api"+tc.path, nil)
			body(t, resp)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.location, resp.Header.Get("Location"))
		})
	}
	t.Run("compass prefix", func(t *testing.T) {
		resp := e.doOn(t, e.compass, "GET", "/shop/orders-api/v1/redirect/same", nil)
		body(t, resp)
		assert.Equal(t, "/shop/orders-api/v1/target/x?q=1", resp.Header.Get("Location"))
	})
	t.Run("5xx becomes 502", func(t *testing.T) {
		resp := e.do(t, "GET", "/shop/orders-api/fail", nil)
		assert.Equal(t, "target body", body(t, resp))
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
		assert.Equal(t, "503", resp.Header.Get("Target-System-Status"))
	})
	t.Run("4xx passes", func(t *testing.T) {
		resp := e.do(t, "GET", "/shop/orders-api/teapot", nil)
		body(t, resp)
		assert.Equal(t, http.StatusTeapot, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Target-System-Status"))
	})
}

func newServer(t *testing.T, h http.Handler) *serverURL {
	srv := newEchoLike(t, h)
	return &serverURL{URL: srv}
}

type serverURL struct{ URL string }

func newEchoLike(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptestServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestEditTakesEffect(t *testing.T) {
	e := newEnv(t, nil)
	up1, up2 := newEcho(t), newEcho(t)
	e.putSecret(t, "shop-basic", map[string]string{"username": "u1", "password": "p"})
	e.put(t, app("shop", up1.URL+"/one", &application.Credentials{Type: application.CredentialBasic, SecretName: "shop-basic"}))
	assert.Equal(t, "/one", readEcho(t, e.do(t, "GET", "/shop/orders-api", nil)).RequestURI)

	// Edit the Application the way the management API does (through the repository) and
	// measure how long until requests see it.
	_, err := e.apps.Update(context.Background(), "shop", func(a *application.Application) error {
		a.Spec.Services[0].Entries[0].TargetURL = up2.URL + "/two"
		return nil
	})
	require.NoError(t, err)
	start := time.Now()
	for readEcho(t, e.do(t, "GET", "/shop/orders-api", nil)).RequestURI != "/two" {
		require.Less(t, time.Since(start), time.Second, "edit must take effect within 1s")
	}
	t.Logf("application edit visible after %s", time.Since(start))

	_, _, err = e.secrets.Put(context.Background(), secretOf("shop-basic", "username", "u2", "password", "p"))
	require.NoError(t, err)
	start = time.Now()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("u2:p"))
	for readEcho(t, e.do(t, "GET", "/shop/orders-api", nil)).Header.Get("Authorization") != want {
		require.Less(t, time.Since(start), time.Second, "secret edit must take effect within 1s")
	}

	require.NoError(t, e.apps.Delete(context.Background(), "shop"))
	start = time.Now()
	for {
		resp := e.do(t, "GET", "/shop/orders-api", nil)
		body(t, resp)
		if resp.StatusCode == http.StatusNotFound {
			break
		}
		require.Less(t, time.Since(start), time.Second)
	}
}

func TestCompressionPassesThrough(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.put(t, app("open", up.URL, nil))
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Get(e.standalone.URL + "/open/orders-api")
	require.NoError(t, err)
	got := readEcho(t, resp)
	assert.Empty(t, got.Header.Get("Accept-Encoding"), "the gateway must not ask for gzip on the caller's behalf")
	got = readEcho(t, e.do(t, "GET", "/open/orders-api", nil, "Accept-Encoding", "br"))
	assert.Equal(t, "br", got.Header.Get("Accept-Encoding"))
}
