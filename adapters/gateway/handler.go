package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"

	"github.com/appconnector/appconnector/adapters/httperr"
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
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// RawPath is the path exactly as the client escaped it when that differs from Go's
	// canonical escaping; otherwise the canonical escaping is what the client sent.
	escaped := r.URL.RawPath
	if escaped == "" {
		escaped = r.URL.EscapedPath()
	}
	p, err := dgw.ParsePath(escaped, h.mode)
	if err != nil {
		httperr.Write(w, http.StatusBadRequest, err.Error())
		return
	}
	ep, err := h.routes.Lookup(p, h.mode)
	if err != nil {
		h.lookupError(w, err)
		return
	}
	if ep.Err != nil {
		h.logger.Warn("api entry unusable", "app", p.App, "service", ep.ServiceDisplayName, "error", ep.Err)
		httperr.Write(w, http.StatusInternalServerError, ep.Err.Error())
		return
	}
	st := getState()
	defer putState(st)
	st.ep, st.b, st.path = ep, ep.Runtime.(*binding), p
	if st.urlPath, st.rawPath, err = ep.Target.Path(p.Rest, ep.EncodeURL); err != nil {
		httperr.Write(w, http.StatusBadRequest, err.Error())
		return
	}
	st.query = dgw.MergeQuery(ep.Target.Query, r.URL.RawQuery, ep.Params)
	if h.cfg.RetryOnAuthFailure && st.b.retry {
		if !h.bufferBody(w, r, st) {
			return
		}
	}
	h.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, st)))
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
		httperr.Write(w, http.StatusBadRequest, "failed to read request body: "+err.Error())
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

func (h *handler) lookupError(w http.ResponseWriter, err error) {
	var amb *application.AmbiguousRouteError
	switch {
	case errors.Is(err, appgw.ErrNotReady):
		httperr.Write(w, http.StatusServiceUnavailable, err.Error())
	case errors.As(err, &amb):
		httperr.Write(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, application.ErrNotFound):
		httperr.Write(w, http.StatusNotFound, err.Error())
	default:
		httperr.Write(w, http.StatusInternalServerError, err.Error())
	}
}
