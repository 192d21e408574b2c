package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httpapi/client"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/compassdouble"
	"github.com/appconnector/appconnector/internal/testutil"
)

// The acceptance tests of Compass mode in the all-in-one process with the embedded
// store (issue 11): the real Compass double over TLS, appconnector --compass started
// in-process on loopback ports, driven only through the management API, the gateway's
// Compass listener, the validator listener and the double's hooks.

const (
	compassRuntimeID  = "my-runtime"
	compassTenant     = "my-tenant"
	compassEventsURL  = "https://events.runtime.example.com"
	compassConsoleURL = "https://console.runtime.example.com"

	// The Director Application of the sync tests and what the agent makes of it
	// (docs/compass.md: the name is normalised to mp-<name>, Secrets <app>-<bundleID>
	// and params-<app>-<bundleID>).
	ordersAppID      = "app-1"
	ordersApp        = "mp-orders"
	ordersCredSecret = "mp-orders-b1"
	ordersParams     = "params-mp-orders-b1"
	ordersUser       = "shop-user"
	ordersPassword   = "first-Pa55word-0f-orders"
	ordersPassword2  = "second-Pa55word-0f-orders"
)

// compassRig is one Compass double and one appconnector --compass process on a data
// dir that survives restarts.
type compassRig struct {
	t      *testing.T
	double *compassdouble.Double
	caFile string
	dir    string
	args   []string
	logs   *testutil.SyncBuffer

	addrs map[string]string
	stop  func()
	api   *client.Client
}

// newCompassRig starts a double with cfg (one runtime registered) and appconnector in
// Compass mode against it, with the agent's periods and any extra flags in args.
func newCompassRig(t *testing.T, cfg compassdouble.Config, args ...string) *compassRig {
	t.Helper()
	d, err := compassdouble.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	d.AddRuntime(compassRuntimeID, "my runtime", compassTenant)
	caFile := filepath.Join(t.TempDir(), "compass-ca.pem")
	require.NoError(t, os.WriteFile(caFile, d.CACertPEM(), 0o600))
	r := &compassRig{t: t, double: d, caFile: caFile, dir: t.TempDir(), args: args, logs: &testutil.SyncBuffer{}}
	r.start()
	return r
}

// fastCompass are the periods of most tests: a round every 200 ms.
var fastCompass = []string{"--compass-sync-period", "200ms", "--compass-min-sync-time", "50ms"}

// triggeredCompass: no periodic round within a test's life, and no rate limit worth
// the name, so every round is the one a test triggers (a Secret change or a PATCH) and
// a state stays until the test acts.
var triggeredCompass = []string{"--compass-sync-period", "1h", "--compass-min-sync-time", "1ms"}

func (r *compassRig) start() {
	r.t.Helper()
	args := append([]string{"--data-dir", r.dir, "--compass", "--compass-ca", r.caFile,
		"--runtime-events-url", compassEventsURL, "--runtime-console-url", compassConsoleURL}, r.args...)
	addrs, stop := startAppLogging(r.t, nil, r.logs, args...)
	var once sync.Once
	r.stop = func() { once.Do(stop) }
	r.t.Cleanup(r.stop)
	r.addrs = addrs
	api, err := client.New("http://"+addrs[serverAPI], readToken(r.t, r.dir))
	require.NoError(r.t, err)
	r.api = api
}

// restart stops the process and starts it again on the same data dir; between the
// two, inspect (when not nil) reads the stopped process's store.
func (r *compassRig) restart(inspect func(secrets func(name string) credential.Secret)) {
	r.t.Helper()
	r.stop()
	if inspect != nil {
		set, closeStore, err := storage.OpenEmbedded(storage.DataDir(r.dir), slog.New(slog.DiscardHandler))
		require.NoError(r.t, err)
		store, err := storage.ProvideSecrets(set)
		require.NoError(r.t, err)
		inspect(func(name string) credential.Secret {
			s, err := store.Get(context.Background(), name)
			require.NoError(r.t, err, "Secret %s", name)
			return s
		})
		closeStore()
	}
	r.start()
}

// storedSecret reads one Secret of the stopped-and-restarted process's store: the
// management API never shows values, so this is the only way to the runtime's key and
// certificate. It restarts the process.
func (r *compassRig) storedSecret(name string) credential.Secret {
	r.t.Helper()
	var s credential.Secret
	r.restart(func(get func(string) credential.Secret) { s = get(name) })
	return s
}

// in is the rig for a subtest: its failures are the subtest's.
func (r *compassRig) in(t *testing.T) *compassRig {
	c := *r
	c.t = t
	return &c
}

// configure applies the configuration Secret with token, as a user does with appctl.
func (r *compassRig) configure(token string) {
	r.t.Helper()
	_, _, err := r.api.ApplySecret(context.Background(), credential.Secret{Name: compass.ConfigurationSecretName, Data: map[string][]byte{
		compass.ConfigKeyConnectorURL: []byte(r.double.ConnectorURL()),
		compass.ConfigKeyToken:        []byte(token),
		compass.ConfigKeyRuntimeID:    []byte(compassRuntimeID),
		compass.ConfigKeyTenant:       []byte(compassTenant),
	}})
	require.NoError(r.t, err)
}

// pair gives the agent a fresh one-time token and waits for Synchronized.
func (r *compassRig) pair() compass.Connection {
	r.t.Helper()
	r.configure(r.double.NewRuntimeToken(compassRuntimeID))
	return r.waitState(compass.StateSynchronized, 20*time.Second)
}

func (r *compassRig) connection() (compass.Connection, error) {
	return r.api.CompassConnection(context.Background())
}

// waitConnection polls the connection until cond holds.
func (r *compassRig) waitConnection(what string, timeout time.Duration, cond func(compass.Connection) bool) compass.Connection {
	r.t.Helper()
	var c compass.Connection
	eventually(r.t, timeout, what, func() (bool, string) {
		var err error
		c, err = r.connection()
		if err != nil {
			return false, err.Error()
		}
		return cond(c), describe(c)
	})
	return c
}

func (r *compassRig) waitState(s compass.State, timeout time.Duration) compass.Connection {
	r.t.Helper()
	return r.waitConnection("state "+string(s), timeout, func(c compass.Connection) bool { return c.Status.ConnectionState == s })
}

func (r *compassRig) patch(resync, refresh *bool) {
	r.t.Helper()
	_, err := r.api.PatchCompassConnection(context.Background(), resync, refresh)
	require.NoError(r.t, err)
}

// waitRounds waits until the agent has read the Director's applications n more times:
// that many complete fetches, whatever else the rounds did.
func (r *compassRig) waitRounds(n int) {
	r.t.Helper()
	from := r.double.Calls("applicationsForRuntime")
	eventually(r.t, 10*time.Second, fmt.Sprintf("%d more rounds", n), func() (bool, string) {
		got := r.double.Calls("applicationsForRuntime") - from
		return got >= n, fmt.Sprintf("%d rounds", got)
	})
}

func (r *compassRig) application(name string) (application.Application, error) {
	return r.api.GetApplication(context.Background(), name)
}

func (r *compassRig) secretKeys(name string) ([]string, error) {
	v, err := r.api.GetSecret(context.Background(), name)
	return v.Keys, err
}

// requests counts the requests to path with the root field operation, whether the
// double answered or refused them.
func (r *compassRig) requests(path, operation string) int {
	n := 0
	for _, req := range r.double.Requests() {
		if req.Path == path && slices.Contains(req.Operations, operation) {
			n++
		}
	}
	return n
}

// pairings counts the configuration queries with a one-time token: the pairings tried.
func (r *compassRig) pairings() int {
	return r.requests(compassdouble.ConnectorPath, "configuration")
}

var yes, no = ptr(true), ptr(false)

func ptr[T any](v T) *T { return &v }

// eventually polls cond every 20 ms until it holds, failing the test with what cond
// said last when timeout passes first.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.Eventually(t, timeout, what, cond)
}

func describe(c compass.Connection) string {
	b, _ := json.Marshal(struct {
		Spec   compass.Spec
		Status compass.Status
	}{c.Spec, c.Status})
	return string(b)
}

func connectionError(c compass.Connection) string {
	if c.Status.ConnectionStatus == nil {
		return ""
	}
	return c.Status.ConnectionStatus.Error
}

func syncError(c compass.Connection) string {
	if c.Status.SynchronizationStatus == nil {
		return ""
	}
	return c.Status.SynchronizationStatus.Error
}

// target is the loopback system behind the gateway; it records what reached it.
type target struct {
	*httptest.Server
	mu   sync.Mutex
	last *http.Request
}

func newTarget(t *testing.T) *target {
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.last = r.Clone(context.Background())
		tg.mu.Unlock()
		_, _ = io.WriteString(w, "from the target")
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) lastRequest() *http.Request {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.last
}

// ordersApplication is a Director application with one bundle: a Basic credential with
// an additional header and query parameter, one API at tg and one event definition.
func ordersApplication(tg *target, password string) compass.DirectorApplication {
	return compass.DirectorApplication{
		ID: ordersAppID, Name: "orders", ProviderName: "ACME", Description: "the orders system",
		AuthIDs: []string{"orders-system", "orders-backup"},
		Bundles: []compass.Bundle{{
			ID: "b1", Name: "orders-api", Description: "the orders API",
			APIDefinitions:   []compass.APIDefinition{{ID: "api-1", Name: "orders", TargetURL: tg.URL + "/api"}},
			EventDefinitions: []compass.EventDefinition{{ID: "ev-1", Name: "order events"}},
			DefaultInstanceAuth: &compass.Auth{
				Basic:                 &compass.BasicCredential{Username: ordersUser, Password: password},
				AdditionalHeaders:     map[string][]string{"X-Orders-Tenant": {"acme"}},
				AdditionalQueryParams: map[string][]string{"client": {"runtime"}},
			},
		}},
	}
}

// gatewayURL is the API entry's centralGatewayUrl on the gateway's Compass listener
// (the process listens on port 0, so the host of the written URL is not the real one).
func (r *compassRig) gatewayURL(app application.Application) string {
	r.t.Helper()
	require.Len(r.t, app.Spec.Services, 1)
	for _, e := range app.Spec.Services[0].Entries {
		if e.Type == application.EntryTypeAPI {
			u, err := url.Parse(e.CentralGatewayURL)
			require.NoError(r.t, err)
			return "http://" + r.addrs[serverGatewayCompass] + u.Path
		}
	}
	r.t.Fatalf("no API entry in %+v", app.Spec.Services[0])
	return ""
}

// callThroughGateway GETs path below the entry through the gateway.
func callThroughGateway(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCompassPairing: with a one-time token in the configuration Secret the agent
// pairs, stores the runtime certificate and the CA under Kyma's names, reports the
// runtime labels, and reaches Synchronized; every Director call carries the tenant
// and an x-request-id of the runtime.
func TestCompassPairing(t *testing.T) {
	r := newCompassRig(t, compassdouble.Config{}, fastCompass...)

	// Before the Secret exists the agent says what it lacks.
	r.waitConnection("ConnectionFailed naming the missing Secret", 10*time.Second, func(c compass.Connection) bool {
		return c.Status.ConnectionState == compass.StateConnectionFailed && strings.Contains(connectionError(c), compass.ConfigurationSecretName)
	})

	c := r.pair()
	assert.Equal(t, r.double.DirectorURL(), c.Spec.ManagementInfo.DirectorURL)
	assert.Equal(t, r.double.CertSecuredConnectorURL(), c.Spec.ManagementInfo.ConnectorURL)
	require.NotNil(t, c.Status.ConnectionStatus)
	cs := c.Status.ConnectionStatus
	assert.NotNil(t, cs.Established)
	require.NotNil(t, cs.CertificateStatus.NotAfter)
	assert.WithinDuration(t, time.Now().Add(2160*time.Hour), *cs.CertificateStatus.NotAfter, time.Hour, "the double's 90-day certificate")
	assert.Empty(t, cs.Error)
	assert.Equal(t, 1, r.double.Calls("signCertificateSigningRequest"))

	keys, err := r.secretKeys(compass.ClusterCertificatesSecretName)
	require.NoError(t, err)
	// Kyma's three keys, and the digest of the spent token (never the token).
	assert.Equal(t, []string{"crt", "crtChain", "key", "usedTokenSHA256"}, keys)
	keys, err = r.secretKeys(compass.CACertificatesSecretName)
	require.NoError(t, err)
	assert.Equal(t, []string{"cacert"}, keys)

	eventually(t, 5*time.Second, "runtime labels", func() (bool, string) {
		l := r.double.RuntimeLabels(compassRuntimeID)
		return l["runtime_eventServiceUrl"] == compassEventsURL && l["runtime_consoleUrl"] == compassConsoleURL, fmt.Sprint(l)
	})

	r.waitRounds(2)
	director := 0
	for _, req := range r.double.Requests() {
		assert.True(t, strings.HasPrefix(req.Header.Get("X-Request-Id"), compassRuntimeID+"_"),
			"%s %v: x-request-id %q", req.Path, req.Operations, req.Header.Get("X-Request-Id"))
		if req.Path == compassdouble.ConnectorPath {
			continue
		}
		assert.Empty(t, req.Header.Get(compassdouble.TokenHeader), "%s %v: a token goes only to the token-secured Connector", req.Path, req.Operations)
		if req.Path == compassdouble.DirectorPath {
			director++
			assert.Equal(t, compassTenant, req.Header.Get("Tenant"), "Director call %v", req.Operations)
		}
	}
	assert.GreaterOrEqual(t, director, 4, "a runtime read and an applications read in each of two rounds at least")
}

// TestCompassSync: a Director application becomes an Application with its Secrets, the
// gateway's Compass form reaches its API with the Director's credentials and request
// parameters, a change and a removal in the Director are applied at the next round, and
// an Application registered through the API is never touched.
func TestCompassSync(t *testing.T) {
	r := newCompassRig(t, compassdouble.Config{}, fastCompass...)
	tg := newTarget(t)

	manual, _, err := r.api.ApplyApplication(context.Background(), application.Application{
		Name: "manual-app", Spec: application.Spec{Description: "registered by hand", Labels: map[string]string{"mine": "yes"}},
	})
	require.NoError(t, err)

	r.double.PutApplication(compassRuntimeID, ordersApplication(tg, ordersPassword))
	r.pair()

	var app application.Application
	eventually(t, 10*time.Second, "the Application "+ordersApp, func() (bool, string) {
		app, err = r.application(ordersApp)
		return err == nil, fmt.Sprint(err)
	})
	require.NotNil(t, app.Spec.CompassMetadata)
	assert.Equal(t, ordersAppID, app.Spec.CompassMetadata.ApplicationID)
	assert.Equal(t, []string{"orders-system", "orders-backup"}, app.Spec.CompassMetadata.Authentication.ClientIDs)
	assert.Equal(t, "compass-runtime-agent", app.Labels["applicationconnector.kyma-project.io/managed-by"])
	require.Len(t, app.Spec.Services, 1)
	svc := app.Spec.Services[0]
	assert.Equal(t, "b1", svc.ID)
	var types []string
	for _, e := range svc.Entries {
		types = append(types, e.Type)
		if e.Type == application.EntryTypeAPI {
			require.NotNil(t, e.Credentials)
			assert.Equal(t, application.CredentialBasic, e.Credentials.Type)
			assert.Equal(t, ordersCredSecret, e.Credentials.SecretName)
			assert.Equal(t, ordersParams, e.RequestParametersSecretName)
			assert.Equal(t, tg.URL+"/api", e.TargetURL)
			assert.True(t, strings.HasSuffix(e.CentralGatewayURL, "/mp-orders/orders-api/orders"), e.CentralGatewayURL)
		}
	}
	assert.ElementsMatch(t, []string{application.EntryTypeAPI, application.EntryTypeEvents}, types)
	keys, err := r.secretKeys(ordersCredSecret)
	require.NoError(t, err)
	assert.Equal(t, []string{"password", "username"}, keys)
	keys, err = r.secretKeys(ordersParams)
	require.NoError(t, err)
	assert.Equal(t, []string{"headers", "queryParameters"}, keys)

	gw := r.gatewayURL(app)
	eventually(t, 5*time.Second, "the target through the gateway", func() (bool, string) {
		code, body := callThroughGateway(t, gw, "/items?limit=1")
		return code == http.StatusOK, fmt.Sprint(code, " ", body)
	})
	got := tg.lastRequest()
	require.NotNil(t, got)
	assert.Equal(t, "/api/items", got.URL.Path)
	user, pass, ok := got.BasicAuth()
	assert.True(t, ok, "Basic credentials injected")
	assert.Equal(t, ordersUser, user)
	assert.Equal(t, ordersPassword, pass)
	assert.Equal(t, "acme", got.Header.Get("X-Orders-Tenant"))
	assert.Equal(t, "runtime", got.URL.Query().Get("client"))
	assert.Equal(t, "1", got.URL.Query().Get("limit"))

	// The Director changes the credential: the next round writes it, the gateway uses it.
	r.double.PutApplication(compassRuntimeID, ordersApplication(tg, ordersPassword2))
	eventually(t, 10*time.Second, "the new password at the target", func() (bool, string) {
		code, body := callThroughGateway(t, gw, "/items")
		if code != http.StatusOK {
			return false, fmt.Sprint(code, " ", body)
		}
		_, p, _ := tg.lastRequest().BasicAuth()
		return p == ordersPassword2, "the target saw another password"
	})

	// The Director removes it: the Application and both Secrets go.
	r.double.DeleteApplication(ordersAppID)
	eventually(t, 10*time.Second, "the Application and its Secrets removed", func() (bool, string) {
		_, aerr := r.application(ordersApp)
		_, cerr := r.secretKeys(ordersCredSecret)
		_, perr := r.secretKeys(ordersParams)
		gone := func(err error) bool { return errors.Is(err, client.ErrNotFound) }
		return gone(aerr) && gone(cerr) && gone(perr), fmt.Sprint(aerr, cerr, perr)
	})

	// Rounds later, the hand-made Application is as it was.
	r.waitRounds(3)
	after, err := r.application("manual-app")
	require.NoError(t, err)
	assert.Equal(t, manual.ResourceVersion, after.ResourceVersion, "an Application without compassMetadata is never written")
	assert.Nil(t, after.Spec.CompassMetadata)
	c, err := r.connection()
	require.NoError(t, err)
	assert.Equal(t, compass.StateSynchronized, c.Status.ConnectionState, describe(c))
}

// TestCompassRestart: a restarted process keeps its connection: no new pairing, still
// Synchronized, the Applications still served.
func TestCompassRestart(t *testing.T) {
	r := newCompassRig(t, compassdouble.Config{}, fastCompass...)
	tg := newTarget(t)
	r.double.PutApplication(compassRuntimeID, ordersApplication(tg, ordersPassword))
	before := r.pair()
	eventually(t, 10*time.Second, "the Application "+ordersApp, func() (bool, string) {
		_, err := r.application(ordersApp)
		return err == nil, fmt.Sprint(err)
	})
	signs, pairings := r.double.Calls("signCertificateSigningRequest"), r.pairings()
	require.Equal(t, 1, signs)
	require.Equal(t, 1, pairings)

	r.restart(nil)
	r.waitRounds(3)
	after := r.waitState(compass.StateSynchronized, 5*time.Second)
	assert.Equal(t, signs, r.double.Calls("signCertificateSigningRequest"), "no new certificate after a restart")
	assert.Equal(t, pairings, r.pairings(), "no call to the token-secured Connector after a restart")
	require.NotNil(t, after.Status.ConnectionStatus)
	assert.True(t, before.Status.ConnectionStatus.Established.Equal(*after.Status.ConnectionStatus.Established), "the same connection")
	assert.Equal(t, before.UID, after.UID)

	app, err := r.application(ordersApp)
	require.NoError(t, err)
	code, body := callThroughGateway(t, r.gatewayURL(app), "/after-restart")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, "/api/after-restart", tg.lastRequest().URL.Path)
}

// TestCompassManyApplications: 450 applications, more than four pages of the
// Director's 100, are all synced.
func TestCompassManyApplications(t *testing.T) {
	r := newCompassRig(t, compassdouble.Config{}, fastCompass...)
	const n = 450
	for i := range n {
		r.double.PutApplication(compassRuntimeID, compass.DirectorApplication{
			ID: fmt.Sprintf("id-%03d", i), Name: fmt.Sprintf("system-%03d", i), AuthIDs: []string{fmt.Sprintf("client-%03d", i)},
		})
	}
	r.configure(r.double.NewRuntimeToken(compassRuntimeID))
	c := r.waitConnection("450 Applications synced", 40*time.Second, func(c compass.Connection) bool {
		return c.Status.SynchronizationStatus != nil && c.Status.SynchronizationStatus.Applications == n
	})
	assert.Equal(t, compass.StateSynchronized, c.Status.ConnectionState)
	assert.Empty(t, c.Status.SynchronizationStatus.FailedApplications)
	apps, err := r.api.ListApplications(context.Background())
	require.NoError(t, err)
	managed := 0
	for _, a := range apps {
		if a.Spec.CompassMetadata != nil {
			managed++
		}
	}
	assert.Equal(t, n, managed)
	assert.True(t, slices.ContainsFunc(apps, func(a application.Application) bool { return a.Name == "mp-system-449" }), "the last page too")
	assert.GreaterOrEqual(t, r.double.Calls("applicationsForRuntime"), 5, "five pages of at most 100")
}

// TestCompassRenewal: the certificate is renewed before it expires when less than
// --compass-renewal-threshold of its validity is left, and at once on
// refreshCredentialsNow, which is then reset.
func TestCompassRenewal(t *testing.T) {
	t.Run("threshold", func(t *testing.T) {
		const validity = 6 * time.Second
		r := newCompassRig(t, compassdouble.Config{CertificateValidity: validity},
			append(fastCompass, "--compass-renewal-threshold", "0.5")...)
		first := r.pair()
		firstNotAfter := *first.Status.ConnectionStatus.CertificateStatus.NotAfter
		established := *first.Status.ConnectionStatus.Established
		c := r.waitConnection("a renewal", 2*validity, func(c compass.Connection) bool {
			cs := c.Status.ConnectionStatus
			return cs != nil && cs.Renewed != nil && cs.CertificateStatus.NotAfter != nil && cs.CertificateStatus.NotAfter.After(firstNotAfter)
		})
		cs := c.Status.ConnectionStatus
		assert.Less(t, cs.Renewed.Sub(established), validity, "renewed before the first certificate expired")
		// Certificates have whole seconds: half of 6 s left is renewal at 3 s, give or take one.
		assert.GreaterOrEqual(t, cs.Renewed.Sub(established), 2*time.Second, "not renewed while more than half of the validity was left")
		assert.GreaterOrEqual(t, r.double.Calls("signCertificateSigningRequest"), 2)
		c = r.waitState(compass.StateSynchronized, 5*time.Second)
		assert.Empty(t, connectionError(c))
	})

	t.Run("refreshCredentialsNow", func(t *testing.T) {
		// No periodic round and a 90-day certificate: only the PATCH can renew.
		r := newCompassRig(t, compassdouble.Config{}, triggeredCompass...)
		first := r.pair()
		require.Nil(t, first.Status.ConnectionStatus.Renewed)
		require.Equal(t, 1, r.double.Calls("signCertificateSigningRequest"))
		r.patch(nil, yes)
		c := r.waitConnection("a renewal on refreshCredentialsNow", 10*time.Second, func(c compass.Connection) bool {
			return c.Status.ConnectionStatus != nil && c.Status.ConnectionStatus.Renewed != nil && !c.Spec.RefreshCredentialsNow
		})
		assert.Equal(t, 2, r.double.Calls("signCertificateSigningRequest"))
		assert.False(t, c.Status.ConnectionStatus.CertificateStatus.NotBefore.Before(*first.Status.ConnectionStatus.CertificateStatus.NotBefore))
		assert.Equal(t, compass.StateSynchronized, c.Status.ConnectionState, describe(c))
	})
}

// TestCompassFailureStates: each call the double fails leaves the connection in the
// state of compass.md 1.3 with the double's message in the status, and the agent
// recovers once the double works again.
//
// ResourceApplicationFailed (listing the stored Applications failed) cannot be provoked
// from outside in embedded mode: the embedded store does not fail a list. app/compass's
// tests cover it with a failing repository.
func TestCompassFailureStates(t *testing.T) {
	// Every round is the one the test triggers with resyncNow or refreshCredentialsNow.
	r := newCompassRig(t, compassdouble.Config{}, triggeredCompass...)
	r.pair()

	for _, tc := range []struct {
		operation string
		state     compass.State
		errorOf   func(compass.Connection) string
		trigger   func(r *compassRig) // default: resyncNow
		before    func(r *compassRig)
		after     func(t *testing.T, r *compassRig, c compass.Connection)
	}{
		{operation: "configuration", state: compass.StateConnectionMaintenanceFailed, errorOf: connectionError},
		{operation: "signCertificateSigningRequest", state: compass.StateConnectionMaintenanceFailed, errorOf: connectionError,
			trigger: func(r *compassRig) { r.patch(nil, yes) },
			after: func(t *testing.T, r *compassRig, c compass.Connection) {
				assert.False(t, c.Spec.RefreshCredentialsNow, "reset once the renewal worked")
				assert.NotNil(t, c.Status.ConnectionStatus.Renewed)
			}},
		{operation: "applicationsForRuntime", state: compass.StateSynchronizationFailed, errorOf: syncError},
		// Kyma reads the labels in the same query as the applications, so a failed read
		// is SynchronizationFailed (compass.md 1.7), as docs/compass.md's "the Director
		// could not be read" says.
		{operation: "runtime", state: compass.StateSynchronizationFailed, errorOf: syncError},
		{operation: "setRuntimeLabel", state: compass.StateMetadataUpdateFailed, errorOf: syncError,
			// A label the agent has to set again.
			before: func(r *compassRig) {
				r.double.SetRuntimeLabelValue(compassRuntimeID, "runtime_consoleUrl", "https://somewhere.else")
			},
			after: func(t *testing.T, r *compassRig, c compass.Connection) {
				assert.Equal(t, compassConsoleURL, r.double.RuntimeLabels(compassRuntimeID)["runtime_consoleUrl"])
			}},
	} {
		t.Run(tc.operation, func(t *testing.T) {
			r := r.in(t)
			msg := "the double fails " + tc.operation
			r.double.Fail(tc.operation, msg)
			if tc.before != nil {
				tc.before(r)
			}
			trigger := func(r *compassRig) { r.patch(yes, nil) }
			if tc.trigger != nil {
				trigger = tc.trigger
			}
			calls := r.double.Calls(tc.operation)
			trigger(r)
			c := r.waitConnection(string(tc.state), 10*time.Second, func(c compass.Connection) bool {
				return c.Status.ConnectionState == tc.state && strings.Contains(tc.errorOf(c), msg)
			})
			assert.Greater(t, r.double.Calls(tc.operation), calls)
			assert.Equal(t, tc.state, c.Status.ConnectionState)

			r.double.Heal(tc.operation)
			trigger(r)
			c = r.waitState(compass.StateSynchronized, 10*time.Second)
			assert.Empty(t, connectionError(c))
			assert.Empty(t, syncError(c))
			if tc.after != nil {
				tc.after(t, r, c)
			}
		})
	}
}

// TestCompassPairingFailure: a failing token-secured Connector leaves a fresh process
// in ConnectionFailed with the Connector's message; with the double working again a new
// token pairs.
func TestCompassPairingFailure(t *testing.T) {
	r := newCompassRig(t, compassdouble.Config{}, triggeredCompass...)
	r.waitState(compass.StateConnectionFailed, 10*time.Second) // no Secret yet
	const msg = "the Connector is down for maintenance"
	r.double.Fail("configuration", msg)
	r.configure(r.double.NewRuntimeToken(compassRuntimeID))
	c := r.waitConnection("ConnectionFailed with the Connector's message", 10*time.Second, func(c compass.Connection) bool {
		return c.Status.ConnectionState == compass.StateConnectionFailed && strings.Contains(connectionError(c), msg)
	})
	assert.Nil(t, c.Status.ConnectionStatus.Established)
	assert.Equal(t, 0, r.double.Calls("signCertificateSigningRequest"))

	r.double.Heal("configuration")
	// The token went with the failed call (Compass's tokens are one-time whatever the
	// answer): a new one pairs.
	r.configure(r.double.NewRuntimeToken(compassRuntimeID))
	c = r.waitState(compass.StateSynchronized, 20*time.Second)
	assert.Empty(t, connectionError(c))
	assert.NotNil(t, c.Status.ConnectionStatus.Established)
}

// TestCompassRevocation: a revoked runtime certificate leads to ConnectionFailed with
// an error that says to put a new one-time token into the Secret, and stays saying so
// while nothing changes; a new token pairs again.
func TestCompassRevocation(t *testing.T) {
	r := newCompassRig(t, compassdouble.Config{}, fastCompass...)
	r.pair()
	// The management API never shows Secret values: the certificate comes from the store
	// of the stopped process, which then starts again.
	stored := r.storedSecret(compass.ClusterCertificatesSecretName)
	crt := stored.Data[compass.KeyClientCertificate]
	checkRuntimeCredentials(t, crt, stored.Data[compass.KeyClientKey])
	r.waitState(compass.StateSynchronized, 10*time.Second)
	signs := r.double.Calls("signCertificateSigningRequest")

	r.double.Revoke(crt)
	hint := func(c compass.Connection) bool {
		return c.Status.ConnectionState == compass.StateConnectionFailed && strings.Contains(connectionError(c), "new one-time token")
	}
	r.waitConnection("ConnectionFailed with the way out", 10*time.Second, hint)
	// Rounds go on while the Secret keeps the old token. The status must keep saying how
	// to recover, and the consumed token must not go to the Connector again
	// (docs/compass.md). The restart above, which the test needs to read the
	// certificate, is what a Pod restart does too: the agent must not depend on memory.
	pairings := r.pairings()
	for range 2 {
		patched, err := r.api.PatchCompassConnection(context.Background(), yes, nil)
		require.NoError(t, err)
		r.waitConnection("a round after resyncNow", 10*time.Second, func(c compass.Connection) bool {
			return c.ResourceVersion != patched.ResourceVersion
		})
	}
	c, err := r.connection()
	require.NoError(t, err)
	assert.True(t, hint(c), "after more rounds the error must still say how to recover: %s", describe(c))
	assert.Equal(t, pairings, r.pairings(), "the consumed token was sent to the Connector again")
	assert.Equal(t, signs, r.double.Calls("signCertificateSigningRequest"))

	r.configure(r.double.NewRuntimeToken(compassRuntimeID))
	c = r.waitState(compass.StateSynchronized, 20*time.Second)
	assert.Equal(t, signs+1, r.double.Calls("signCertificateSigningRequest"), "paired again")
	assert.Empty(t, connectionError(c))
}

// TestCompassEvents: the validator accepts events from a certificate whose CN is one of
// the Application's compassMetadata.authentication.clientIds, and refuses others.
func TestCompassEvents(t *testing.T) {
	var mu sync.Mutex
	var received []string
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, r.Header.Get("Ce-Type")+" "+string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(sink.Close)
	r := newCompassRig(t, compassdouble.Config{},
		append(fastCompass, "--validator-addr", "127.0.0.1:0", "--trust-xfcc", "--eventing-url", sink.URL)...)
	r.double.PutApplication(compassRuntimeID, ordersApplication(newTarget(t), ordersPassword))
	r.pair()
	eventually(t, 10*time.Second, "the Application "+ordersApp, func() (bool, string) {
		_, err := r.application(ordersApp)
		return err == nil, fmt.Sprint(err)
	})

	send := func(cn string) (int, string) {
		return testutil.PostEventAs(t, "http://"+r.addrs[serverValidator]+"/"+ordersApp+"/v1/events", legacyOrderEvent,
			"CN="+cn+",OU=OrgUnit,O=Org,L=Locality,ST=State,C=PL")
	}
	code, body := send("orders-backup")
	require.Equal(t, http.StatusOK, code, body)
	mu.Lock()
	require.Len(t, received, 1)
	assert.Contains(t, received[0], "sap.kyma.custom.mporders.order.created.v1")
	assert.Contains(t, received[0], `"orderId":"42"`)
	mu.Unlock()

	code, body = send("someone-else")
	assert.Equal(t, http.StatusForbidden, code, body)
	mu.Lock()
	assert.Len(t, received, 1, "a refused event is not forwarded")
	mu.Unlock()
}

// checkRuntimeCredentials: the stored certificate is the runtime's (CN = runtime id,
// issued for client authentication) and the key is its PKCS#1 RSA key of the
// Connector's keyAlgorithm (the double says rsa2048; Kyma would make RSA 4096).
func checkRuntimeCredentials(t *testing.T, crtPEM, keyPEM []byte) {
	t.Helper()
	cb, _ := pem.Decode(crtPEM)
	require.NotNil(t, cb, "crt is PEM")
	cert, err := x509.ParseCertificate(cb.Bytes)
	require.NoError(t, err)
	assert.Equal(t, compassRuntimeID, cert.Subject.CommonName)
	assert.Contains(t, cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	kb, _ := pem.Decode(keyPEM)
	require.NotNil(t, kb, "key is PEM")
	assert.Equal(t, "RSA PRIVATE KEY", kb.Type)
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	require.NoError(t, err)
	assert.Equal(t, 2048, key.N.BitLen())
	assert.True(t, key.PublicKey.Equal(cert.PublicKey), "the key is the certificate's")
}

const legacyOrderEvent = `{"event-type":"order.created","event-type-version":"v1","event-time":"2024-05-06T07:08:09Z","data":{"orderId":"42"}}`

// TestCompassSecretsNeverLogged: neither the one-time token, nor a Director password,
// nor the runtime's private key appears in the process's log, at debug level, through
// pairing, sync, a credential change, a renewal and a failure.
func TestCompassSecretsNeverLogged(t *testing.T) {
	r := newCompassRig(t, compassdouble.Config{}, append(fastCompass, "--log-level", "debug")...)
	tg := newTarget(t)
	r.double.PutApplication(compassRuntimeID, ordersApplication(tg, ordersPassword))
	token := r.double.NewRuntimeToken(compassRuntimeID)
	r.configure(token)
	r.waitState(compass.StateSynchronized, 20*time.Second)
	eventually(t, 10*time.Second, "the Application "+ordersApp, func() (bool, string) {
		_, err := r.application(ordersApp)
		return err == nil, fmt.Sprint(err)
	})
	r.double.PutApplication(compassRuntimeID, ordersApplication(tg, ordersPassword2))
	r.double.Fail("applicationsForRuntime", "refused")
	r.waitState(compass.StateSynchronizationFailed, 10*time.Second)
	r.double.Heal("applicationsForRuntime")
	r.patch(nil, yes)
	r.waitConnection("renewed", 10*time.Second, func(c compass.Connection) bool {
		return c.Status.ConnectionStatus != nil && c.Status.ConnectionStatus.Renewed != nil && !c.Spec.RefreshCredentialsNow &&
			c.Status.ConnectionState == compass.StateSynchronized
	})
	app, err := r.application(ordersApp)
	require.NoError(t, err)
	code, body := callThroughGateway(t, r.gatewayURL(app), "/logged")
	require.Equal(t, http.StatusOK, code, body)

	key := r.storedSecret(compass.ClusterCertificatesSecretName).Data[compass.KeyClientKey]
	require.Contains(t, string(key), "PRIVATE KEY")
	r.stop()

	logs := r.logs.String()
	require.Contains(t, logs, "paired with Compass", "the log is captured")
	assert.NotContains(t, logs, token)
	assert.NotContains(t, logs, ordersPassword)
	assert.NotContains(t, logs, ordersPassword2)
	for _, line := range strings.Split(string(key), "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			require.NotContains(t, logs, line, "a line of the private key is in the log")
		}
	}
}

// TestCompassMinSyncTimeZero: --compass-min-sync-time 0 is accepted (only a negative
// value is refused), so it must mean no rate limit: a change of the configuration
// Secret right after a round starts the next one at once.
func TestCompassMinSyncTimeZero(t *testing.T) {
	r := newCompassRig(t, compassdouble.Config{}, "--compass-sync-period", "1h", "--compass-min-sync-time", "0")
	r.waitState(compass.StateConnectionFailed, 10*time.Second) // no Secret yet
	r.configure(r.double.NewRuntimeToken(compassRuntimeID))
	r.patch(yes, nil) // resyncNow bypasses any rate limit, so this pairs whatever 0 means
	r.waitState(compass.StateSynchronized, 10*time.Second)
	from := r.double.Calls("applicationsForRuntime")
	// Any change of the Secret starts a round; a paired agent does not use the token.
	r.configure(r.double.NewRuntimeToken(compassRuntimeID))
	eventually(t, 5*time.Second, "a round on the Secret's change", func() (bool, string) {
		n := r.double.Calls("applicationsForRuntime") - from
		return n > 0, fmt.Sprint(n, " rounds (the agent may have taken 0 for its 10 s default)")
	})
}
