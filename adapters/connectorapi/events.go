package connectorapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
)

type identifyFunc func(*http.Request) ([]certificate.Identity, error)

// eventRoutes mounts the validator's endpoints. The checks run in this order: client
// certificate present, Application exists (404), certificate may act for it and is not
// revoked (403), body well-formed (400/413), delivery (502/504).
func (h *handlers) eventRoutes(e *echo.Echo, identify identifyFunc) {
	traced := h.traceEvents()
	e.POST("/:app/v1/events", func(c echo.Context) error { return h.legacyEvent(c, identify) }, traced...)
	e.GET("/:app/v1/events/subscribed", func(c echo.Context) error { return h.subscribed(c, identify) }, traced...)
	e.POST("/:app/v2/events", func(c echo.Context) error { return h.cloudEvent(c, identify) }, traced...)
	e.POST("/:app/events", func(c echo.Context) error { return h.cloudEvent(c, identify) }, traced...)
}

// traceEvents is the route middleware of the event endpoints with tracing on: an
// events.receive server span around the handler. The error is turned into its answer
// inside the span, so the span has the status the sender got, and the request log
// (outside) sees the span's context and writes its trace id.
func (h *handlers) traceEvents() []echo.MiddlewareFunc {
	if !h.cfg.Tracing.Enabled() {
		return nil
	}
	return []echo.MiddlewareFunc{func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h.cfg.Tracing.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c.SetRequest(r)
				c.SetResponse(echo.NewResponse(w, c.Echo()))
				if err := next(c); err != nil {
					c.Error(err)
				}
			}), telemetry.SpanEventReceive).ServeHTTP(c.Response(), c.Request())
			return nil
		}
	}}
}

// authorized is the preamble of every event handler: identify the client, authorise
// it for the Application in the URL, and only then (withBody) read the bounded body,
// so an unauthorised request is refused without waiting for its body. The Sender it
// returns is what the event is published with: the Application is read once.
func (h *handlers) authorized(c echo.Context, identify identifyFunc, withBody bool) (from connector.Sender, body []byte, err error) {
	ids, err := identify(c.Request())
	if err != nil {
		return connector.Sender{}, nil, err
	}
	app := c.Param("app")
	c.Set(logAppKey, app)
	if from, err = h.svc.AuthorizeSender(c.Request().Context(), app, ids); err != nil {
		return connector.Sender{}, nil, err
	}
	if withBody {
		r := http.MaxBytesReader(c.Response(), c.Request().Body, h.cfg.MaxEventBytes)
		if body, err = io.ReadAll(r); err != nil {
			return connector.Sender{}, nil, err
		}
	}
	return from, body, nil
}

func (h *handlers) legacyEvent(c echo.Context, identify identifyFunc) error {
	m := h.cfg.EventMetrics
	from, body, err := h.authorized(c, identify, true)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		m.Refused(err)
		return writeLegacyError(c, event.LegacyBodyTooLarge(mbe.Limit))
	}
	if err != nil {
		m.Refused(err)
		return err
	}
	if err := checkLegacyContentType(c.Request().Header); err != nil {
		m.Refused(err)
		return writeLegacyError(c, err)
	}
	id, err := h.svc.PublishLegacy(c.Request().Context(), from, body)
	if err != nil {
		m.Refused(err)
	}
	var le *event.LegacyError
	var de *event.DeliveryError
	switch {
	case errors.As(err, &le):
		return writeLegacyError(c, le)
	case errors.As(err, &de):
		code, msg := deliveryStatus(de)
		if de.StatusCode >= 500 {
			c.Response().Header().Set("Target-System-Status", strconv.Itoa(de.StatusCode))
		}
		return writeLegacyError(c, event.NewLegacyError(code, "delivery_failed", msg))
	case err != nil:
		return err
	}
	m.Accepted(telemetry.EventAPILegacy)
	b, _ := json.Marshal(event.LegacyResponse{EventID: id})
	return c.Blob(http.StatusOK, "application/json", b)
}

// checkLegacyContentType accepts a JSON media type or none at all (legacy senders
// often send none); anything else, text/plain included, is a 415 instead of a guess
// at what the body is.
func checkLegacyContentType(h http.Header) *event.LegacyError {
	ct := h.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return event.NewLegacyError(http.StatusUnsupportedMediaType, "unsupported_media_type",
		fmt.Sprintf("Content-Type %q is not supported: send the event as application/json", ct))
}

func writeLegacyError(c echo.Context, le *event.LegacyError) error {
	b, err := json.Marshal(le)
	if err != nil {
		return err
	}
	return c.Blob(le.Status, "application/json", b)
}

func (h *handlers) cloudEvent(c echo.Context, identify identifyFunc) error {
	m := h.cfg.EventMetrics
	from, body, err := h.authorized(c, identify, true)
	if err != nil {
		m.Refused(err)
		return err
	}
	e, err := decodeCloudEvent(c.Request().Header, body)
	if err != nil {
		m.Refused(err)
		return err
	}
	if err := h.svc.Publish(c.Request().Context(), from, e); err != nil {
		m.Refused(err)
		return err
	}
	m.Accepted(telemetry.EventAPICloudEvents)
	return c.NoContent(http.StatusNoContent)
}

// subscribed answers the legacy eventsInfoUrl. Subscriptions live in the eventing
// backend, which appconnector does not query, so the list is empty.
func (h *handlers) subscribed(c echo.Context, identify identifyFunc) error {
	if _, _, err := h.authorized(c, identify, false); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, map[string]any{"eventsInfo": []any{}})
}
