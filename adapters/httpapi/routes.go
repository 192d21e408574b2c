package httpapi

import "github.com/labstack/echo/v4"

// Routes is a sub-API mounted on the management server. Register adds its routes to g,
// a group at the root path whose requests have already passed the admin-token check;
// errors a handler returns go through the server's JSON error handler.
type Routes interface {
	Register(g *echo.Group)
}

// ExtraRoutes are the sub-APIs mounted besides the management API's own routes.
type ExtraRoutes []Routes
