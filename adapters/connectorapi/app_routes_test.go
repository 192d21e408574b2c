package connectorapi_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/connectorapi"
)

type routesFunc func(g *echo.Group)

func (f routesFunc) Register(g *echo.Group) { f(g) }

// An app-scoped route without :application would skip the per-Application check: the
// handler refuses to be built rather than serve it unguarded.
func TestAppRouteWithoutApplicationParameterIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{eventingURL: "log"})
	cfg := connectorapi.Config{ConnectorURL: e.connectorURL, MTLSURL: e.mtlsURL}
	ok := routesFunc(func(g *echo.Group) {
		g.GET("/:application/v1/things", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	})
	bad := routesFunc(func(g *echo.Group) {
		g.GET("/v1/all-things", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	})
	_, err := connectorapi.NewMTLSHandler(cfg, e.svc, discard(), ok)
	require.NoError(t, err)
	_, err = connectorapi.NewMTLSHandler(cfg, e.svc, discard(), ok, bad)
	require.Error(t, err)
	assert.ErrorContains(t, err, "/v1/all-things")
	assert.ErrorContains(t, err, ":application")
}
