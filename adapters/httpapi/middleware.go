package httpapi

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
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

// eofBody records whether a handler read the request body to its end.
type eofBody struct {
	io.ReadCloser
	eof atomic.Bool
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof.Store(true)
	}
	return n, err
}

// hangUpOnUnreadBody makes an answer sent before the body was read (a 401 before the
// token is known, 405, 415, 413) go out at once and end the connection. Otherwise
// net/http reads up to 256 KiB of leftover body to keep the connection alive, first
// before it sends the answer and then again after it, so a client without a token
// could hold a connection by trickling a large announced body.
func hangUpOnUnreadBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength == 0 || req.Body == nil || req.Body == http.NoBody {
			return next(c)
		}
		body := &eofBody{ReadCloser: req.Body}
		// A shallow copy: net/http keeps the original request, whose body type its
		// post-handler logic depends on.
		tracked := req.WithContext(req.Context())
		tracked.Body = body
		c.SetRequest(tracked)
		res := c.Response()
		res.Before(func() {
			if body.eof.Load() {
				return
			}
			res.Header().Set(echo.HeaderConnection, "close")
			// Connection: close stops the read before the answer; a read deadline in
			// the past stops the one net/http does when it closes the body afterwards.
			// The answer itself is unaffected: writes have their own deadline.
			_ = http.NewResponseController(res.Writer).SetReadDeadline(time.Unix(1, 0))
		})
		return next(c)
	}
}
