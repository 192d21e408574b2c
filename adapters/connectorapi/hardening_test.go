package connectorapi_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/internal/testutil"
)

// rawRefusal announces a 100000-byte body, sends none of it, and returns the status
// line that arrives within a second: a refusal must not wait for (or drain) the body.
func rawRefusal(t *testing.T, base string, cfg *tls.Config, method, path string) string {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	conn, err := tls.Dial("tcp", u.Host, cfg)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(time.Second)))
	_, err = conn.Write([]byte(method + " " + path + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer within a second: the server waited for the body")
	defer resp.Body.Close()
	assert.True(t, resp.Close, "Connection: close, so the unread body is not drained")
	return resp.Status
}

func TestRefusalBeforeReadingTheBody(t *testing.T) {
	e := newEnv(t, envOptions{eventingURL: "log"})
	e.createApp(application.Application{Name: "app-a"})
	e.createApp(application.Application{Name: "app-b"})
	creds, hc := e.connect("app-a")
	cert, err := creds.TLSCertificate()
	require.NoError(t, err)
	mtls := &tls.Config{RootCAs: e.ca.Pool(), Certificates: []tls.Certificate{cert}}
	plain := &tls.Config{RootCAs: e.ca.Pool()}

	unknown := strings.Repeat("A", 43)
	assert.Contains(t, rawRefusal(t, e.connectorURL, plain, http.MethodPost, "/v1/applications/certificates?token="+unknown), "403")
	assert.Contains(t, rawRefusal(t, e.connectorURL, plain, http.MethodPost, "/v1/applications/certificates"), "403")
	for _, p := range []string{"/app-b/v1/events", "/app-b/v2/events", "/app-b/events", "/app-b/v1/metadata/services"} {
		assert.Contains(t, rawRefusal(t, e.mtlsURL, mtls, http.MethodPost, p), "403", p)
	}
	require.NoError(t, client.Revoke(t.Context(), hc, e.mtlsURL+schema.PathRevocations))
	assert.Contains(t, rawRefusal(t, e.mtlsURL, mtls, http.MethodPost, "/v1/applications/certificates/renewals"), "403")
}

// Control characters in event fields are a 400 naming the field, with a forwarder
// (where net/http would refuse the ce-* header) and with the embedded log alike.
func TestControlCharactersAreBadRequest(t *testing.T) {
	for _, mode := range []string{"", "log"} {
		e := newEnv(t, envOptions{eventingURL: mode})
		e.createApp(application.Application{Name: "app-a"})
		_, hc := e.connect("app-a")
		r := send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v1/events", nil,
			`{"event-type":"order\u0000created","event-type-version":"v1","event-time":"2024-05-06T07:08:09Z","data":{}}`)
		assert.Equal(t, http.StatusBadRequest, r.status, r.body)
		assert.Contains(t, r.body, `"field":"event-type"`)
		r = send(t, hc, http.MethodPost, e.mtlsURL+"/app-a/v2/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
			`{"specversion":"1.0","id":"1\n2","source":"/crm","type":"t"}`)
		assert.Equal(t, http.StatusBadRequest, r.status, r.body)
		assert.Contains(t, r.body, "id:")
	}
}

// The legacy endpoint takes JSON or no Content-Type at all; text/plain is a 415 rather
// than a guess. CloudEvents binary mode keeps any Content-Type: it is the data's.
func TestLegacyEventContentType(t *testing.T) {
	e := newEnv(t, envOptions{eventingURL: "log"})
	e.createApp(application.Application{Name: "app-a"})
	_, hc := e.connect("app-a")
	for ct, want := range map[string]int{
		"": http.StatusOK, "application/json": http.StatusOK, "application/json; charset=utf-8": http.StatusOK,
		"text/plain": http.StatusUnsupportedMediaType, "application/x-www-form-urlencoded": http.StatusUnsupportedMediaType,
	} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.mtlsURL+"/app-a/v1/events", strings.NewReader(legacyEvent))
		require.NoError(t, err)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "%q: %s", ct, b)
		if want == http.StatusUnsupportedMediaType {
			assert.Contains(t, string(b), "application/json")
		}
	}
}

// The request log names method, route, status and Application, at info level, and
// never the query string (where the one-time token travels).
func TestRequestLog(t *testing.T) {
	var buf testutil.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e := newEnv(t, envOptions{eventingURL: "log"})
	e.createApp(application.Application{Name: "app-a"})
	h, err := connectorapi.NewConnectorHandler(connectorapi.Config{ConnectorURL: e.connectorURL, MTLSURL: e.mtlsURL}, e.svc, logger)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tok := e.token("app-a")
	r := send(t, http.DefaultClient, http.MethodGet, srv.URL+schema.PathSigningInfo+"?token="+tok.Token, nil, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	out := buf.String()
	assert.Contains(t, out, "level=INFO msg=request method=GET route="+schema.PathSigningInfo+" status=200")
	assert.NotContains(t, out, tok.Token)
	assert.NotContains(t, out, "token=")
}
