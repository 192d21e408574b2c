package metadataapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

func TestRegister_BasicServiceBecomesKymaApplicationAndSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(t, http.MethodPost, "/"+appName+"/v1/metadata/services", basicDetails())
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Contains(t, r.header.Get("Content-Type"), "application/json")
	id := decode[CreateServiceResponse](t, r).ID
	_, err := uuid.Parse(id)
	require.NoError(t, err, "the id is a UUID")

	ctx := context.Background()
	app, err := e.apps.Get(ctx, appName)
	require.NoError(t, err)
	require.NoError(t, app.Validate(), "the stored Application is valid")

	// The gateway finds the API by the normalised display name.
	res, err := app.Resolve(application.Route{App: appName, Service: application.NormalizeName("Sales Orders")})
	require.NoError(t, err)
	svc, entry := res.Service, res.Entry
	assert.Equal(t, id, svc.ID)
	assert.Equal(t, "Sales Orders", svc.DisplayName)
	assert.Equal(t, application.NormalizeServiceNameWithID("Sales Orders", id), svc.Name)
	assert.Equal(t, "SAP", svc.ProviderDisplayName)
	assert.Equal(t, map[string]string{"team": "a", "connected-app": appName}, svc.Labels)
	assert.Equal(t, "https://orders.example.com/api", entry.TargetURL)
	assert.Equal(t, "http://gateway.test:8080/mp-sales/sales-orders", entry.CentralGatewayURL)
	require.NotNil(t, entry.Credentials)
	assert.Equal(t, application.CredentialBasic, entry.Credentials.Type)
	assert.Equal(t, appName+"-"+id, entry.Credentials.SecretName)
	assert.Equal(t, "params-"+appName+"-"+id, entry.RequestParametersSecretName)
	assert.Equal(t, []application.Entry{{Type: application.EntryTypeEvents}}, svc.Entries[1:])

	sec, err := e.secrets.Get(ctx, entry.Credentials.SecretName)
	require.NoError(t, err)
	creds, err := credential.Parse(*entry.Credentials, sec)
	require.NoError(t, err)
	assert.Equal(t, &credential.Basic{Username: "alice", Password: "s3cret"}, creds.Basic)
	assert.Equal(t, "https://orders.example.com/csrf", creds.CSRFTokenURL)

	params, err := e.secrets.Get(ctx, entry.RequestParametersSecretName)
	require.NoError(t, err)
	p, err := credential.ParseRequestParameters(params)
	require.NoError(t, err)
	assert.Equal(t, credential.RequestParameters{
		Headers:         map[string][]string{"X-Api-Key": {"key-123"}},
		QueryParameters: map[string][]string{"sap-client": {"100"}},
	}, p)
}

func TestRegister_OAuthAndCertificateGen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	oauthID := e.register(t, appName, map[string]any{
		"provider": "p", "name": "OAuth API", "description": "d",
		"api": map[string]any{"targetUrl": "https://o.example.com", "credentials": map[string]any{"oauth": map[string]any{
			"url": "https://auth.example.com/token", "clientId": "cid", "clientSecret": "csecret",
			"requestParameters": map[string]any{"headers": map[string][]string{"X-Tenant": {"t"}}},
		}}},
	})
	certID := e.register(t, appName, map[string]any{
		"provider": "p", "name": "Cert API", "description": "d",
		"api": map[string]any{"targetUrl": "https://c.example.com", "credentials": map[string]any{"certificateGen": map[string]any{
			"commonName": "orders-client",
		}}},
	})

	app, err := e.apps.Get(ctx, appName)
	require.NoError(t, err)
	require.NoError(t, app.Validate())
	for _, tc := range []struct{ id, typ string }{{oauthID, application.CredentialOAuth}, {certID, application.CredentialCertificateGen}} {
		i := indexOf(app, tc.id)
		require.GreaterOrEqual(t, i, 0)
		entry := app.Spec.Services[i].Entries[0]
		assert.Equal(t, tc.typ, entry.Credentials.Type)
		sec, err := e.secrets.Get(ctx, entry.Credentials.SecretName)
		require.NoError(t, err)
		creds, err := credential.Parse(*entry.Credentials, sec)
		require.NoError(t, err, "the gateway can use the %s secret", tc.typ)
		if tc.typ == application.CredentialOAuth {
			assert.Equal(t, "https://auth.example.com/token", creds.OAuth.TokenURL)
			assert.Equal(t, map[string][]string{"X-Tenant": {"t"}}, creds.OAuth.TokenRequest.Headers)
		} else {
			assert.Equal(t, "orders-client", creds.Certificate.Leaf.Subject.CommonName)
		}
	}

	// GET by id: certificateGen shows the common name and the certificate.
	got := decode[ServiceDetails](t, e.do(t, http.MethodGet, "/"+appName+"/v1/metadata/services/"+certID, nil))
	require.NotNil(t, got.API.Credentials.CertificateGen)
	assert.Equal(t, "orders-client", got.API.Credentials.CertificateGen.CommonName)
	assert.NotEmpty(t, got.API.Credentials.CertificateGen.Certificate)
}

func TestRegister_Errors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register(t, appName, basicDetails())
	path := "/" + appName + "/v1/metadata/services"
	with := func(mutate func(m map[string]any)) map[string]any {
		m := basicDetails()
		mutate(m)
		return m
	}
	api := func(m map[string]any) map[string]any { return m["api"].(map[string]any) }

	tests := map[string]struct {
		path   string
		body   any
		status int
		msg    string
	}{
		"invalid json": {
			body: `{"provider": `, status: http.StatusBadRequest,
			msg: "Failed to unmarshal request body, the body is empty or truncated",
		},
		"syntax error": {
			body: `{"provider" "x"}`, status: http.StatusBadRequest,
			msg: "Failed to unmarshal request body, invalid JSON at byte 13: invalid character '\"' after object key",
		},
		"wrong type names the field": {
			body: `{"provider": "p", "api": {"targetUrl": 5}}`, status: http.StatusBadRequest,
			msg: "Failed to unmarshal request body, api.targetUrl must be a string, got a JSON number",
		},
		"trailing garbage": {
			body: `{} {}`, status: http.StatusBadRequest,
			msg: "Failed to unmarshal request body, invalid JSON at byte 4: invalid character '{' after top-level value",
		},
		"empty body": {
			body: ``, status: http.StatusBadRequest,
			msg: "Failed to unmarshal request body, the body is empty or truncated",
		},
		"missing required fields": {
			body: `{"api": {"targetUrl": "https://x.example.com"}}`, status: http.StatusBadRequest,
			msg: "Failed to validate request body, Incorrect structure of service definition, Provider field cannot be empty.; Name field cannot be empty.; Description field cannot be empty.",
		},
		"neither api nor events": {
			body: `{"provider": "p", "name": "n", "description": "d"}`, status: http.StatusBadRequest,
			msg: "Failed to validate request body, At least one of service definition attributes: 'api', 'events' have to be provided",
		},
		"two credential types": {
			body: with(func(m map[string]any) {
				api(m)["credentials"].(map[string]any)["oauth"] = map[string]any{"url": "https://a.example.com", "clientId": "c", "clientSecret": "s"}
			}),
			status: http.StatusBadRequest,
			msg:    "Failed to validate request body, api.CredentialsWithCSRF is invalid: too many authentication methods provided",
		},
		"spec not an object": {
			body: with(func(m map[string]any) { api(m)["spec"] = "<xml/>" }), status: http.StatusBadRequest,
			msg: "Failed to validate request body, api.Spec is not a proper json object",
		},
		"target url not a url, value not echoed": {
			body: with(func(m map[string]any) { api(m)["targetUrl"] = "https://bob:hunter2@orders.example.com" }), status: http.StatusBadRequest,
			msg: "Failed to validate request body, Incorrect structure of service definition, targetUrl: must not carry user information; put credentials in a Secret",
		},
		"duplicate display name": {
			body: with(func(m map[string]any) { m["identifier"] = "ext-2"; m["name"] = "sales-orders" }), status: http.StatusBadRequest,
			msg: "Service with name sales-orders already exists",
		},
		"duplicate identifier": {
			body: with(func(m map[string]any) { m["name"] = "Other" }), status: http.StatusConflict,
			msg: "Service with Identifier ext-1 already exists",
		},
		"application not found": {
			path: "/ghost/v1/metadata/services", body: basicDetails(), status: http.StatusNotFound,
			msg: "Application ghost not found",
		},
		"body above 1 MiB": {
			body: `{"provider":"` + strings.Repeat("p", 1<<20) + `"}`, status: http.StatusRequestEntityTooLarge,
			msg: "Request body too large, the limit is 1048576 bytes",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := tc.path
			if p == "" {
				p = path
			}
			requireError(t, e.do(t, http.MethodPost, p, tc.body), tc.status, tc.msg)
		})
	}
}

func TestRegister_StorageFailureIs500WithoutDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.secrets.failPut.Store(true)
	requireError(t, e.do(t, http.MethodPost, "/"+appName+"/v1/metadata/services", basicDetails()), http.StatusInternalServerError, "Internal error.")

	// The Application update fails after the Secrets are written: they are removed again.
	e.secrets.failPut.Store(false)
	e.apps.failUpdate.Store(true)
	requireError(t, e.do(t, http.MethodPost, "/"+appName+"/v1/metadata/services", basicDetails()), http.StatusInternalServerError, "Internal error.")
	left, err := e.secrets.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, left, "no Secret is left behind")
}

func TestErrorMessagesMaskURLCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	d := basicDetails()
	d["name"] = "https://user:pw@host.example.com"
	delete(d, "identifier")
	e.register(t, appName, d)
	requireError(t, e.do(t, http.MethodPost, "/"+appName+"/v1/metadata/services", d), http.StatusBadRequest,
		"Service with name https://***:***@host.example.com already exists")
}

func TestMaskURLCredentials(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"call https://u:p@h.example.com/x failed": "call https://***:***@h.example.com/x failed",
		"ftp://only-user@h and http://a:b@c":      "ftp://***:***@h and http://***:***@c",
		"https://h.example.com/path@not-userinfo": "https://h.example.com/path@not-userinfo",
		"no url here": "no url here",
	} {
		assert.Equal(t, want, maskURLCredentials(in), in)
	}
}

func indexOf(app application.Application, id string) int {
	for i, s := range app.Spec.Services {
		if s.ID == id {
			return i
		}
	}
	return -1
}
