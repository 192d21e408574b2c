package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/httpapi/client"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/ports"
)

func newCompassServer(t *testing.T, store ports.CompassConnectionStore) *client.Client {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := registry.NewService(memory.NewApplicationRepository(), memory.NewSecretStore(), logger)
	cfg := httpapi.Config{AdminToken: token, CompassConnections: store}
	ts := httptest.NewServer(httpapi.NewServer(cfg, reg, logger, nil).Handler())
	t.Cleanup(ts.Close)
	c, err := client.New(ts.URL, token)
	require.NoError(t, err)
	return c
}

func TestCompassConnectionClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memory.NewCompassConnectionStore()
	c := newCompassServer(t, store)

	_, err := c.CompassConnection(ctx)
	require.ErrorIs(t, err, client.ErrNotFound)
	assert.Contains(t, err.Error(), "no CompassConnection yet")

	notAfter := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	created, err := store.Create(ctx, compass.Connection{
		Spec: compass.Spec{ManagementInfo: compass.ManagementInfo{ConnectorURL: "https://c.example/graphql", DirectorURL: "https://d.example/graphql"}},
		Status: compass.Status{
			ConnectionState:  compass.StateConnected,
			ConnectionStatus: &compass.ConnectionStatus{CertificateStatus: compass.CertificateStatus{NotAfter: &notAfter}},
		},
	})
	require.NoError(t, err)

	got, err := c.CompassConnection(ctx)
	require.NoError(t, err)
	assert.Equal(t, created, got, "every field survives the wire")

	yes, no := true, false
	patched, err := c.PatchCompassConnection(ctx, &yes, nil)
	require.NoError(t, err)
	assert.True(t, patched.Spec.ResyncNow)
	assert.False(t, patched.Spec.RefreshCredentialsNow)
	assert.Equal(t, created.Spec.ManagementInfo, patched.Spec.ManagementInfo)

	patched, err = c.PatchCompassConnection(ctx, &no, &yes)
	require.NoError(t, err)
	assert.False(t, patched.Spec.ResyncNow, "a pointer to false is sent, not left out")
	assert.True(t, patched.Spec.RefreshCredentialsNow)
	stored, err := store.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, stored, patched)

	_, err = c.PatchCompassConnection(ctx, nil, nil)
	require.ErrorIs(t, err, client.ErrInvalid)

	require.NoError(t, c.DeleteCompassConnection(ctx))
	_, err = store.Get(ctx)
	require.ErrorIs(t, err, compass.ErrNotFound)
	require.ErrorIs(t, c.DeleteCompassConnection(ctx), client.ErrNotFound)
	_, err = c.PatchCompassConnection(ctx, &yes, nil)
	require.ErrorIs(t, err, client.ErrNotFound)
}

func TestCompassConnectionClientModeOff(t *testing.T) {
	t.Parallel()
	c := newCompassServer(t, nil)
	_, err := c.CompassConnection(context.Background())
	require.ErrorIs(t, err, client.ErrNotFound)
	assert.Contains(t, err.Error(), "Compass mode is off: start with --compass")
}

func TestCompassConnectionDocumentRoundTrip(t *testing.T) {
	t.Parallel()
	c := compass.Connection{Name: compass.ConnectionName, UID: "u", ResourceVersion: "3", Spec: compass.Spec{ResyncNow: true}}
	d := client.NewCompassConnectionDocument(c)
	assert.Equal(t, "compass.kyma-project.io/v1alpha1", d.APIVersion)
	assert.Equal(t, "CompassConnection", d.Kind)
	assert.Equal(t, c, d.Connection())
	assert.Equal(t, compass.ConnectionName, client.NewCompassConnectionDocument(compass.Connection{}).Metadata.Name)
}
