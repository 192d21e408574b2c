package metadataapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/metadata"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/domain/application"
)

// The handler is one of the management server's sub-APIs.
var _ httpapi.Routes = (*Handler)(nil)

// TestMountedOnTheManagementServer checks the handler behind the real management API:
// the admin token is required, and the registry's answers pass through unchanged.
func TestMountedOnTheManagementServer(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
	_, _, err := apps.Put(context.Background(), application.Application{Name: appName})
	require.NoError(t, err)
	svc := metadata.NewService(apps, secrets, metadata.Config{}, logger)
	srv := httpapi.NewServer(httpapi.Config{AdminToken: "t0ken"}, registry.NewService(apps, secrets, logger), logger,
		httpapi.ExtraRoutes{New(svc, logger)})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	call := func(method, path, token, body string) (int, string) {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}

	path := "/" + appName + "/v1/metadata/services"
	status, _ := call(http.MethodGet, path, "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = call(http.MethodGet, path, "wrong", "")
	assert.Equal(t, http.StatusUnauthorized, status)

	status, body := call(http.MethodPost, path, "t0ken",
		`{"provider":"p","name":"Orders","description":"d","api":{"targetUrl":"https://o.example.com"}}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"id":"`)

	status, body = call(http.MethodGet, "/ghost/v1/metadata/services", "t0ken", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"code":404,"error":"Application ghost not found"}`, body)

	status, body = call(http.MethodGet, path+"/", "t0ken", "")
	assert.Equal(t, http.StatusOK, status, "a trailing slash is tolerated: %s", body)

	// The management API's own routes are unaffected.
	status, _ = call(http.MethodGet, "/v1/applications/"+appName, "t0ken", "")
	assert.Equal(t, http.StatusOK, status)
	status, _ = call(http.MethodGet, "/v1/health", "", "")
	assert.Equal(t, http.StatusOK, status)
}
