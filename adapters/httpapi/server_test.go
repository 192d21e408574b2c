package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/manifest"
	"github.com/appconnector/appconnector/ports"
)

const basicApp = `apiVersion: applicationconnector.kyma-project.io/v1alpha1
kind: Application
metadata:
  name: orders
spec:
  description: Orders
  services:
    - id: "1"
      name: orders-api
      displayName: Orders API
      description: d
      providerDisplayName: p
      entries:
        - type: API
          targetUrl: http://127.0.0.1:9000/api
          credentials: {type: Basic, secretName: orders-basic}
`

const basicSecret = `apiVersion: v1
kind: Secret
metadata: {name: orders-basic, namespace: kyma-system}
type: Opaque
data:
  username: c2hvcC11c2Vy
stringData:
  password: hunter2-super-secret
`

func TestApplicationLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	yaml := map[string]string{"Content-Type": "application/yaml"}

	r := e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp, headers: yaml})
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Equal(t, "/v1/applications/orders", r.header.Get("Location"))
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	created, err := manifest.DecodeApplication([]byte(r.body), manifest.FormatJSON)
	require.NoError(t, err)
	assert.NotEmpty(t, created.ResourceVersion)
	assert.Equal(t, "Orders API", created.Spec.Services[0].DisplayName)

	r = e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp, headers: yaml})
	require.Equal(t, http.StatusOK, r.status, "replace answers 200: %s", r.body)
	replaced, err := manifest.DecodeApplication([]byte(r.body), manifest.FormatJSON)
	require.NoError(t, err)
	assert.NotEqual(t, created.ResourceVersion, replaced.ResourceVersion)

	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications/orders"})
	require.Equal(t, http.StatusOK, r.status)
	got, err := manifest.DecodeApplication([]byte(r.body), manifest.FormatJSON)
	require.NoError(t, err)
	assert.Equal(t, replaced, got)

	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications/orders", headers: map[string]string{"Accept": "application/yaml"}})
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/yaml", r.header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(r.body, "apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\n"), r.body)

	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications/orders?output=yaml"})
	assert.Equal(t, "application/yaml", r.header.Get("Content-Type"))

	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications"})
	require.Equal(t, http.StatusOK, r.status)
	var list manifest.ApplicationListDocument
	require.NoError(t, json.Unmarshal([]byte(r.body), &list))
	assert.Equal(t, manifest.KindApplicationList, list.Kind)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "orders", list.Items[0].Metadata.Name)

	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications/", headers: map[string]string{"Accept": "text/yaml"}})
	require.Equal(t, http.StatusOK, r.status, "trailing slash lists")
	assert.Contains(t, r.body, "kind: ApplicationList")

	r = e.do(t, request{method: http.MethodDelete, path: "/v1/applications/orders"})
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)

	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications/orders"})
	require.Equal(t, http.StatusNotFound, r.status)
	code, msg := r.errorBody(t)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "get application orders: application not found", msg)

	r = e.do(t, request{method: http.MethodDelete, path: "/v1/applications/orders"})
	assert.Equal(t, http.StatusNotFound, r.status)

	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications"})
	assert.JSONEq(t, `{"apiVersion":"applicationconnector.kyma-project.io/v1alpha1","kind":"ApplicationList","metadata":{},"items":[]}`, r.body)
}

func TestKymaExampleAcceptedUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	doc, err := os.ReadFile("testdata/kyma-example-validator-compass.yaml")
	require.NoError(t, err)
	// No Content-Type: sniffed.
	r := e.do(t, request{method: http.MethodPut, path: "/v1/applications/event-test-compass", body: string(doc)})
	require.Equal(t, http.StatusCreated, r.status, r.body)
	stored, err := e.apps.Get(context.Background(), "event-test-compass")
	require.NoError(t, err)
	assert.Equal(t, []string{"clientId1", "clientId2"}, stored.Spec.ClientIDs())
	assert.True(t, stored.Spec.SkipVerify)
}

func TestNameFromURLWhenMetadataNameIsEmpty(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(t, request{method: http.MethodPut, path: "/v1/applications/from-url", body: `{"spec":{"description":"x"}}`,
		headers: map[string]string{"Content-Type": "application/json"}})
	require.Equal(t, http.StatusCreated, r.status, r.body)
	app, err := e.apps.Get(context.Background(), "from-url")
	require.NoError(t, err)
	assert.Equal(t, "x", app.Spec.Description)

	r = e.do(t, request{method: http.MethodPut, path: "/v1/secrets/from-url", body: `stringData: {a: b}`})
	require.Equal(t, http.StatusCreated, r.status, r.body)
}

func TestSecretLifecycleNeverShowsValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(t, request{method: http.MethodPut, path: "/v1/secrets/orders-basic", body: basicSecret,
		headers: map[string]string{"Content-Type": "application/x-yaml"}})
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Equal(t, "/v1/secrets/orders-basic", r.header.Get("Location"))
	var view manifest.SecretView
	require.NoError(t, json.Unmarshal([]byte(r.body), &view))
	assert.Equal(t, []string{"password", "username"}, view.Keys)
	assert.NotEmpty(t, view.Metadata.ResourceVersion)

	stored, err := e.secrets.Get(context.Background(), "orders-basic")
	require.NoError(t, err)
	assert.Equal(t, "shop-user", string(stored.Data["username"]))
	assert.Equal(t, "hunter2-super-secret", string(stored.Data["password"]))

	r = e.do(t, request{method: http.MethodPut, path: "/v1/secrets/orders-basic", body: basicSecret})
	assert.Equal(t, http.StatusOK, r.status)

	var bodies []string
	for _, req := range []request{
		{method: http.MethodGet, path: "/v1/secrets/orders-basic"},
		{method: http.MethodGet, path: "/v1/secrets/orders-basic?output=yaml"},
		{method: http.MethodGet, path: "/v1/secrets"},
		{method: http.MethodGet, path: "/v1/secrets", headers: map[string]string{"Accept": "application/yaml"}},
	} {
		r := e.do(t, req)
		require.Equal(t, http.StatusOK, r.status)
		assert.Contains(t, r.body, "password")
		bodies = append(bodies, r.body)
	}
	assert.JSONEq(t, `{"apiVersion":"v1","kind":"SecretList","metadata":{},"items":[{"apiVersion":"v1","kind":"Secret",
		"metadata":{"name":"orders-basic","resourceVersion":"`+viewRV(t, bodies[0])+`"},"keys":["password","username"]}]}`, bodies[2])

	r = e.do(t, request{method: http.MethodDelete, path: "/v1/secrets/orders-basic"})
	assert.Equal(t, http.StatusNoContent, r.status)
	r = e.do(t, request{method: http.MethodGet, path: "/v1/secrets/orders-basic"})
	assert.Equal(t, http.StatusNotFound, r.status)
	r = e.do(t, request{method: http.MethodDelete, path: "/v1/secrets/orders-basic"})
	assert.Equal(t, http.StatusNotFound, r.status)

	for _, b := range append(bodies, e.logs.String()) {
		assert.NotContains(t, b, "hunter2")
		assert.NotContains(t, b, "shop-user")
		assert.NotContains(t, b, "c2hvcC11c2Vy")
	}
	assert.NotContains(t, e.logs.String(), adminToken)
}

func viewRV(t *testing.T, body string) string {
	t.Helper()
	var v manifest.SecretView
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	return v.Metadata.ResourceVersion
}

func TestStaleResourceVersionConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp})
	require.Equal(t, http.StatusCreated, r.status)
	first, err := manifest.DecodeApplication([]byte(r.body), manifest.FormatJSON)
	require.NoError(t, err)

	// A write based on the current version succeeds...
	body, err := manifest.EncodeApplication(first, manifest.FormatJSON)
	require.NoError(t, err)
	r = e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: string(body)})
	require.Equal(t, http.StatusOK, r.status, r.body)

	// ...and the same write again is now stale.
	r = e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: string(body)})
	require.Equal(t, http.StatusConflict, r.status, r.body)
	code, msg := r.errorBody(t)
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, msg, "conflict")

	// Same for secrets.
	r = e.do(t, request{method: http.MethodPut, path: "/v1/secrets/s", body: "metadata: {name: s}\nstringData: {a: b}\n"})
	require.Equal(t, http.StatusCreated, r.status)
	r = e.do(t, request{method: http.MethodPut, path: "/v1/secrets/s", body: "metadata: {name: s, resourceVersion: '999999'}\nstringData: {a: b}\n"})
	assert.Equal(t, http.StatusConflict, r.status, r.body)
}

func TestHealthWithoutToken(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	e := newEnv(t, func(c *httpapi.Config, a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
		c.ReadyCheck = func(context.Context) error {
			if failing.Load() {
				return errors.New("bolt: database not open at /secret/path")
			}
			return nil
		}
		return a, s
	})
	for _, p := range []string{"/v1/health", "/healthz", "/readyz"} {
		r := e.do(t, request{method: http.MethodGet, path: p, noAuth: true})
		assert.Equal(t, http.StatusOK, r.status, p)
	}
	failing.Store(true)
	r := e.do(t, request{method: http.MethodGet, path: "/readyz", noAuth: true})
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	code, msg := r.errorBody(t)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready", msg, "causes stay in the log")
	assert.Contains(t, e.logs.String(), "database not open")

	e.server.SetReady(nil)
	r = e.do(t, request{method: http.MethodGet, path: "/readyz", noAuth: true})
	assert.Equal(t, http.StatusOK, r.status)
}

// A name in the URL means the same whether or not a client percent-encodes some of its
// characters, as in the legacy registry routes on the same server and in Kubernetes.
func TestPercentEncodedNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	yaml := map[string]string{"Content-Type": "application/yaml"}

	r := e.do(t, request{method: http.MethodPut, path: "/v1/applications/%6Frders", body: basicApp, headers: yaml})
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Equal(t, "/v1/applications/orders", r.header.Get("Location"))
	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications/ord%65rs"})
	require.Equal(t, http.StatusOK, r.status, r.body)

	r = e.do(t, request{method: http.MethodPut, path: "/v1/secrets/orders%2Dbasic", body: basicSecret, headers: yaml})
	require.Equal(t, http.StatusCreated, r.status, r.body)
	r = e.do(t, request{method: http.MethodGet, path: "/v1/secrets/orders%2dbasic"})
	require.Equal(t, http.StatusOK, r.status, r.body)

	r = e.do(t, request{method: http.MethodGet, path: "/v1/applications/a%2Fb"})
	require.Equal(t, http.StatusNotFound, r.status, r.body)
	_, msg := r.errorBody(t)
	assert.Equal(t, "get application a/b: application not found", msg)

	require.Equal(t, http.StatusNoContent, e.do(t, request{method: http.MethodDelete, path: "/v1/secrets/orders%2Dbasic"}).status)
	require.Equal(t, http.StatusNoContent, e.do(t, request{method: http.MethodDelete, path: "/v1/applications/%6Frders"}).status)
}

// HEAD answers like GET on every GET route, without the body.
func TestHeadOnEveryGetRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.Equal(t, http.StatusCreated, e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp}).status)
	require.Equal(t, http.StatusCreated, e.do(t, request{method: http.MethodPut, path: "/v1/secrets/orders-basic", body: basicSecret}).status)

	for _, p := range []string{
		"/v1/health", "/healthz", "/readyz",
		"/v1/applications", "/v1/applications/orders", "/v1/applications/orders?output=yaml", "/v1/applications/absent",
		"/v1/secrets", "/v1/secrets/orders-basic", "/v1/secrets/absent",
		"/orders/v1/extra", "/v2/unknown",
	} {
		t.Run(p, func(t *testing.T) {
			get := e.do(t, request{method: http.MethodGet, path: p})
			head := e.do(t, request{method: http.MethodHead, path: p})
			require.Equal(t, get.status, head.status)
			assert.Empty(t, head.body)
			for _, h := range []string{"Content-Type", "Content-Length", "Location", "X-Content-Type-Options"} {
				assert.Equal(t, get.header.Get(h), head.header.Get(h), h)
			}
		})
	}
	t.Run("without a token", func(t *testing.T) {
		r := e.do(t, request{method: http.MethodHead, path: "/v1/applications", noAuth: true})
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, `Bearer realm="appconnector"`, r.header.Get("WWW-Authenticate"))
	})
	t.Run("Allow names HEAD", func(t *testing.T) {
		r := e.do(t, request{method: http.MethodPost, path: "/v1/applications"})
		assert.Equal(t, http.StatusMethodNotAllowed, r.status)
		assert.ElementsMatch(t, []string{"GET", "HEAD"}, allowed(r.header.Get("Allow")))
	})
	t.Run("logged as HEAD", func(t *testing.T) {
		assert.Contains(t, e.logs.String(), `"method":"HEAD","path":"/v1/applications/orders","route":"/v1/applications/:name","status":200`)
	})
}
