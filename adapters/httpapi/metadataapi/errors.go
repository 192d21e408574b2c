package metadataapi

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/adapters/httperr"
	"github.com/appconnector/appconnector/app/metadata"
	"github.com/appconnector/appconnector/domain/application"
)

// internalMessage is what Kyma answers for a 500 without detailed errors: causes stay in
// the log.
const internalMessage = "Internal error."

// urlUserinfo matches the user information of a URL in free text.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#@\s]+@`)

// maskURLCredentials hides user:password in URLs, as Kyma's registry does:
// "https://u:p@host" becomes "https://***:***@host".
func maskURLCredentials(msg string) string {
	return urlUserinfo.ReplaceAllString(msg, "${1}***:***@")
}

func writeError(c echo.Context, status int, msg string) error {
	httperr.Write(c.Response(), status, maskURLCredentials(msg))
	return nil
}

// fail answers err with the status and message the registry uses for it.
func (h *Handler) fail(c echo.Context, action string, err error) error {
	var me *metadata.Error
	var de *decodeError
	var ve *metadata.ValidationError
	status, msg := http.StatusInternalServerError, internalMessage
	switch {
	case errors.As(err, &de):
		status, msg = http.StatusBadRequest, de.msg
	case errors.As(err, &ve):
		status, msg = http.StatusBadRequest, "Failed to validate request body, "+ve.Error()
	case errors.As(err, &me):
		msg = me.Message
		switch {
		case errors.Is(me.Kind, application.ErrNotFound):
			status = http.StatusNotFound
		case errors.Is(me.Kind, application.ErrConflict):
			status = http.StatusConflict
		case errors.Is(me.Kind, application.ErrInvalid):
			status = http.StatusBadRequest
		default:
			status, msg = http.StatusInternalServerError, internalMessage
		}
	}
	ctx := c.Request().Context()
	if status >= http.StatusInternalServerError {
		if errors.Is(err, context.Canceled) {
			h.logger.InfoContext(ctx, action+" aborted: client went away", "path", c.Path(), "error", err)
		} else {
			h.logger.ErrorContext(ctx, action+" failed", "path", c.Path(), "status", status, "error", err)
		}
	} else {
		h.logger.InfoContext(ctx, action+" refused", "status", status, "reason", maskURLCredentials(msg))
	}
	return writeError(c, status, msg)
}
