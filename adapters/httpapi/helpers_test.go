package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/internal/testutil"
	"github.com/appconnector/appconnector/ports"
)

const adminToken = "test-admin-token-0123456789"

type env struct {
	url     string
	server  *httpapi.Server
	apps    ports.ApplicationRepository
	secrets ports.SecretStore
	logs    *testutil.SyncBuffer
}

// panicRoutes is a sub-API as other areas mount one; /boom panics.
type panicRoutes struct{}

func (panicRoutes) Register(g *echo.Group) {
	g.GET("/:application/v1/extra", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"application": c.Param("application")})
	})
	g.GET("/boom", func(echo.Context) error { panic("kaboom") })
	g.GET("/teapot", func(echo.Context) error { return echo.NewHTTPError(http.StatusTeapot, "short and stout") })
}

func newEnv(t *testing.T, mutate ...func(*httpapi.Config, ports.ApplicationRepository, ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore)) *env {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := httpapi.Config{AdminToken: adminToken}
	var apps ports.ApplicationRepository = memory.NewApplicationRepository()
	var secrets ports.SecretStore = memory.NewSecretStore()
	for _, m := range mutate {
		apps, secrets = m(&cfg, apps, secrets)
	}
	srv := httpapi.NewServer(cfg, registry.NewService(apps, secrets, logger), logger, httpapi.ExtraRoutes{panicRoutes{}})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{url: ts.URL, server: srv, apps: apps, secrets: secrets, logs: logs}
}

type response struct {
	status int
	header http.Header
	body   string
}

// errorBody decodes the shared JSON error body.
func (r response) errorBody(t *testing.T) (int, string) {
	t.Helper()
	require.Equal(t, "application/json;charset=UTF-8", r.header.Get("Content-Type"), r.body)
	var b struct {
		Code  int    `json:"code"`
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &b), r.body)
	return b.Code, b.Error
}

type request struct {
	method  string
	path    string
	body    string
	headers map[string]string
	noAuth  bool
}

func (e *env) do(t *testing.T, r request) response {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(context.Background(), r.method, e.url+r.path, body)
	require.NoError(t, err)
	if !r.noAuth {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}
