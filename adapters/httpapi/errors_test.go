package httpapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/ports"
)

func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.Equal(t, http.StatusCreated, e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp}).status)

	json := map[string]string{"Content-Type": "application/json"}
	yaml := map[string]string{"Content-Type": "application/yaml"}
	withTargetURL := func(u string) string {
		return strings.Replace(basicApp, "http://127.0.0.1:9000/api", u, 1)
	}
	tests := map[string]struct {
		req    request
		status int
		msg    string // exact message, or a substring when prefixed with "~"
	}{
		"malformed json": {
			req:    request{method: http.MethodPut, path: "/v1/applications/a", body: `{"metadata":`, headers: json},
			status: http.StatusBadRequest, msg: "malformed JSON: unexpected EOF",
		},
		"yaml sent as json": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp, headers: json},
			status: http.StatusBadRequest, msg: "~malformed JSON",
		},
		"malformed yaml": {
			req:    request{method: http.MethodPut, path: "/v1/applications/a", body: "metadata: [\n", headers: yaml},
			status: http.StatusBadRequest, msg: "~malformed YAML",
		},
		"unknown field": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders", body: strings.Replace(basicApp, "targetUrl", "targetURL", 1)},
			status: http.StatusBadRequest, msg: `spec.services[0].entries[0].targetURL: unknown field; did you mean "targetUrl"?`,
		},
		"wrong kind": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders-basic", body: basicSecret},
			status: http.StatusBadRequest, msg: `kind: must be Application, got "Secret"`,
		},
		"invalid name": {
			req:    request{method: http.MethodPut, path: "/v1/applications/Not_Valid", body: `{"spec":{}}`},
			status: http.StatusBadRequest, msg: "~metadata.name: \"Not_Valid\" must consist of lower case alphanumeric characters",
		},
		"invalid targetUrl": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders", body: withTargetURL("ftp://127.0.0.1/x")},
			status: http.StatusBadRequest, msg: "invalid application: spec.services[0].entries[0].targetUrl: must be an absolute http or https URL",
		},
		"relative targetUrl": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders", body: withTargetURL("/api")},
			status: http.StatusBadRequest, msg: "~spec.services[0].entries[0].targetUrl",
		},
		"name mismatch": {
			req:    request{method: http.MethodPut, path: "/v1/applications/other", body: basicApp},
			status: http.StatusBadRequest, msg: `metadata.name "orders" does not match the name "other" in the URL`,
		},
		"secret name mismatch": {
			req:    request{method: http.MethodPut, path: "/v1/secrets/other", body: basicSecret},
			status: http.StatusBadRequest, msg: `metadata.name "orders-basic" does not match the name "other" in the URL`,
		},
		"yaml alias bomb": {
			// 100 kB that aliases one 100 kB scalar 2,000 times: 200 MB once expanded.
			req: request{method: http.MethodPut, path: "/v1/secrets/s", headers: yaml,
				body: "stringData:\n  a: &a '" + strings.Repeat("x", 100_000) + "'\n  b: [" + strings.Repeat("*a,", 2_000) + "*a]\n"},
			status: http.StatusBadRequest, msg: "~malformed YAML: aliases expand the document to more than",
		},
		"bad base64": {
			req:    request{method: http.MethodPut, path: "/v1/secrets/s", body: "data: {password: 'hunter2!'}\n"},
			status: http.StatusBadRequest, msg: "data.password: is not valid base64 (standard encoding, with padding); use stringData for plain text",
		},
		"invalid secret key": {
			req:    request{method: http.MethodPut, path: "/v1/secrets/s", body: "stringData: {'bad key': x}\n"},
			status: http.StatusBadRequest, msg: `~key "bad key": key names must consist of alphanumeric characters`,
		},
		"secret view applied back": {
			req:    request{method: http.MethodPut, path: "/v1/secrets/s", body: `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"keys":["a"]}`},
			status: http.StatusBadRequest, msg: "~keys: a Secret view lists key names only",
		},
		"empty body": {
			req:    request{method: http.MethodPut, path: "/v1/applications/a"},
			status: http.StatusBadRequest, msg: "request body is empty: send a document",
		},
		"bad output": {
			req:    request{method: http.MethodGet, path: "/v1/applications?output=xml"},
			status: http.StatusBadRequest, msg: `query parameter output: unknown output format "xml": use json or yaml`,
		},
		"unsupported content type": {
			req:    request{method: http.MethodPut, path: "/v1/applications/a", body: "<a/>", headers: map[string]string{"Content-Type": "application/xml"}},
			status: http.StatusUnsupportedMediaType, msg: "unsupported Content-Type application/xml: send application/json or application/yaml",
		},
		"text/plain is not sniffed": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp, headers: map[string]string{"Content-Type": "text/plain"}},
			status: http.StatusUnsupportedMediaType, msg: "unsupported Content-Type text/plain: send application/json or application/yaml",
		},
		"octet-stream is not sniffed": {
			req:    request{method: http.MethodPut, path: "/v1/secrets/orders-basic", body: basicSecret, headers: map[string]string{"Content-Type": "application/octet-stream"}},
			status: http.StatusUnsupportedMediaType, msg: "~send application/json or application/yaml",
		},
		"form type is not sniffed": {
			req:    request{method: http.MethodPut, path: "/v1/secrets/orders-basic", body: basicSecret, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
			status: http.StatusUnsupportedMediaType, msg: "~send application/json or application/yaml",
		},
		"label key kubernetes refuses": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders", body: strings.Replace(basicApp, "  name: orders\n", "  name: orders\n  labels: {'bad key!!/x/y': v}\n", 1)},
			status: http.StatusBadRequest, msg: `~metadata.labels["bad key!!/x/y"]: a qualified name must be`,
		},
		"label value kubernetes refuses": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders", body: strings.Replace(basicApp, "  name: orders\n", "  name: orders\n  labels: {big: "+strings.Repeat("x", 500_000)+"}\n", 1)},
			status: http.StatusBadRequest, msg: `~metadata.labels["big"]: value must be at most 63 characters, got 500000`,
		},
		"secret label key kubernetes refuses": {
			req:    request{method: http.MethodPut, path: "/v1/secrets/s", body: "metadata: {name: s, labels: {'bad key!!/x/y': v}}\nstringData: {a: b}\n"},
			status: http.StatusBadRequest, msg: `metadata.labels["bad key!!/x/y"]: a qualified name must be an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName') followed by a name of alphanumeric characters, '-', '_' or '.' that starts and ends with an alphanumeric character`,
		},
		"resourceVersion no store issues": {
			req:    request{method: http.MethodPut, path: "/v1/applications/orders", body: strings.Replace(basicApp, "  name: orders\n", "  name: orders\n  resourceVersion: abc\n", 1)},
			status: http.StatusBadRequest, msg: `~metadata.resourceVersion: "abc" is not a resource version`,
		},
		"secret resourceVersion no store issues": {
			req:    request{method: http.MethodPut, path: "/v1/secrets/s", body: "metadata: {name: s, resourceVersion: abc}\nstringData: {a: b}\n"},
			status: http.StatusBadRequest, msg: `~metadata.resourceVersion: "abc" is not a resource version`,
		},
		"missing token": {
			req:    request{method: http.MethodGet, path: "/v1/applications", noAuth: true},
			status: http.StatusUnauthorized, msg: "missing or invalid bearer token",
		},
		"wrong token": {
			req:    request{method: http.MethodGet, path: "/v1/applications", headers: map[string]string{"Authorization": "Bearer nope"}},
			status: http.StatusUnauthorized, msg: "missing or invalid bearer token",
		},
		"token prefix": {
			req:    request{method: http.MethodGet, path: "/v1/applications", headers: map[string]string{"Authorization": "Bearer " + adminToken[:10]}},
			status: http.StatusUnauthorized, msg: "missing or invalid bearer token",
		},
		"basic scheme": {
			req:    request{method: http.MethodGet, path: "/v1/secrets", headers: map[string]string{"Authorization": "Basic " + adminToken}},
			status: http.StatusUnauthorized, msg: "missing or invalid bearer token",
		},
		"missing token on write": {
			req:    request{method: http.MethodDelete, path: "/v1/applications/orders", noAuth: true},
			status: http.StatusUnauthorized, msg: "missing or invalid bearer token",
		},
		"missing token on unknown route": {
			req:    request{method: http.MethodGet, path: "/nope", noAuth: true},
			status: http.StatusUnauthorized, msg: "missing or invalid bearer token",
		},
		"missing token on sub-api": {
			req:    request{method: http.MethodGet, path: "/orders/v1/extra", noAuth: true},
			status: http.StatusUnauthorized, msg: "missing or invalid bearer token",
		},
		"unknown route": {
			req:    request{method: http.MethodGet, path: "/v2/whatever"},
			status: http.StatusNotFound, msg: "route not found",
		},
		"absent application": {
			req:    request{method: http.MethodGet, path: "/v1/applications/absent"},
			status: http.StatusNotFound, msg: "get application absent: application not found",
		},
		"absent secret": {
			req:    request{method: http.MethodGet, path: "/v1/secrets/absent"},
			status: http.StatusNotFound, msg: "get secret absent: secret not found",
		},
		"wrong method on object": {
			req:    request{method: http.MethodPost, path: "/v1/applications/orders", body: basicApp},
			status: http.StatusMethodNotAllowed, msg: "method not allowed",
		},
		"wrong method on collection": {
			req:    request{method: http.MethodDelete, path: "/v1/secrets"},
			status: http.StatusMethodNotAllowed, msg: "method not allowed",
		},
		"put on collection": {
			req:    request{method: http.MethodPut, path: "/v1/applications/", body: basicApp},
			status: http.StatusMethodNotAllowed, msg: "method not allowed",
		},
		"sub-api error passes through": {
			req:    request{method: http.MethodGet, path: "/teapot"},
			status: http.StatusTeapot, msg: "short and stout",
		},
		"panic": {
			req:    request{method: http.MethodGet, path: "/boom"},
			status: http.StatusInternalServerError, msg: "internal error",
		},
	}
	t.Run("table", func(t *testing.T) {
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				r := e.do(t, tc.req)
				require.Equal(t, tc.status, r.status, r.body)
				code, msg := r.errorBody(t)
				assert.Equal(t, tc.status, code)
				if m, ok := strings.CutPrefix(tc.msg, "~"); ok {
					assert.Contains(t, msg, m)
				} else {
					assert.Equal(t, tc.msg, msg)
				}
				assert.NotContains(t, r.body, "hunter2")
			})
		}
	})

	t.Run("401 asks for a bearer token", func(t *testing.T) {
		r := e.do(t, request{method: http.MethodGet, path: "/v1/applications", noAuth: true})
		assert.Equal(t, `Bearer realm="appconnector"`, r.header.Get("WWW-Authenticate"))
	})
	t.Run("405 lists the allowed methods", func(t *testing.T) {
		r := e.do(t, request{method: http.MethodPost, path: "/v1/applications/orders"})
		assert.ElementsMatch(t, []string{"DELETE", "GET", "HEAD", "PUT"}, allowed(r.header.Get("Allow")))
	})
	t.Run("sub-api is mounted behind the token", func(t *testing.T) {
		r := e.do(t, request{method: http.MethodGet, path: "/orders/v1/extra"})
		require.Equal(t, http.StatusOK, r.status)
		assert.JSONEq(t, `{"application":"orders"}`, r.body)
	})
	t.Run("lower-case bearer scheme", func(t *testing.T) {
		r := e.do(t, request{method: http.MethodGet, path: "/v1/applications", headers: map[string]string{"Authorization": "bearer " + adminToken}})
		assert.Equal(t, http.StatusOK, r.status)
	})
	t.Run("the panic went to the log, not the client", func(t *testing.T) {
		assert.Contains(t, e.logs.String(), "kaboom")
	})
	t.Run("no token in the log", func(t *testing.T) {
		assert.NotContains(t, e.logs.String(), adminToken)
	})
}

func allowed(h string) []string {
	var out []string
	for _, m := range strings.Split(h, ",") {
		if m = strings.TrimSpace(m); m != "" && m != "OPTIONS" {
			out = append(out, m)
		}
	}
	return out
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := "metadata: {name: big}\nspec:\n  description: " + strings.Repeat("x", httpapi.DefaultBodyLimit) + "\n"

	r := e.do(t, request{method: http.MethodPut, path: "/v1/applications/big", body: big})
	require.Equal(t, http.StatusRequestEntityTooLarge, r.status)
	code, msg := r.errorBody(t)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Equal(t, "request body is larger than 1048576 bytes", msg)

	// Without Content-Length (chunked), the limit still holds while reading.
	req, err := http.NewRequest(http.MethodPut, e.url+"/v1/secrets/big", io.MultiReader(strings.NewReader("stringData:\n  k: "), strings.NewReader(strings.Repeat("y", 2<<20))))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	// Just under the limit is fine.
	ok := "metadata: {name: ok}\nspec:\n  description: " + strings.Repeat("x", httpapi.DefaultBodyLimit-100) + "\n"
	require.Less(t, len(ok), httpapi.DefaultBodyLimit)
	r = e.do(t, request{method: http.MethodPut, path: "/v1/applications/ok", body: ok})
	assert.Equal(t, http.StatusCreated, r.status, r.body)
}

func TestConfiguredBodyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config, a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
		c.BodyLimit = 64
		return a, s
	})
	r := e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp})
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)
}

// brokenApps fails every call the way a broken disk would, with details that must not
// reach the client.
type brokenApps struct{ ports.ApplicationRepository }

var errDisk = errors.New("read /data/appconnector.db: input/output error")

func (brokenApps) List(context.Context) ([]application.Application, error) { return nil, errDisk }
func (brokenApps) Put(context.Context, application.Application) (application.Application, bool, error) {
	return application.Application{}, false, errDisk
}

func TestStoreFailureIs500WithoutDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(_ *httpapi.Config, a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
		return brokenApps{a}, s
	})
	for _, req := range []request{
		{method: http.MethodGet, path: "/v1/applications"},
		{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp},
	} {
		r := e.do(t, req)
		require.Equal(t, http.StatusInternalServerError, r.status)
		code, msg := r.errorBody(t)
		assert.Equal(t, http.StatusInternalServerError, code)
		assert.Equal(t, "internal error", msg)
		assert.NotContains(t, r.body, "input/output")
	}
	assert.Contains(t, e.logs.String(), "input/output error")
}

func TestEmptyAdminTokenLocksTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config, a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
		c.AdminToken = ""
		return a, s
	})
	for _, h := range []string{"", "Bearer ", "Bearer  "} {
		r := e.do(t, request{method: http.MethodGet, path: "/v1/applications", noAuth: true, headers: map[string]string{"Authorization": h}})
		assert.Equal(t, http.StatusUnauthorized, r.status, "%q", h)
	}
	assert.Equal(t, http.StatusOK, e.do(t, request{method: http.MethodGet, path: "/healthz", noAuth: true}).status)
}
