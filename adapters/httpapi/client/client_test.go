package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/httpapi/client"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

const token = "client-test-token"

func newServer(t *testing.T) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := registry.NewService(memory.NewApplicationRepository(), memory.NewSecretStore(), logger)
	ts := httptest.NewServer(httpapi.NewServer(httpapi.Config{AdminToken: token}, reg, logger, nil).Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestClientRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := client.New(newServer(t)+"/", token)
	require.NoError(t, err)

	app := application.Application{Name: "orders", Labels: map[string]string{"a": "b"}, Spec: application.Spec{
		Description: "d",
		Services: []application.Service{{ID: "1", Name: "orders-api", DisplayName: "Orders API", Entries: []application.Entry{{
			Type: application.EntryTypeAPI, TargetURL: "http://127.0.0.1:9000",
			Credentials: &application.Credentials{Type: application.CredentialBasic, SecretName: "orders-basic"},
		}}}},
	}}
	stored, created, err := c.ApplyApplication(ctx, app)
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEmpty(t, stored.ResourceVersion)
	_, created, err = c.ApplyApplication(ctx, app)
	require.NoError(t, err)
	assert.False(t, created)

	got, err := c.GetApplication(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, app.Spec, got.Spec)
	assert.Equal(t, app.Labels, got.Labels)

	apps, err := c.ListApplications(ctx)
	require.NoError(t, err)
	require.Len(t, apps, 1)
	assert.Equal(t, "orders", apps[0].Name)

	sec := credential.Secret{Name: "orders-basic", Data: map[string][]byte{"username": []byte("u"), "password": []byte("p\x00\xff")}}
	view, created, err := c.ApplySecret(ctx, sec)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, []string{"password", "username"}, view.Keys)

	view, err = c.GetSecret(ctx, "orders-basic")
	require.NoError(t, err)
	assert.Equal(t, "orders-basic", view.Metadata.Name)
	views, err := c.ListSecrets(ctx)
	require.NoError(t, err)
	require.Len(t, views, 1)

	require.NoError(t, c.DeleteSecret(ctx, "orders-basic"))
	require.NoError(t, c.DeleteApplication(ctx, "orders"))
	apps, err = c.ListApplications(ctx)
	require.NoError(t, err)
	assert.Empty(t, apps)
}

func TestClientErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := newServer(t)
	c, err := client.New(url, token)
	require.NoError(t, err)

	_, err = c.GetApplication(ctx, "absent")
	require.ErrorIs(t, err, client.ErrNotFound)
	var ce *client.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusNotFound, ce.StatusCode)
	assert.Equal(t, "get application absent: application not found", ce.Message)
	assert.EqualError(t, err, "server answered 404 Not Found: get application absent: application not found")

	err = c.DeleteSecret(ctx, "absent")
	assert.ErrorIs(t, err, client.ErrNotFound)

	_, _, err = c.ApplyApplication(ctx, application.Application{Name: "Bad_Name"})
	assert.ErrorIs(t, err, client.ErrInvalid)

	stored, _, err := c.ApplyApplication(ctx, application.Application{Name: "a"})
	require.NoError(t, err)
	_, _, err = c.ApplyApplication(ctx, stored)
	require.NoError(t, err)
	_, _, err = c.ApplyApplication(ctx, stored)
	assert.ErrorIs(t, err, client.ErrConflict)

	_, err = c.GetApplication(ctx, "")
	assert.ErrorIs(t, err, client.ErrInvalid)

	bad, err := client.New(url, "wrong")
	require.NoError(t, err)
	_, err = bad.ListSecrets(ctx)
	assert.ErrorIs(t, err, client.ErrUnauthorized)
	assert.NotContains(t, err.Error(), "wrong")
}

func TestClientNonJSONError(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway from a proxy", http.StatusBadGateway)
	}))
	defer ts.Close()
	c, err := client.New(ts.URL, token)
	require.NoError(t, err)
	_, err = c.ListApplications(context.Background())
	var ce *client.Error
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusBadGateway, ce.StatusCode)
	assert.Equal(t, "bad gateway from a proxy", ce.Message)
}

func TestNewRejectsBadAddresses(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "127.0.0.1:8081", "ftp://x", "http://", "://x"} {
		_, err := client.New(u, token)
		assert.Error(t, err, u)
	}
}

func TestClientConnectionRefused(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	c, err := client.New(url, token)
	require.NoError(t, err)
	_, err = c.ListApplications(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GET /v1/applications")
	assert.NotContains(t, err.Error(), token)
}
