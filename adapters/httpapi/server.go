package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/ports"
)

// Server is the management API. Build it with NewServer and serve Handler().
type Server struct {
	e     *echo.Echo
	reg   *registry.Service
	log   *slog.Logger
	auth  *tokenAuth
	limit int64
	ready atomic.Pointer[func(context.Context) error]
	// compass is nil unless Compass mode is on.
	compass ports.CompassConnectionStore
}

// NewServer builds the management API over reg and mounts extra behind the admin-token
// check. A nil reg or logger is a programming error and panics.
func NewServer(cfg Config, reg *registry.Service, logger *slog.Logger, extra ExtraRoutes) *Server {
	if reg == nil || logger == nil {
		panic("httpapi.NewServer: nil dependency")
	}
	if cfg.AdminToken == "" {
		logger.Warn("management api has no admin token: every protected request is refused")
	}
	s := &Server{e: echo.New(), reg: reg, log: logger, auth: newTokenAuth(cfg.AdminToken), limit: cfg.bodyLimit(), compass: cfg.CompassConnections}
	s.SetReady(cfg.ReadyCheck)

	e := s.e
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard) // everything worth logging goes through slog
	e.HTTPErrorHandler = s.handleError
	e.Pre(removeTrailingSlash, hangUpOnUnreadBody)
	e.Use(cfg.Middleware...)
	e.Use(s.logRequests, s.recoverPanics, s.auth.middleware)

	e.GET(pathHealth, s.health)
	e.GET(pathHealthz, s.health)
	e.GET(pathReadyz, s.readyz)

	// The token is checked by the global middleware above, not by group middleware:
	// Echo's group middleware registers a catch-all route that would turn every wrong
	// method into a 404 instead of a 405.
	g := e.Group("")
	g.GET("/v1/applications", s.listApplications)
	g.GET("/v1/applications/:name", s.getApplication)
	g.PUT("/v1/applications/:name", s.putApplication)
	g.DELETE("/v1/applications/:name", s.deleteApplication)
	g.GET("/v1/secrets", s.listSecrets)
	g.GET("/v1/secrets/:name", s.getSecret)
	g.PUT("/v1/secrets/:name", s.putSecret)
	g.DELETE("/v1/secrets/:name", s.deleteSecret)
	s.registerCompass(g)
	for _, r := range extra {
		r.Register(g)
	}
	addHeadRoutes(e)
	return s
}

// addHeadRoutes answers HEAD on every GET route, the sub-APIs' included, with the GET
// handler: Echo routes HEAD only where it is registered, and net/http drops the body
// of a HEAD response while keeping its status and headers (Content-Length included).
func addHeadRoutes(e *echo.Echo) {
	head := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == http.MethodHead {
			head[r.Path] = true
		}
	}
	asGet := func(c echo.Context) error {
		// Same path, same node: this only swaps in the GET handler and its parameters.
		e.Router().Find(http.MethodGet, echo.GetPath(c.Request()), c)
		return c.Handler()(c)
	}
	for _, r := range e.Routes() {
		if r.Method == http.MethodGet && !head[r.Path] {
			head[r.Path] = true
			e.Add(http.MethodHead, r.Path, asGet)
		}
	}
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.e }

// SetReady replaces the readiness check of /readyz; nil means always ready. Safe to call
// while serving.
func (s *Server) SetReady(check func(context.Context) error) {
	if check == nil {
		check = func(context.Context) error { return nil }
	}
	s.ready.Store(&check)
}

// Health routes, the only ones that need no token.
const (
	pathHealth  = "/v1/health"
	pathHealthz = "/healthz"
	pathReadyz  = "/readyz"
)

func isProbe(route string) bool {
	return route == pathHealth || route == pathHealthz || route == pathReadyz
}

type status struct {
	Status string `json:"status"`
}

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, status{Status: "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx := c.Request().Context()
	if err := (*s.ready.Load())(ctx); err != nil {
		// /readyz needs no token, so the cause stays in the log.
		s.log.WarnContext(ctx, "not ready", "error", err)
		return echo.NewHTTPError(http.StatusServiceUnavailable, "not ready")
	}
	return c.JSON(http.StatusOK, status{Status: "ready"})
}
