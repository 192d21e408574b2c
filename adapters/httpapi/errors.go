package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/adapters/httperr"
	"github.com/appconnector/appconnector/adapters/manifest"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// internalMessage is all a client learns about a 500; the cause is logged.
const internalMessage = "internal error"

// badRequest is a 400 whose message names the problem.
func badRequest(format string, args ...any) error {
	return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// statusOf maps err to the status and message the client sees. Only messages of
// errors that describe the request (invalid documents, absent or conflicting objects)
// are shown; those never contain secret values.
func statusOf(err error) (int, string) {
	var he *echo.HTTPError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return httpErrorStatus(he)
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, manifest.ErrInvalid), errors.Is(err, application.ErrInvalid), errors.Is(err, credential.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, application.ErrNotFound), errors.Is(err, credential.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, application.ErrConflict), errors.Is(err, credential.ErrConflict):
		return http.StatusConflict, err.Error() + ": the object changed since it was read; get it again and retry"
	case errors.Is(err, credential.ErrUnavailable):
		return http.StatusServiceUnavailable, unavailableMessage(err)
	}
	return http.StatusInternalServerError, internalMessage
}

// unavailableMessage says that the credential store is unavailable and why, in the
// words of a fixed list: the adapter's full message names paths and its server's
// answers, which an API client has no business reading.
func unavailableMessage(err error) string {
	msg := err.Error()
	for _, reason := range []string{"sealed", "unreachable", "permission denied"} {
		if strings.Contains(msg, reason) {
			return credential.ErrUnavailable.Error() + ": " + reason + "; retry later"
		}
	}
	return credential.ErrUnavailable.Error() + "; retry later"
}

func httpErrorStatus(he *echo.HTTPError) (int, string) {
	code := he.Code
	if code < 400 || code > 599 {
		code = http.StatusInternalServerError
	}
	if code >= 500 && code != http.StatusServiceUnavailable {
		return code, internalMessage
	}
	switch he {
	case echo.ErrNotFound:
		return code, "route not found"
	case echo.ErrMethodNotAllowed:
		return code, "method not allowed"
	}
	if msg, ok := he.Message.(string); ok {
		return code, msg
	}
	return code, http.StatusText(code)
}

// handleError is the one place errors become responses.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := statusOf(err)
	ctx := c.Request().Context()
	switch {
	case errors.Is(err, context.Canceled):
		s.log.InfoContext(ctx, "request canceled by the client", "method", c.Request().Method, "path", c.Request().URL.Path)
	case errors.Is(err, credential.ErrUnavailable):
		// The client got only the reason; the operator needs the whole story.
		s.log.WarnContext(ctx, "credential store unavailable", "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
		c.Response().Header().Set("Retry-After", "5")
	case code >= 500 && code != http.StatusServiceUnavailable:
		s.log.ErrorContext(ctx, "request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "error", err)
	}
	if code == http.StatusMethodNotAllowed && c.Request().Method == http.MethodOptions {
		// The router has set Allow; an OPTIONS probe learns the methods from it.
		code, msg = http.StatusNoContent, ""
	}
	// A HEAD gets the same body as a GET would: net/http drops it and keeps the headers.
	if code == http.StatusNoContent {
		_ = c.NoContent(code)
		return
	}
	httperr.Write(c.Response(), code, msg)
}
