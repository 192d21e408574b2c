package connectorapi

import (
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"
)

// AppRoutes is an API scoped to one Application by the :application path parameter,
// such as the legacy Application Registry (/{application}/v1/metadata/services). Mounted
// on --mtls-addr, its requests only reach it when the verified client certificate may act
// for that Application and is not revoked: the same rule as events, so an external
// system registers its own services with the certificate it got from the connector, as
// the metadataUrl of the management info announces.
type AppRoutes interface {
	Register(g *echo.Group)
}

// appParam is the path parameter AppRoutes name their Application with.
const appParam = "application"

// mountAppRoutes mounts routes behind the per-Application check. A route without an
// :application parameter has no Application to check against, so it is refused here,
// at registration, instead of being served unguarded.
func (h *handlers) mountAppRoutes(e *echo.Echo, routes []AppRoutes) error {
	if len(routes) == 0 {
		return nil
	}
	g := e.Group("", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			app := c.Param(appParam)
			if app == "" {
				// Only the group's catch-all (404) routes get here: registration refused
				// every other route without the parameter.
				return echo.ErrNotFound
			}
			c.Set(logAppKey, app)
			ids, err := h.mtlsIdentities(c.Request())
			if err != nil {
				return err
			}
			if err := h.svc.Authorize(c.Request().Context(), app, ids); err != nil {
				return err
			}
			return next(c)
		}
	})
	known := map[string]bool{}
	for _, r := range e.Routes() {
		known[r.Method+" "+r.Path] = true
	}
	for _, r := range routes {
		r.Register(g)
	}
	for _, r := range e.Routes() {
		if known[r.Method+" "+r.Path] || r.Method == echo.RouteNotFound {
			continue
		}
		if !hasParam(r.Path, appParam) {
			return fmt.Errorf("connectorapi: app-scoped route %s %s has no :%s parameter, so no Application could authorise it", r.Method, r.Path, appParam)
		}
	}
	return nil
}

func hasParam(path, name string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == ":"+name {
			return true
		}
	}
	return false
}
