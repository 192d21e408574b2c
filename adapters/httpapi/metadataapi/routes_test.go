package metadataapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/app/metadata"
	"github.com/appconnector/appconnector/domain/credential"
)

func TestList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/" + appName + "/v1/metadata/services"

	r := e.do(t, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `[]`, string(r.body), "an empty list is [], not null")

	id := e.register(t, appName, basicDetails())
	r = e.do(t, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `[{"id":"`+id+`","provider":"SAP","name":"Sales Orders","description":"Orders API",
		"identifier":"ext-1","labels":{"team":"a","connected-app":"mp-sales"}}]`, string(r.body))

	requireError(t, e.do(t, http.MethodGet, "/ghost/v1/metadata/services", nil), http.StatusNotFound, "Application ghost not found")
	e.apps.failGet.Store(true)
	requireError(t, e.do(t, http.MethodGet, path, nil), http.StatusInternalServerError, "Internal error.")
}

func TestGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.register(t, appName, basicDetails())
	path := "/" + appName + "/v1/metadata/services/" + id

	r := e.do(t, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.JSONEq(t, `{
		"provider": "SAP", "name": "Sales Orders", "description": "Orders API", "identifier": "ext-1",
		"labels": {"team": "a", "connected-app": "mp-sales"},
		"api": {
			"targetUrl": "https://orders.example.com/api", "apiType": "odata",
			"credentials": {"basic": {"username": "********", "password": "********",
				"csrfInfo": {"tokenEndpointURL": "https://orders.example.com/csrf"}}},
			"requestParameters": {"headers": {"X-Api-Key": ["********"]}, "queryParameters": {"sap-client": ["********"]}}
		},
		"events": {"spec": {}}
	}`, string(r.body))
	for _, secret := range []string{"alice", "s3cret", "key-123"} {
		assert.NotContains(t, string(r.body), secret)
	}

	requireError(t, e.do(t, http.MethodGet, "/"+appName+"/v1/metadata/services/nope", nil), http.StatusNotFound, "Service with ID nope not found")
	requireError(t, e.do(t, http.MethodGet, "/ghost/v1/metadata/services/"+id, nil), http.StatusNotFound, "Application ghost not found")
	e.secrets.failGet.Store(true)
	requireError(t, e.do(t, http.MethodGet, path, nil), http.StatusInternalServerError, "Internal error.")
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.register(t, appName, basicDetails())
	path := "/" + appName + "/v1/metadata/services/" + id
	ctx := context.Background()

	t.Run("round trip of what GET returned keeps the secrets", func(t *testing.T) {
		got := decode[ServiceDetails](t, e.do(t, http.MethodGet, path, nil))
		got.Description = "changed"
		got.Identifier = "ignored"
		r := e.do(t, http.MethodPut, path, got)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		out := decode[ServiceDetails](t, r)
		assert.Equal(t, "changed", out.Description)
		assert.Equal(t, "ext-1", out.Identifier, "the identifier is kept")
		assert.Equal(t, "********", out.API.Credentials.Basic.Password)

		sec, err := e.secrets.Get(ctx, appName+"-"+id)
		require.NoError(t, err)
		assert.Equal(t, "s3cret", string(sec.Data["password"]))
		params, err := e.secrets.Get(ctx, "params-"+appName+"-"+id)
		require.NoError(t, err)
		p, err := credential.ParseRequestParameters(params)
		require.NoError(t, err)
		assert.Equal(t, map[string][]string{"X-Api-Key": {"key-123"}}, p.Headers)
	})
	t.Run("switch to oauth replaces the secret", func(t *testing.T) {
		d := basicDetails()
		d["api"].(map[string]any)["credentials"] = map[string]any{"oauth": map[string]any{
			"url": "https://auth.example.com/token", "clientId": "cid", "clientSecret": "cs"}}
		r := e.do(t, http.MethodPut, path, d)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		app, err := e.apps.Get(ctx, appName)
		require.NoError(t, err)
		require.NoError(t, app.Validate())
		entry := app.Spec.Services[0].Entries[0]
		sec, err := e.secrets.Get(ctx, entry.Credentials.SecretName)
		require.NoError(t, err)
		creds, err := credential.Parse(*entry.Credentials, sec)
		require.NoError(t, err)
		assert.Equal(t, "cid", creds.OAuth.ClientID)
		assert.NotContains(t, sec.Data, "password")
	})
	t.Run("without api the secrets go", func(t *testing.T) {
		d := basicDetails()
		delete(d, "api")
		r := e.do(t, http.MethodPut, path, d)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		assert.NotContains(t, string(r.body), `"api"`)
		left, err := e.secrets.List(ctx)
		require.NoError(t, err)
		assert.Empty(t, left)
	})
	t.Run("errors", func(t *testing.T) {
		renamed := basicDetails()
		renamed["name"] = "Renamed"
		requireError(t, e.do(t, http.MethodPut, path, renamed), http.StatusBadRequest,
			"Cannot change service name to Renamed for service with ID "+id)
		requireError(t, e.do(t, http.MethodPut, path, `[`), http.StatusBadRequest,
			"Failed to unmarshal request body, the body is empty or truncated")
		requireError(t, e.do(t, http.MethodPut, path, `{"name":"Sales Orders"}`), http.StatusBadRequest,
			"Failed to validate request body, Incorrect structure of service definition, Provider field cannot be empty.; Description field cannot be empty.; At least one of service definition attributes: 'api', 'events' have to be provided")
		requireError(t, e.do(t, http.MethodPut, "/"+appName+"/v1/metadata/services/nope", basicDetails()), http.StatusNotFound,
			"Service with ID nope not found")
		requireError(t, e.do(t, http.MethodPut, "/ghost/v1/metadata/services/"+id, basicDetails()), http.StatusNotFound,
			"Application ghost not found")
		requireError(t, e.do(t, http.MethodPut, path, strings.Repeat(" ", 1<<20+1)), http.StatusRequestEntityTooLarge,
			"Request body too large, the limit is 1048576 bytes")
		e.apps.failUpdate.Store(true)
		defer e.apps.failUpdate.Store(false)
		requireError(t, e.do(t, http.MethodPut, path, basicDetails()), http.StatusInternalServerError, "Internal error.")
		left, err := e.secrets.List(ctx)
		require.NoError(t, err)
		assert.Empty(t, left, "secrets written for the failed update are removed again")
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	id := e.register(t, appName, basicDetails())
	path := "/" + appName + "/v1/metadata/services/" + id

	r := e.do(t, http.MethodDelete, path, nil)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Empty(t, r.body)
	app, err := e.apps.Get(ctx, appName)
	require.NoError(t, err)
	assert.Empty(t, app.Spec.Services)
	left, err := e.secrets.List(ctx)
	require.NoError(t, err)
	assert.Empty(t, left)

	assert.Equal(t, http.StatusNoContent, e.do(t, http.MethodDelete, path, nil).status, "deleting again is fine")
	requireError(t, e.do(t, http.MethodDelete, "/ghost/v1/metadata/services/"+id, nil), http.StatusNotFound, "Application ghost not found")
	requireError(t, e.do(t, http.MethodGet, path, nil), http.StatusNotFound, "Service with ID "+id+" not found")

	id = e.register(t, appName, basicDetails())
	e.secrets.failDelete.Store(true)
	requireError(t, e.do(t, http.MethodDelete, "/"+appName+"/v1/metadata/services/"+id, nil), http.StatusInternalServerError, "Internal error.")
}

func TestOpenAPIDocumentAndRedirect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(t, http.MethodGet, "/"+appName+"/v1/metadata/api.yaml", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.header.Get("Content-Type"), "yaml")
	assert.Contains(t, string(r.body), "title: 'Kyma Application Registry API'")

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r = e.do(t, method, "/"+appName+"/v1/metadata", nil)
		assert.Equal(t, http.StatusMovedPermanently, r.status, method)
		assert.Equal(t, "/"+appName+"/v1/metadata/api.yaml", r.header.Get("Location"))
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Kyma issue #6955: an application whose name looks like a version prefix.
	id := e.register(t, "v1", basicDetails())
	r := e.do(t, http.MethodGet, "/v1/v1/metadata/services/"+id, nil)
	assert.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Equal(t, http.StatusOK, e.do(t, http.MethodGet, "/v1/health", nil).status, "the management routes still win")
	assert.Equal(t, http.StatusTeapot, e.do(t, http.MethodGet, "/v1/applications/x", nil).status)

	// Escaped path parameters are decoded before use.
	requireError(t, e.do(t, http.MethodGet, "/gh%6Fst/v1/metadata/services", nil), http.StatusNotFound, "Application ghost not found")
	requireError(t, e.do(t, http.MethodGet, "/"+appName+"/v1/metadata/services/a%2Fb", nil), http.StatusNotFound, "Service with ID a/b not found")
	// Unsupported methods on a known path.
	assert.Equal(t, http.StatusMethodNotAllowed, e.do(t, http.MethodPatch, "/"+appName+"/v1/metadata/services", nil).status)
}

// Deleting an unknown service id cleans up Secrets the registry left behind for that id,
// but must not take Secrets that merely have a matching name: with the id "basic", the
// conventional name of mp-sales's credential Secret is mp-sales-basic, which is what
// users name their own Secrets (examples/secret.yaml has orders-app-basic).
func TestDeleteUnknownServiceKeepsOtherSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, name := range []string{appName + "-basic", "params-" + appName + "-basic"} {
		_, _, err := e.secrets.Put(ctx, credential.Secret{Name: name, Data: map[string][]byte{"password": []byte("hunter2")}})
		require.NoError(t, err)
	}
	// A leftover of a registration whose Application write failed after its Secret write.
	leftover := credential.Secret{
		Name:   metadata.CredentialSecretName(appName, "gone"),
		Labels: map[string]string{"app": appName, "serviceId": "gone"},
		Data:   map[string][]byte{"username": []byte("u")},
	}
	_, _, err := e.secrets.Put(ctx, leftover)
	require.NoError(t, err)

	require.Equal(t, http.StatusNoContent, e.do(t, http.MethodDelete, "/"+appName+"/v1/metadata/services/basic", nil).status)
	require.Equal(t, http.StatusNoContent, e.do(t, http.MethodDelete, "/"+appName+"/v1/metadata/services/gone", nil).status)

	left, err := e.secrets.List(ctx)
	require.NoError(t, err)
	names := make([]string, 0, len(left))
	for _, s := range left {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{appName + "-basic", "params-" + appName + "-basic"}, names)
}
