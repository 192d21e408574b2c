package connectorapi_test

import (
	"bufio"
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/domain/application"
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
