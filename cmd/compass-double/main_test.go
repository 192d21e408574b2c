package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appconnector/appconnector/internal/compassdouble"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	}
	return resp.StatusCode, out
}

// graphql posts a query to the double without a client certificate.
func graphql(t *testing.T, d *compassdouble.Double, url string, header map[string]string, query string) map[string]any {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(d.CACertPEM()))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	defer c.CloseIdleConnections()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

func TestAdminAPI(t *testing.T) {
	d, err := compassdouble.New(compassdouble.Config{})
	require.NoError(t, err)
	defer d.Close()
	srv := httptest.NewServer(adminHandler(d))
	defer srv.Close()
	u := srv.URL

	status, body := call(t, "POST", u+"/runtimes", `{"id":"rt-1","name":"runtime one","tenant":"tenant-a"}`)
	require.Equal(t, http.StatusCreated, status, body)
	status, body = call(t, "POST", u+"/runtimes", `{"id":"rt-2"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "missing tenant", body["error"])
	status, body = call(t, "POST", u+"/runtimes", `{"id":"rt-2","tenant":"t","tennant":"x"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body["error"], `unknown field "tennant"`)
	status, body = call(t, "POST", u+"/runtimes", ``)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "the request needs a JSON body", body["error"])

	// A token from the admin API works on the Connector once.
	status, body = call(t, "POST", u+"/runtimes/rt-1/token", "")
	require.Equal(t, http.StatusCreated, status, body)
	assert.Equal(t, d.ConnectorURL(), body["connectorURL"])
	tok := body["token"].(string)
	out := graphql(t, d, d.ConnectorURL(), map[string]string{"Connector-Token": tok}, `{ configuration { certificateSigningRequestInfo { subject } } }`)
	assert.Nil(t, out["errors"])
	assert.Equal(t, "O=Org,OU=OrgUnit,L=Locality,ST=State,C=PL,CN=rt-1", out["data"].(map[string]any)["configuration"].(map[string]any)["certificateSigningRequestInfo"].(map[string]any)["subject"])
	status, body = call(t, "POST", u+"/runtimes/nope/token", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body["error"], `runtime "nope" not found`)

	// Applications.
	app := `{"runtimeID":"rt-1","application":{"name":"orders","description":"Orders","providerName":"SAP","labels":{"a":"b"},"authIds":["c1"],
	  "bundles":[{"id":"b1","name":"orders-api","apiDefinitions":[{"id":"api-1","name":"orders","targetURL":"https://orders.local/api"}],
	  "eventDefinitions":[{"id":"ev-1","name":"events"}],
	  "defaultInstanceAuth":{"oauth":{"clientId":"id","clientSecret":"s","url":"https://auth.local/token"},"additionalHeaders":{"X-A":["1"]},"csrfTokenEndpointURL":"https://orders.local/csrf"}}]}}`
	status, body = call(t, "PUT", u+"/applications/app-1", app)
	require.Equal(t, http.StatusOK, status, body)
	assert.True(t, d.HasApplication("app-1"))
	for _, bad := range []struct{ body, want string }{
		{`{"application":{"name":"x"}}`, "missing runtimeID"},
		{`{"runtimeID":"nope","application":{"name":"x"}}`, `runtime "nope" not found`},
		{`{"runtimeID":"rt-1"}`, "missing application"},
		{`{"runtimeID":"rt-1","application":{"id":"other","name":"x"}}`, `differs from the id "app-2"`},
		{`{"runtimeID":"rt-1","application":{}}`, "application.name is missing"},
		{`{"runtimeID":"rt-1","application":{"name":"x","bundles":[{"id":"b","name":"b","apiDefinitions":[{"id":"a","name":"a","targetURL":"not a url"}]}]}}`, "is not an absolute URL"},
		{`{"runtimeID":"rt-1","application":{"name":"x","bundles":[{"id":"b","name":"b","defaultInstanceAuth":{"basic":{},"oauth":{"url":"https://x"}}}]}}`, "both basic and oauth"},
		{`{"runtimeID":"rt-1","application":{"name":"x","authId":["typo"]}}`, "unknown field"},
	} {
		status, body = call(t, "PUT", u+"/applications/app-2", bad.body)
		assert.Equal(t, http.StatusBadRequest, status, bad.body)
		assert.Contains(t, body["error"], bad.want, bad.body)
	}
	assert.False(t, d.HasApplication("app-2"))

	// Labels.
	d.SetRuntimeLabelValue("rt-1", "runtime_consoleUrl", "https://console.local")
	status, body = call(t, "GET", u+"/runtimes/rt-1", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"runtime_consoleUrl": "https://console.local"}, body["labels"])
	status, _ = call(t, "GET", u+"/runtimes/nope", "")
	assert.Equal(t, http.StatusNotFound, status)

	// Failures.
	status, _ = call(t, "POST", u+"/fail/configuration", `{"message":"connector down"}`)
	require.Equal(t, http.StatusNoContent, status)
	out = graphql(t, d, d.ConnectorURL(), map[string]string{"Connector-Token": d.NewRuntimeToken("rt-1")}, `{ configuration { token { token } } }`)
	assert.Equal(t, "connector down", out["errors"].([]any)[0].(map[string]any)["message"])
	status, _ = call(t, "DELETE", u+"/fail/configuration", "")
	require.Equal(t, http.StatusNoContent, status)
	out = graphql(t, d, d.ConnectorURL(), map[string]string{"Connector-Token": d.NewRuntimeToken("rt-1")}, `{ configuration { token { token } } }`)
	assert.Nil(t, out["errors"])
	status, body = call(t, "POST", u+"/fail/nonsense", `{}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body["error"], "unknown operation")
	status, _ = call(t, "POST", u+"/fail/runtime", ``)
	assert.Equal(t, http.StatusNoContent, status)
	status, _ = call(t, "DELETE", u+"/fail", ``)
	assert.Equal(t, http.StatusNoContent, status)

	status, _ = call(t, "DELETE", u+"/applications/app-1", "")
	assert.Equal(t, http.StatusNoContent, status)
	assert.False(t, d.HasApplication("app-1"))
	status, _ = call(t, "DELETE", u+"/applications/app-1", "")
	assert.Equal(t, http.StatusNotFound, status)
	status, body = call(t, "GET", u+"/nothing", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body["error"], "no such admin endpoint")
}

// TestRun starts the binary's run on free loopback ports and uses the URLs it prints.
func TestRun(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--ca-out", caFile}, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	urls := map[string]string{}
	sc := bufio.NewScanner(pr)
	for urls["admin API"] == "" && sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			urls[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	go io.Copy(io.Discard, pr)
	require.Contains(t, urls, "admin API")
	require.Contains(t, urls, "Director")
	ca, err := os.ReadFile(caFile)
	require.NoError(t, err)
	assert.Contains(t, string(ca), "BEGIN CERTIFICATE")

	status, _ := call(t, "POST", urls["admin API"]+"/runtimes", `{"id":"rt","tenant":"t"}`)
	assert.Equal(t, http.StatusCreated, status)
	status, body := call(t, "POST", urls["admin API"]+"/runtimes/rt/token", "")
	require.Equal(t, http.StatusCreated, status)
	assert.Equal(t, urls["token-secured Connector"], body["connectorURL"])

	// The printed Director URL answers over TLS with the written CA.
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, Timeout: 10 * time.Second}
	resp, err := c.Post(urls["Director"], "application/json", strings.NewReader(`{"query":"{ runtime(id: \"rt\") { id } }"}`))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.CloseIdleConnections()
	assert.Contains(t, string(raw), "no client certificate")

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after the context ended")
	}
}

func TestParseRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"--admin-addr", "0.0.0.0:3001"},
		{"--admin-addr", "example.com:3001"},
		{"--certificate-validity", "-1h"},
		{"--ca-out", ""},
		{"extra"},
	} {
		_, err := parse(args, func(string) string { return "" }, io.Discard)
		assert.Error(t, err, args)
	}
	o, err := parse(nil, func(k string) string {
		if k == "APPCONNECTOR_CERTIFICATE_VALIDITY" {
			return "1h"
		}
		return ""
	}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, o.validity)
	assert.Equal(t, "127.0.0.1:3000", o.addr)
}
