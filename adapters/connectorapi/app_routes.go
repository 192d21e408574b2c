package connectorapi

import (
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

func (h *handlers) mountAppRoutes(e *echo.Echo, routes []AppRoutes) {
	if len(routes) == 0 {
		return
	}
	g := e.Group("", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			app := c.Param(appParam)
			if app == "" {
				// Routes of other areas (events, management info) authorise themselves.
				return next(c)
			}
			ids, err := h.tlsIdentities(c.Request())
			if err != nil {
				return err
			}
			if err := h.svc.Authorize(c.Request().Context(), app, ids); err != nil {
				return err
			}
			return next(c)
		}
	})
	for _, r := range routes {
		r.Register(g)
	}
}
