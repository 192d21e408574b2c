package httpapi

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/ports"
)

// DefaultBodyLimit is the largest request body accepted unless Config says otherwise.
const DefaultBodyLimit = 1 << 20

// Config configures the management API server.
type Config struct {
	// AdminToken is the bearer token every request except health needs. An empty token
	// locks the API: every protected request gets 401.
	AdminToken string

	// BodyLimit is the largest request body in bytes; larger ones get 413. Zero means
	// DefaultBodyLimit.
	BodyLimit int64

	// ReadyCheck reports whether the server can serve (for example, the store is
	// open); /readyz answers 503 while it returns an error. Nil means always ready.
	// SetReady replaces it later.
	ReadyCheck func(context.Context) error

	// Middleware wraps every request, health and unknown routes included, outside the
	// request logger, error handling and panic recovery, so it sees the final status
	// and the full duration. This is the place for metrics and tracing.
	Middleware []echo.MiddlewareFunc

	// CompassConnections serves /v1/compassconnection; nil means Compass mode is off
	// and the route answers 404 saying so.
	CompassConnections ports.CompassConnectionStore
}

func (c Config) bodyLimit() int64 {
	if c.BodyLimit <= 0 {
		return DefaultBodyLimit
	}
	return c.BodyLimit
}
