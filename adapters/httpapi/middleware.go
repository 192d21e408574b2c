package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// logRequests logs one line per request: method, path, route, status, duration and
// size. It handles the error of the chain itself so the logged status is the one sent.
// The Authorization header and bodies are never logged; probes log at debug level.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		level := slog.LevelInfo
		switch {
		case res.Status >= 500:
			level = slog.LevelError
		case isProbe(c.Path()):
			level = slog.LevelDebug
		}
		s.log.LogAttrs(req.Context(), level, "http request",
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("route", c.Path()),
			slog.Int("status", res.Status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes_out", res.Size),
			// RemoteAddr, not RealIP: forwarding headers are client-controlled.
			slog.String("remote", req.RemoteAddr),
		)
		return nil
	}
}

// removeTrailingSlash routes "/v1/applications/" as "/v1/applications", as users type
// both. (Echo's middleware package is not used: it pulls in modules this one does not
// otherwise need.)
func removeTrailingSlash(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if len(u.Path) > 1 && strings.HasSuffix(u.Path, "/") {
			u.Path = strings.TrimRight(u.Path, "/")
			if u.Path == "" {
				u.Path = "/"
			}
			if u.RawPath != "" {
				u.RawPath = strings.TrimRight(u.RawPath, "/")
			}
		}
		return next(c)
	}
}

// panicError carries a recovered panic to the error handler, which answers 500.
type panicError struct{ value any }

func (p panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// recoverPanics turns a panic in a handler into a 500, so no panic reaches a client
// as a dropped connection; the stack goes to the log.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r) // the handler asked net/http to abort the response
			}
			stack := make([]byte, 8<<10)
			stack = stack[:runtime.Stack(stack, false)]
			s.log.ErrorContext(c.Request().Context(), "handler panicked",
				"method", c.Request().Method, "path", c.Request().URL.Path,
				"panic", fmt.Sprint(r), "stack", string(stack))
			err = panicError{value: r}
		}()
		return next(c)
	}
}
