package connectorapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/adapters/httperr"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/domain/pairing"
)

// Kyma's messages, kept verbatim where clients may match on them.
const (
	msgNotFound         = "Requested resource could not be found."
	msgMethodNotAllowed = "Method not allowed."
	msgTokenMissing     = "Token not provided."
	msgInvalidToken     = "Invalid token."
	msgTokenExpired     = "Invalid token: the token has expired; request a new one."
	msgRevoked          = "Certificate has been revoked."
	msgExpired          = "Certificate has expired."
	msgInternal         = "internal error"
)

// statusOf maps an error of the use cases to the status and message a client sees.
// Messages of client errors name the problem; they never contain tokens or keys.
func statusOf(err error) (int, string) {
	var (
		he       *echo.HTTPError
		tooLarge *http.MaxBytesError
		de       *event.DeliveryError
	)
	switch {
	case errors.As(err, &he):
		return echoStatus(he)
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, pairing.ErrExpired):
		return http.StatusForbidden, msgTokenExpired
	case errors.Is(err, pairing.ErrNotFound), errors.Is(err, pairing.ErrMalformed):
		return http.StatusForbidden, msgInvalidToken
	case errors.Is(err, certificate.ErrRevoked):
		return http.StatusForbidden, msgRevoked
	case errors.Is(err, certificate.ErrExpired):
		return http.StatusForbidden, msgExpired
	case errors.Is(err, certificate.ErrInvalidCSR):
		var ce *certificate.CSRError
		if errors.As(err, &ce) {
			return http.StatusBadRequest, ce.Error()
		}
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, connector.ErrForbidden):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, connector.ErrNoCertificate):
		return http.StatusForbidden, "client certificate required"
	case errors.Is(err, errXFCC):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, application.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, connector.ErrEventLogDisabled):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, certificate.ErrInvalidFingerprint):
		return http.StatusBadRequest, err.Error()
	case errors.As(err, &de):
		return deliveryStatus(de)
	case errors.Is(err, event.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	}
	return http.StatusInternalServerError, msgInternal
}

// deliveryStatus: a timeout is 504, an unreachable or failing (5xx) endpoint 502, and
// a 4xx from eventing is passed on, since it is about the event.
func deliveryStatus(de *event.DeliveryError) (int, string) {
	switch {
	case de.Timeout:
		return http.StatusGatewayTimeout, "eventing did not answer in time"
	case de.StatusCode == http.StatusUnauthorized || de.StatusCode == http.StatusForbidden || de.StatusCode == http.StatusProxyAuthRequired:
		// Eventing refusing appconnector itself is a configuration fault here, not the
		// client's: passing 401/403 on would read as the client's certificate failing.
		return http.StatusBadGateway, fmt.Sprintf("eventing refused appconnector's request with status %d", de.StatusCode)
	case de.StatusCode >= 400 && de.StatusCode < 500:
		return de.StatusCode, fmt.Sprintf("eventing rejected the event with status %d", de.StatusCode)
	case de.StatusCode != 0:
		return http.StatusBadGateway, fmt.Sprintf("eventing failed with status %d", de.StatusCode)
	}
	return http.StatusBadGateway, "eventing is unreachable"
}

func echoStatus(he *echo.HTTPError) (int, string) {
	switch he.Code {
	case http.StatusNotFound:
		if he == echo.ErrNotFound {
			return he.Code, msgNotFound
		}
	case http.StatusMethodNotAllowed:
		return he.Code, msgMethodNotAllowed
	}
	if he.Code >= 500 {
		return he.Code, msgInternal
	}
	if m, ok := he.Message.(string); ok {
		return he.Code, m
	}
	return he.Code, http.StatusText(he.Code)
}

// errorHandler writes Kyma's error body; 5xx causes are logged, not shown.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		code, msg := statusOf(err)
		r := c.Request()
		if code >= 500 {
			logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
		} else {
			logger.DebugContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "status", code, "reason", msg)
		}
		if code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusRequestEntityTooLarge {
			// A refused request's body stays unread; without this, net/http would drain
			// up to 256 KiB of it after the handler, waiting on a client that trickles.
			c.Response().Header().Set("Connection", "close")
		}
		var de *event.DeliveryError
		if errors.As(err, &de) && de.StatusCode >= 500 {
			c.Response().Header().Set("Target-System-Status", fmt.Sprint(de.StatusCode))
		}
		httperr.Write(c.Response(), code, msg)
	}
}

// asEchoError converts a use-case error for the management server's error handler,
// which shows messages of 4xx echo errors and logs everything else.
func asEchoError(err error) error {
	code, msg := statusOf(err)
	if code >= 500 {
		return err
	}
	return echo.NewHTTPError(code, msg).SetInternal(err)
}
