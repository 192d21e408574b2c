package connectorapi

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/certificate"
)

// maxJSONBody bounds the JSON bodies of the connector APIs (a CSR is a few KiB).
const maxJSONBody = 64 << 10

// jsonContentType is what Kyma's connector sends with every JSON answer.
const jsonContentType = "application/json;charset=UTF-8"

type handlers struct {
	cfg    Config
	svc    *connector.Service
	logger *slog.Logger
	// mtlsIdentities identifies the client of the mTLS API: its TLS certificate, or XFCC
	// under Config.MTLSTrustXFCC.
	mtlsIdentities func(*http.Request) ([]certificate.Identity, error)
}

func newHandlers(cfg Config, svc *connector.Service, logger *slog.Logger) (*handlers, error) {
	if svc == nil || logger == nil {
		panic("connectorapi: nil dependency")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &handlers{cfg: cfg.withDefaults(), svc: svc, logger: logger}
	h.mtlsIdentities = h.tlsIdentities
	if cfg.MTLSTrustXFCC {
		h.mtlsIdentities = h.xfccIdentities
	}
	return h, nil
}

func (h *handlers) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)
	e.HTTPErrorHandler = errorHandler(h.logger)
	e.Use(requestLog(h.logger), recoverPanics(h.logger))
	e.GET("/v1/health", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e
}

// logAppKey is the echo.Context key under which handlers leave the Application a
// request was for, for the request log.
const logAppKey = "log.application"

// requestLog logs every request at info level: method, route pattern, status, duration
// and Application. The route pattern, not the URL, so query strings (the one-time
// token travels in one) never reach the log; no header is logged.
func requestLog(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			app, _ := c.Get(logAppKey).(string)
			if app == "" {
				app = c.Param(appParam)
			}
			r := c.Request()
			logger.InfoContext(r.Context(), "request", "method", r.Method, "route", c.Path(),
				"status", c.Response().Status, "duration", time.Since(start), "application", app)
			return nil
		}
	}
}

func recoverPanics(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					logger.Error("panic in handler", "path", c.Request().URL.Path, "panic", fmt.Sprint(v))
					err = errors.New("panic")
				}
			}()
			return next(c)
		}
	}
}

// NewConnectorHandler serves the token-secured API of --connector-addr.
func NewConnectorHandler(cfg Config, svc *connector.Service, logger *slog.Logger) (http.Handler, error) {
	h, err := newHandlers(cfg, svc, logger)
	if err != nil {
		return nil, err
	}
	e := h.newEcho()
	e.GET(schema.PathSigningInfo, h.signingInfo)
	e.POST(schema.PathCertificates, h.signCSR)
	return e, nil
}

// NewMTLSHandler serves --mtls-addr: management info, renewal, revocation and the event
// endpoints, all authenticated by the verified TLS client certificate. Serve it with
// MTLSConfig; on a connection without a verified client certificate every protected
// request gets 403. appRoutes are mounted behind the same certificate check, scoped to
// the Application their :application parameter names.
func NewMTLSHandler(cfg Config, svc *connector.Service, logger *slog.Logger, appRoutes ...AppRoutes) (http.Handler, error) {
	h, err := newHandlers(cfg, svc, logger)
	if err != nil {
		return nil, err
	}
	e := h.newEcho()
	e.GET(schema.PathManagementInfo, h.managementInfo)
	e.POST(schema.PathRenewals, h.renew)
	e.POST(schema.PathRevocations, h.revoke)
	h.eventRoutes(e, h.mtlsIdentities)
	if err := h.mountAppRoutes(e, appRoutes); err != nil {
		return nil, err
	}
	return e, nil
}

// NewValidatorHandler serves the event endpoints on --validator-addr, behind a proxy
// that terminates TLS. With cfg.TrustXFCC the client certificate comes from
// X-Forwarded-Client-Cert; without it the header is ignored and only a TLS client
// certificate of the connection itself counts.
func NewValidatorHandler(cfg Config, svc *connector.Service, logger *slog.Logger) (http.Handler, error) {
	h, err := newHandlers(cfg, svc, logger)
	if err != nil {
		return nil, err
	}
	e := h.newEcho()
	identify := h.tlsIdentities
	if h.cfg.TrustXFCC {
		identify = h.xfccIdentities
	}
	h.eventRoutes(e, identify)
	return e, nil
}

// MTLSConfig is the TLS configuration of --mtls-addr: TLS 1.2 or later, a client
// certificate required and verified against clientCAs (client-auth usage included).
func MTLSConfig(serverCert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
	}
}

func (h *handlers) tlsIdentities(r *http.Request) ([]certificate.Identity, error) {
	id, ok := identityFromTLS(r.TLS)
	if !ok {
		return nil, connector.ErrNoCertificate
	}
	return []certificate.Identity{id}, nil
}

func (h *handlers) xfccIdentities(r *http.Request) ([]certificate.Identity, error) {
	v := r.Header.Values(XFCCHeader)
	if len(v) == 0 {
		// A proxy in front may also have verified the client itself over TLS.
		return h.tlsIdentities(r)
	}
	if len(v) > 1 {
		return nil, fmt.Errorf("%w: more than one header", errXFCC)
	}
	ids, err := identitiesFromXFCC(v[0], h.cfg.ClientCAs)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, connector.ErrNoCertificate
	}
	return ids, nil
}

func writeJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, jsonContentType, b)
}

// bindJSON decodes a bounded JSON body, naming the problem on failure.
func bindJSON(c echo.Context, v any) error {
	r := http.MaxBytesReader(c.Response(), c.Request().Body, maxJSONBody)
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return echo.NewHTTPError(http.StatusBadRequest, "request body is empty; expected a JSON object")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "request body is not a valid JSON object: "+jsonReason(err))
	}
	return nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at offset %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %s must be a %s", te.Field, te.Type)
		}
		return "wrong JSON type"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	return "malformed JSON"
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
