package metadataapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httperr"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/metadata"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

const appName = "mp-sales"

// errStorage carries text that must never reach a client.
var errStorage = errors.New("storage broken at /var/lib/secret.db password=hunter2")

// flakyApps fails on demand, to reach the 500 paths through a real server.
type flakyApps struct {
	ports.ApplicationRepository
	failGet, failUpdate atomic.Bool
}

func (f *flakyApps) Get(ctx context.Context, name string) (application.Application, error) {
	if f.failGet.Load() {
		return application.Application{}, errStorage
	}
	return f.ApplicationRepository.Get(ctx, name)
}

func (f *flakyApps) Update(ctx context.Context, name string, fn func(*application.Application) error) (application.Application, error) {
	if f.failUpdate.Load() {
		return application.Application{}, errStorage
	}
	return f.ApplicationRepository.Update(ctx, name, fn)
}

type flakySecrets struct {
	ports.SecretStore
	failPut, failGet, failDelete atomic.Bool
}

func (f *flakySecrets) Put(ctx context.Context, s credential.Secret) (credential.Secret, bool, error) {
	if f.failPut.Load() {
		return credential.Secret{}, false, errStorage
	}
	return f.SecretStore.Put(ctx, s)
}

func (f *flakySecrets) Get(ctx context.Context, name string) (credential.Secret, error) {
	if f.failGet.Load() {
		return credential.Secret{}, errStorage
	}
	return f.SecretStore.Get(ctx, name)
}

func (f *flakySecrets) Delete(ctx context.Context, name string) error {
	if f.failDelete.Load() {
		return errStorage
	}
	return f.SecretStore.Delete(ctx, name)
}

type env struct {
	url     string
	apps    *flakyApps
	secrets *flakySecrets
	client  *http.Client
}

// newEnv serves the handler on a loopback HTTP server over the memory stores, with one
// Application "mp-sales" and one named "v1" (whose paths share a prefix with the
// management API's own routes).
func newEnv(t *testing.T) *env {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	apps := &flakyApps{ApplicationRepository: memory.NewApplicationRepository()}
	secrets := &flakySecrets{SecretStore: memory.NewSecretStore()}
	for _, name := range []string{appName, "v1"} {
		_, _, err := apps.Put(context.Background(), application.Application{Name: name})
		require.NoError(t, err)
	}
	svc := metadata.NewService(apps, secrets, metadata.Config{CentralGatewayURL: "http://gateway.test:8080"}, logger)

	e := echo.New()
	e.HideBanner = true
	// Routes of the management API that share path prefixes with the registry's.
	e.GET("/v1/health", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.GET("/v1/applications/:name", func(c echo.Context) error { return c.String(http.StatusTeapot, "management") })
	New(svc, logger).Register(e.Group(""))

	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{
		url: srv.URL, apps: apps, secrets: secrets,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends body (a string is sent as is, anything else as JSON).
func (e *env) do(t *testing.T, method, path string, body any) response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.url+path, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// requireError checks a {"code","error"} body.
func requireError(t *testing.T, r response, status int, msg string) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	assert.Equal(t, httperr.ContentType, r.header.Get("Content-Type"))
	var b httperr.Body
	require.NoError(t, json.Unmarshal(r.body, &b), "body: %s", r.body)
	assert.Equal(t, status, b.Code)
	assert.Equal(t, msg, b.Error)
	assert.NotContains(t, string(r.body), "hunter2")
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

func basicDetails() map[string]any {
	return map[string]any{
		"provider":    "SAP",
		"name":        "Sales Orders",
		"description": "Orders API",
		"identifier":  "ext-1",
		"labels":      map[string]string{"team": "a"},
		"api": map[string]any{
			"targetUrl": "https://orders.example.com/api",
			"apiType":   "odata",
			"spec":      map[string]any{"swagger": "2.0"},
			"credentials": map[string]any{"basic": map[string]any{
				"username": "alice", "password": "s3cret",
				"csrfInfo": map[string]any{"tokenEndpointURL": "https://orders.example.com/csrf"},
			}},
			"requestParameters": map[string]any{
				"headers":         map[string][]string{"X-Api-Key": {"key-123"}},
				"queryParameters": map[string][]string{"sap-client": {"100"}},
			},
		},
		"events": map[string]any{"spec": map[string]any{"asyncapi": "2.0.0"}},
	}
}

func (e *env) register(t *testing.T, app string, details any) string {
	t.Helper()
	r := e.do(t, http.MethodPost, "/"+app+"/v1/metadata/services", details)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	return decode[CreateServiceResponse](t, r).ID
}
