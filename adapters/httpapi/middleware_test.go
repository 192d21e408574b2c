package httpapi_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"

	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/ports"
)

// The Config.Middleware hook (for metrics and tracing) sees every request with its
// final status, errors and panics included.
func TestMiddlewareHookSeesFinalStatus(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]int{}
	hook := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			mu.Lock()
			defer mu.Unlock()
			seen[c.Request().Method+" "+c.Request().URL.Path] = c.Response().Status
			return err
		}
	}
	e := newEnv(t, func(c *httpapi.Config, a ports.ApplicationRepository, s ports.SecretStore) (ports.ApplicationRepository, ports.SecretStore) {
		c.Middleware = []echo.MiddlewareFunc{hook}
		return a, s
	})
	e.do(t, request{method: http.MethodPut, path: "/v1/applications/orders", body: basicApp})
	e.do(t, request{method: http.MethodGet, path: "/v1/applications/absent"})
	e.do(t, request{method: http.MethodGet, path: "/boom"})
	e.do(t, request{method: http.MethodGet, path: "/nowhere"})
	e.do(t, request{method: http.MethodGet, path: "/healthz", noAuth: true})
	e.do(t, request{method: http.MethodGet, path: "/v1/secrets", noAuth: true})

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{
		"PUT /v1/applications/orders": http.StatusCreated,
		"GET /v1/applications/absent": http.StatusNotFound,
		"GET /boom":                   http.StatusInternalServerError,
		"GET /nowhere":                http.StatusNotFound,
		"GET /healthz":                http.StatusOK,
		"GET /v1/secrets":             http.StatusUnauthorized,
	}, seen)
}

func TestOptionsListsMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(t, request{method: http.MethodOptions, path: "/v1/secrets/x"})
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.ElementsMatch(t, []string{"DELETE", "GET", "HEAD", "PUT"}, allowed(r.header.Get("Allow")))

	r = e.do(t, request{method: http.MethodPost, path: "/v1/secrets/x", noAuth: true})
	assert.Equal(t, http.StatusUnauthorized, r.status, "the token is checked before the method")
}

func TestRequestLogLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(t, request{method: http.MethodGet, path: "/v1/applications/absent"})
	logs := e.logs.String()
	assert.Contains(t, logs, `"msg":"http request","method":"GET","path":"/v1/applications/absent","route":"/v1/applications/:name","status":404`)
	assert.Contains(t, logs, `"duration":`)
	assert.NotContains(t, logs, "Bearer")
}
