package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"time"

	"github.com/appconnector/appconnector/adapters/httperr"
	"github.com/appconnector/appconnector/adapters/telemetry"
	appgw "github.com/appconnector/appconnector/app/gateway"
	"github.com/appconnector/appconnector/domain/application"
	dgw "github.com/appconnector/appconnector/domain/gateway"
)

// handler serves one listener: it resolves the route from the in-memory table, answers
// the gateway's own errors, prepares the request state and hands over to the proxy.
type handler struct {
	mode   dgw.Mode
	routes *appgw.Routes
	proxy  *httputil.ReverseProxy
	cfg    *Config
	logger *slog.Logger
	// logLevel is the request log's level: debug, or info with Config.AccessLog.
	logLevel slog.Level
	// metrics is nil with metrics off; traced is set when spans are recorded.
	metrics *telemetry.GatewayMetrics
	traced  bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := getState()
	// Checked once: the request log costs nothing on the hot path when it is off.
	logged := h.logger.Enabled(r.Context(), h.logLevel)
	var start time.Time
	if logged || h.metrics != nil {
		start = time.Now()
	}
	h.metrics.RequestStarted()
	defer h.finish(r, st, logged, start)
	h.serve(w, r, st)
	st.done = true
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, st *reqState) {
	// RawPath is the path exactly as the client escaped it when that differs from Go's
	// canonical escaping; otherwise the canonical escaping is what the client sent.
	escaped := r.URL.RawPath
	if escaped == "" {
		escaped = r.URL.EscapedPath()
	}
	p, err := dgw.ParsePath(escaped, h.mode)
	if err != nil {
		h.metrics.Unrouted(telemetry.UnroutedBadPath)
		h.fail(w, st, http.StatusBadRequest, err.Error())
		return
	}
	st.path = p
	ep, err := h.routes.Lookup(p, h.mode)
	if err != nil {
		h.lookupError(w, st, err)
		return
	}
	if ep.Err != nil {
		// The entry is registered but cannot be served until its Secret is fixed: it
		// has no route handle, since only usable entries are bound.
		h.metrics.Unrouted(telemetry.UnroutedNotReady)
		h.logger.Warn("api entry unusable", "app", p.App, "service", ep.ServiceDisplayName, "error", ep.Err)
		h.fail(w, st, http.StatusInternalServerError, ep.Err.Error())
		return
	}
	st.ep, st.b = ep, ep.Runtime.(*binding)
	if h.traced {
		telemetry.SetRoute(r.Context(), st.b.app, st.b.service)
	}
	if st.urlPath, st.rawPath, err = ep.Target.Path(p.Rest, ep.EncodeURL); err != nil {
		h.fail(w, st, http.StatusBadRequest, err.Error())
		return
	}
	st.query = dgw.MergeQuery(ep.Target.Query, r.URL.RawQuery, ep.Params)
	st.idle, st.logger = h.cfg.BodyIdleTimeout, h.logger
	st.client.init(w)
	st.w = w
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		st.up = &upload{body: r.Body, idle: st.idle, conn: st.client.read}
		r.Body = st.up
		// Also when nothing ever reads the body (the target cannot be reached): before it
		// answers, the server drains the unread body, which must not wait for ever.
		st.up.deadline(time.Now().Add(st.idle))
	}
	if h.cfg.RetryOnAuthFailure && st.b.retry {
		if !h.bufferBody(w, r, st) {
			return
		}
	}
	ctx := context.WithValue(r.Context(), stateKey{}, st)
	if forwardable(r) {
		h.forward(w, r, ctx, st)
		return
	}
	h.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// finish runs when the handler returns, also when the proxy aborts the response with a
// panic: the request log, and the request state back to the pool.
func (h *handler) finish(r *http.Request, st *reqState, logged bool, start time.Time) {
	if st.up != nil {
		st.up.detach()
	}
	if h.metrics != nil {
		h.metrics.RequestDone()
		if st.b != nil && st.b.metrics != nil {
			end := st.headersAt
			if end.IsZero() {
				end = time.Now()
			}
			st.b.metrics.ObserveRequest(telemetry.MethodOf(r.Method), st.status, end.Sub(start))
		}
	}
	if st.resp.started {
		// The server flushes what is still buffered after the handler returns; that last
		// write gets a full idle timeout of its own, however long closing the target's
		// body took.
		st.client.writeWithin(st.idle)
	}
	if logged {
		attrs := [...]slog.Attr{
			slog.String("method", r.Method),
			slog.String("app", st.path.App),
			slog.String("service", st.path.Service),
			slog.String("entry", st.path.Entry),
			slog.Int("status", st.status),
			slog.Duration("duration", time.Since(start)),
			slog.Bool("aborted", !st.done),
		}
		a := attrs[:]
		if h.mode != dgw.Compass {
			a = append(attrs[:3:3], attrs[4:]...)
		}
		h.logger.LogAttrs(r.Context(), h.logLevel, "request", a...)
	}
	putState(st)
}

// fail answers with the gateway's own error.
func (h *handler) fail(w http.ResponseWriter, st *reqState, status int, msg string) {
	st.status = status
	httperr.Write(w, status, msg)
}

// bufferBody reads a body of up to RetryBodyLimit into memory so a 401/403 can be
// retried; a larger body is streamed (already-read bytes first) and marks the request
// as not replayable. It reports false when it has answered the request itself.
func (h *handler) bufferBody(w http.ResponseWriter, r *http.Request, st *reqState) bool {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		st.replayable = true
		return true
	}
	limit := h.cfg.RetryBodyLimit
	if r.ContentLength > limit {
		return true
	}
	buf := new(bytes.Buffer)
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	if err != nil {
		if st.up != nil && st.up.stalled.Load() {
			h.fail(w, st, http.StatusRequestTimeout, "failed to read request body: "+err.Error())
			return false
		}
		h.fail(w, st, http.StatusBadRequest, "failed to read request body: "+err.Error())
		return false
	}
	if n > limit {
		// Unknown length and over the limit: stream the rest without retry.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(buf, r.Body), r.Body}
		return true
	}
	st.body, st.replayable = buf, true
	r.Body = st.newBody()
	r.ContentLength = n
	data := buf.Bytes()
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return true
}

func (h *handler) lookupError(w http.ResponseWriter, st *reqState, err error) {
	var amb *application.AmbiguousRouteError
	switch {
	case errors.Is(err, appgw.ErrNotReady):
		h.metrics.Unrouted(telemetry.UnroutedNotReady)
		h.fail(w, st, http.StatusServiceUnavailable, err.Error())
	case errors.As(err, &amb):
		h.metrics.Unrouted(telemetry.UnroutedAmbiguous)
		h.fail(w, st, http.StatusBadRequest, err.Error())
	case errors.Is(err, application.ErrNotFound):
		h.metrics.Unrouted(telemetry.UnroutedNotFound)
		h.fail(w, st, http.StatusNotFound, err.Error())
	default:
		h.metrics.Unrouted(telemetry.UnroutedNotFound)
		h.fail(w, st, http.StatusInternalServerError, err.Error())
	}
}
