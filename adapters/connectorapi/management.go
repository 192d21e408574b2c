package connectorapi

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/ports"
)

// Event listing bounds.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// ManagementRoutes are the connector's routes on the management API (behind its admin
// token). It satisfies httpapi.Routes.
type ManagementRoutes struct {
	h *handlers
}

// NewManagementRoutes returns the management routes.
func NewManagementRoutes(cfg Config, svc *connector.Service, logger *slog.Logger) (*ManagementRoutes, error) {
	h, err := newHandlers(cfg, svc, logger)
	if err != nil {
		return nil, err
	}
	return &ManagementRoutes{h: h}, nil
}

// Register implements httpapi.Routes:
//
//	POST /v1/applications/{name}/tokens            one-time token for an Application
//	POST /v1/applications/tokens                   the same, Kyma style (Application header)
//	POST /v1/applications/certificates/revocations revoke by {"hash": "<sha256 hex>"}
//	GET  /v1/events?application=&after=&limit=     the embedded event log
func (m *ManagementRoutes) Register(g *echo.Group) {
	g.POST("/v1/applications/:name/tokens", func(c echo.Context) error { return m.token(c, c.Param("name")) })
	g.POST("/v1/applications/tokens", func(c echo.Context) error {
		app := c.Request().Header.Get("Application")
		if app == "" {
			return echo.NewHTTPError(http.StatusBadRequest, "Required headers for ApplicationContext not specified.")
		}
		return m.token(c, app)
	})
	g.POST(schema.PathRevocations, m.revoke)
	g.GET("/v1/events", m.events)
}

func (m *ManagementRoutes) token(c echo.Context, app string) error {
	tok, err := m.h.svc.IssueToken(c.Request().Context(), app)
	if err != nil {
		return asEchoError(err)
	}
	m.h.cfg.Metrics.TokenIssued()
	return writeJSON(c, http.StatusCreated, schema.TokenResponse{
		URL:       m.h.cfg.tokenURL(tok.Secret),
		Token:     tok.Secret,
		ExpiresAt: formatTime(tok.ExpiresAt),
	})
}

func (m *ManagementRoutes) revoke(c echo.Context) error {
	var req schema.RevocationRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Hash == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "certificate hash value not provided")
	}
	fp, err := certificate.ParseFingerprint(req.Hash)
	if err != nil {
		return asEchoError(err)
	}
	if err := m.h.svc.RevokeFingerprint(c.Request().Context(), fp); err != nil {
		return asEchoError(err)
	}
	m.h.cfg.Metrics.CertificateRevoked()
	return c.NoContent(http.StatusCreated)
}

func (m *ManagementRoutes) events(c echo.Context) error {
	q := ports.EventQuery{Application: c.QueryParam("application"), Limit: defaultEventLimit}
	if v := c.QueryParam("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "after must be a non-negative integer")
		}
		q.After = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEventLimit {
			return echo.NewHTTPError(http.StatusBadRequest, "limit must be an integer from 1 to "+strconv.Itoa(maxEventLimit))
		}
		q.Limit = n
	}
	recs, err := m.h.svc.Events(c.Request().Context(), q)
	if err != nil {
		return asEchoError(err)
	}
	next := q.After
	if len(recs) > 0 {
		next = recs[len(recs)-1].Seq
	}
	return writeJSON(c, http.StatusOK, schema.EventList{Events: recs, Next: next})
}
