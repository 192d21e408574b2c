package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
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

// newCompassServer is newServer in Compass mode (store not nil) or not.
func newCompassServer(t *testing.T, store ports.CompassConnectionStore) server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
	cfg := httpapi.Config{AdminToken: testToken, CompassConnections: store}
	ts := httptest.NewServer(httpapi.NewServer(cfg, registry.NewService(apps, secrets, logger), logger, nil).Handler())
	t.Cleanup(ts.Close)
	return server{url: ts.URL, apps: apps, secrets: secrets}
}

func ptr(t time.Time) *time.Time { return &t }

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// agentConnection is what the agent stores after pairing and a round with one
// failed Application.
func agentConnection() compass.Connection {
	return compass.Connection{
		Spec: compass.Spec{ManagementInfo: compass.ManagementInfo{
			ConnectorURL: "https://compass.example/connector-mtls/graphql",
			DirectorURL:  "https://compass.example/director/graphql",
		}},
		Status: compass.Status{
			ConnectionState: compass.StateResourceApplicationFailed,
			ConnectionStatus: &compass.ConnectionStatus{
				Established: ptr(t0), LastSync: ptr(t0.Add(10 * time.Minute)), LastSuccess: ptr(t0.Add(10 * time.Minute)),
				CertificateStatus: compass.CertificateStatus{Acquired: ptr(t0), NotBefore: ptr(t0), NotAfter: ptr(t0.Add(90 * 24 * time.Hour))},
			},
			SynchronizationStatus: &compass.SynchronizationStatus{
				LastAttempt: ptr(t0.Add(10 * time.Minute)), LastSuccessfulFetch: ptr(t0.Add(10 * time.Minute)),
				LastSuccessfulApplication: ptr(t0.Add(5 * time.Minute)),
				Error:                     "1 of 3 Applications failed",
				Applications:              2,
				FailedApplications: map[string]string{
					"mp-crm":    "an Application of that name exists and is not managed by Compass",
					"mp-orders": "duplicate name after normalisation (Orders, orders)",
				},
			},
		},
	}
}

func TestCompassStatusText(t *testing.T) {
	t.Parallel()
	now := t0.Add(12 * time.Minute)
	var b bytes.Buffer
	require.NoError(t, printCompassStatus(&b, agentConnection(), now))
	assert.Equal(t, ""+
		"State:                        ResourceApplicationFailed\n"+
		"Connector:                    https://compass.example/connector-mtls/graphql\n"+
		"Director:                     https://compass.example/director/graphql\n"+
		"Certificate:                  2025-03-01T10:00:00Z .. 2025-05-30T10:00:00Z (89d23h left)\n"+
		"Certificate acquired:         2025-03-01T10:00:00Z (12m0s ago)\n"+
		"Established:                  2025-03-01T10:00:00Z (12m0s ago)\n"+
		"Renewed:                      never\n"+
		"Last sync:                    2025-03-01T10:10:00Z (2m0s ago)\n"+
		"Last success:                 2025-03-01T10:10:00Z (2m0s ago)\n"+
		"Last sync attempt:            2025-03-01T10:10:00Z (2m0s ago)\n"+
		"Last successful fetch:        2025-03-01T10:10:00Z (2m0s ago)\n"+
		"Last successful application:  2025-03-01T10:05:00Z (7m0s ago)\n"+
		"Applications synced:          2\n"+
		"Failed applications:          2\n"+
		"  mp-crm:                     an Application of that name exists and is not managed by Compass\n"+
		"  mp-orders:                  duplicate name after normalisation (Orders, orders)\n"+
		"Synchronization error:        1 of 3 Applications failed\n", b.String())

	// Expired, a connection error, flags pending, no sync yet.
	c := agentConnection()
	c.Status.ConnectionState = compass.StateConnectionFailed
	c.Status.ConnectionStatus.Error = "certificate expired: put a new one-time token into Secret compass-agent-configuration"
	c.Status.SynchronizationStatus = nil
	c.Spec.ResyncNow, c.Spec.RefreshCredentialsNow = true, true
	b.Reset()
	require.NoError(t, printCompassStatus(&b, c, t0.Add(91*24*time.Hour+3*time.Hour)))
	out := b.String()
	assert.Contains(t, out, "State:                        ConnectionFailed\n")
	assert.Contains(t, out, "(expired 1d3h ago)\n")
	assert.Contains(t, out, "Last sync attempt:            never\n")
	assert.Contains(t, out, "Applications synced:          0\n")
	assert.Contains(t, out, "Connection error:             certificate expired: put a new one-time token into Secret compass-agent-configuration\n")
	assert.NotContains(t, out, "Synchronization error")
	assert.Contains(t, out, "Requested:                    resync, certificate renewal (at the agent's next round)\n")

	// Just created by the agent: nothing but a state.
	b.Reset()
	require.NoError(t, printCompassStatus(&b, compass.Connection{Name: compass.ConnectionName}, now))
	out = b.String()
	assert.Contains(t, out, "State:                        unknown (the agent has not written a state yet)\n")
	assert.Contains(t, out, "Certificate:                  none yet\n")
	assert.Contains(t, out, "Connector:                    -\n")
	assert.Contains(t, out, "Last error:                   none\n")
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0:                                  "0s",
		1500 * time.Millisecond:            "1s",
		59 * time.Second:                   "59s",
		61 * time.Second:                   "1m1s",
		2*time.Hour + 5*time.Minute:        "2h5m",
		24 * time.Hour:                     "1d0h",
		89*24*time.Hour + 23*time.Hour + 1: "89d23h",
	} {
		assert.Equal(t, want, humanDuration(d), d.String())
	}
}

func TestCompassCommands(t *testing.T) {
	t.Parallel()
	store := memory.NewCompassConnectionStore()
	s := newCompassServer(t, store)
	ctx := context.Background()

	r := s.appctl(t, "", "compass", "status")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "error: server answered 404 Not Found: no CompassConnection yet: apply the compass-agent-configuration Secret; the agent pairs at its next round\n", r.stderr)

	_, err := store.Create(ctx, agentConnection())
	require.NoError(t, err)

	r = s.appctl(t, "", "compass", "status")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "State:                        ResourceApplicationFailed\n")
	assert.Contains(t, r.stdout, "Director:                     https://compass.example/director/graphql\n")
	assert.Contains(t, r.stdout, "Certificate:                  2025-03-01T10:00:00Z .. 2025-05-30T10:00:00Z (expired ")
	assert.Contains(t, r.stdout, "  mp-orders:                  duplicate name after normalisation (Orders, orders)\n")
	assert.NotContains(t, r.stdout, "Requested:")

	r = s.appctl(t, "", "compass", "status", "-o", "yaml")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "apiVersion: compass.kyma-project.io/v1alpha1\nkind: CompassConnection\nmetadata:\n"), r.stdout)
	assert.Contains(t, r.stdout, "connectionState: ResourceApplicationFailed\n")

	r = s.appctl(t, "", "compass", "status", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var doc client.CompassConnectionDocument
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	stored, err := store.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, stored, doc.Connection())

	r = s.appctl(t, "", "compass", "resync")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "compassconnection.compass.kyma-project.io/compass-connection resync requested (spec.resyncNow): the agent syncs at its next round\n", r.stdout)
	stored, err = store.Get(ctx)
	require.NoError(t, err)
	assert.True(t, stored.Spec.ResyncNow)
	assert.False(t, stored.Spec.RefreshCredentialsNow)

	r = s.appctl(t, "", "compass", "renew")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "certificate renewal requested (spec.refreshCredentialsNow)")
	stored, err = store.Get(ctx)
	require.NoError(t, err)
	assert.True(t, stored.Spec.RefreshCredentialsNow)
	assert.True(t, stored.Spec.ResyncNow, "renew keeps the pending resync")

	r = s.appctl(t, "", "compass", "status")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Requested:                    resync, certificate renewal (at the agent's next round)\n")

	r = s.appctl(t, "", "get", "compassconnection")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, ""+
		"NAME                 STATE                       CERTIFICATE EXPIRES    LAST SYNC              APPLICATIONS   FAILED\n"+
		"compass-connection   ResourceApplicationFailed   2025-05-30T10:00:00Z   2025-03-01T10:10:00Z   2              2\n", r.stdout)
	r = s.appctl(t, "", "get", "compassconnections", "compass-connection", "-o", "name")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "compassconnection.compass.kyma-project.io/compass-connection\n", r.stdout)
	r = s.appctl(t, "", "get", "compassconnection", "-o", "yaml")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "kind: CompassConnection\n")
	assert.Contains(t, r.stdout, "resyncNow: true\n")
	r = s.appctl(t, "", "get", "compassconnection", "other")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "error: compassconnection \"other\" not found: the only one is compass-connection\n", r.stderr)

	r = s.appctl(t, "", "compass", "reset")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "compassconnection.compass.kyma-project.io/compass-connection deleted: the agent pairs again at its next round "+
		"with the token of Secret compass-agent-configuration (a token works once: put a fresh one there first)\n", r.stdout)
	_, err = store.Get(ctx)
	require.ErrorIs(t, err, compass.ErrNotFound)

	for _, args := range [][]string{{"compass", "reset"}, {"compass", "resync"}, {"compass", "renew"}, {"get", "compassconnection"}} {
		r = s.appctl(t, "", args...)
		assert.Equal(t, 1, r.code, args)
		assert.Contains(t, r.stderr, "error: server answered 404 Not Found: no CompassConnection yet", args)
	}
}

func TestCompassCommandErrors(t *testing.T) {
	t.Parallel()
	s := newCompassServer(t, nil)
	for name, tc := range map[string]struct {
		args   []string
		stderr string
	}{
		"mode off":        {args: []string{"compass", "status"}, stderr: "error: server answered 404 Not Found: Compass mode is off: start with --compass\n"},
		"mode off, reset": {args: []string{"compass", "reset"}, stderr: "error: server answered 404 Not Found: Compass mode is off: start with --compass\n"},
		"no command":      {args: []string{"compass"}, stderr: "error: specify a command: renew, reset, resync, status\n"},
		"unknown command": {args: []string{"compass", "pair"}, stderr: "error: unknown command \"pair\" for \"appctl compass\": use renew, reset, resync, status\n"},
		"bad output":      {args: []string{"compass", "status", "-o", "xml"}, stderr: "error: --output: unknown output format \"xml\": use json or yaml (or name)\n"},
		"extra argument":  {args: []string{"compass", "resync", "now"}, stderr: "error: unknown command \"now\" for \"appctl compass resync\"\n"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := s.appctl(t, "", tc.args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Equal(t, tc.stderr, r.stderr)
		})
	}
}

// TestApplyCompassAgentConfiguration: the configuration Secret is an ordinary Secret,
// applied as on Kyma (stringData included) and stored with its four keys.
func TestApplyCompassAgentConfiguration(t *testing.T) {
	t.Parallel()
	s := newCompassServer(t, memory.NewCompassConnectionStore())
	const secret = `apiVersion: v1
kind: Secret
metadata:
  name: compass-agent-configuration
  namespace: kyma-system
type: Opaque
stringData:
  CONNECTOR_URL: https://compass.example/connector/graphql
  TOKEN: one-time-token-0123456789
  RUNTIME_ID: 4f6f1e4e-9b7b-4f7e-8a3a-2d2f1f0c1a11
  TENANT: 3e64ebae-38b5-46a0-b1ed-9ccee153a0ae
`
	r := s.appctl(t, secret, "apply", "-f", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "secret/compass-agent-configuration created\n", r.stdout)

	stored, err := s.secrets.Get(context.Background(), compass.ConfigurationSecretName)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{
		compass.ConfigKeyConnectorURL: []byte("https://compass.example/connector/graphql"),
		compass.ConfigKeyToken:        []byte("one-time-token-0123456789"),
		compass.ConfigKeyRuntimeID:    []byte("4f6f1e4e-9b7b-4f7e-8a3a-2d2f1f0c1a11"),
		compass.ConfigKeyTenant:       []byte("3e64ebae-38b5-46a0-b1ed-9ccee153a0ae"),
	}, stored.Data)

	r = s.appctl(t, "", "get", "secret", compass.ConfigurationSecretName)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "CONNECTOR_URL,RUNTIME_ID,TENANT,TOKEN")
	assert.NotContains(t, r.stdout, "one-time-token")

	// A new token replaces the old one (what a user does before appctl compass reset).
	r = s.appctl(t, strings.Replace(secret, "one-time-token-0123456789", "fresh-token-9876543210", 1), "apply", "-f", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "secret/compass-agent-configuration configured\n", r.stdout)
	stored, err = s.secrets.Get(context.Background(), compass.ConfigurationSecretName)
	require.NoError(t, err)
	assert.Equal(t, "fresh-token-9876543210", string(stored.Data[compass.ConfigKeyToken]))
}
