package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/http/httpguts"
)

// forwardable reports whether r goes through forward instead of httputil.ReverseProxy:
// a request without a body (and so without request trailers or Expect), not asking to
// switch protocols, with a method that has no side effects to repeat.
func forwardable(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
	default:
		return false
	}
	if r.Body != nil && r.Body != http.NoBody || r.ContentLength != 0 || r.Trailer != nil || len(r.TransferEncoding) > 0 {
		return false
	}
	h := r.Header
	return len(h["Upgrade"]) == 0 && len(h["Expect"]) == 0
}

// forward is httputil.ReverseProxy.ServeHTTP (Go 1.26) for the requests forwardable
// admits, with the same steps in the same order and the same answers, minus what such a
// request cannot need: the request clone and its header copy (the outgoing header
// shares the caller's value slices, which nothing on the way modifies in place: values
// are replaced, never edited), the hop-by-hop passes over the header by name (done
// while copying), and the upgrade and request-body paths. It saves ReverseProxy's
// share of the request's CPU, about a tenth (docs/performance.md).
func (h *handler) forward(w http.ResponseWriter, in *http.Request, ctx context.Context, st *reqState) {
	ft := &fwdTrace{w: w}
	ft.trace.Got1xxResponse = ft.got1xx
	out := in.WithContext(httptrace.WithClientTrace(ctx, &ft.trace))
	out.URL = new(url.URL)
	out.Body, out.ContentLength, out.Close = nil, 0, false
	out.Header = forwardHeader(in.Header)
	rewriteOut(st, in, out)
	if _, ok := out.Header["User-Agent"]; !ok {
		// No User-Agent from the caller: send none, not Go's.
		out.Header["User-Agent"] = noUserAgent
	}

	res, err := h.proxy.Transport.RoundTrip(out)
	ft.mu.Lock()
	ft.done = true
	ft.mu.Unlock()
	if err != nil {
		h.proxy.ErrorHandler(w, out, err)
		return
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		// Nothing was asked to switch: what ReverseProxy answers.
		_ = modifyResponse(res)
		_ = res.Body.Close()
		h.proxy.ErrorHandler(w, out, fmt.Errorf("backend tried to switch protocol %q when %q was requested", upgradeType(res.Header), ""))
		return
	}
	removeHopByHop(res.Header)
	if err := modifyResponse(res); err != nil {
		_ = res.Body.Close()
		h.proxy.ErrorHandler(w, out, err)
		return
	}
	wh := w.Header()
	for k, vv := range res.Header {
		wh[k] = append(wh[k], vv...)
	}
	announced := len(res.Trailer)
	if announced > 0 {
		keys := make([]string, 0, announced)
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		wh.Add("Trailer", strings.Join(keys, ", "))
	}
	w.WriteHeader(res.StatusCode)

	if err := h.copyBody(w, res, st); err != nil {
		defer res.Body.Close()
		// As ReverseProxy: the response is cut off, and the server must not make it
		// look complete.
		panic(http.ErrAbortHandler)
	}
	_ = res.Body.Close()
	if len(res.Trailer) > 0 {
		st.client.flushNow()
	}
	if len(res.Trailer) == announced {
		for k, vv := range res.Trailer {
			wh[k] = append(wh[k], vv...)
		}
		return
	}
	for k, vv := range res.Trailer {
		k = http.TrailerPrefix + k
		for _, v := range vv {
			wh.Add(k, v)
		}
	}
}

// copyBody is ReverseProxy's copyResponse: a response it flushes itself (unknown length,
// event streams) is flushed at once and after every write; any other is flushed by
// respBody when the target makes the copy wait.
func (h *handler) copyBody(w http.ResponseWriter, res *http.Response, st *reqState) error {
	flushes := proxyFlushes(res)
	if res.Body == &st.resp {
		flushes = st.resp.proxyFlushes
	}
	if flushes {
		st.client.flushNow()
	}
	buf := h.proxy.BufferPool.Get()
	defer h.proxy.BufferPool.Put(buf)
	for {
		n, rerr := res.Body.Read(buf)
		if rerr != nil && rerr != io.EOF && rerr != context.Canceled {
			h.logger.Debug("httputil: ReverseProxy read error during body copy", "error", rerr)
		}
		if n > 0 {
			m, werr := w.Write(buf[:n])
			if werr != nil {
				return werr
			}
			if m != n {
				return io.ErrShortWrite
			}
			if flushes {
				st.client.flushNow()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// noUserAgent is the User-Agent value that sends none.
var noUserAgent = []string{""}

// teTrailers is the TE the target gets when the caller accepts trailers.
var teTrailers = []string{"trailers"}

// forwardHeader is the caller's header without what ReverseProxy removes before its
// Rewrite: hop-by-hop headers, those the caller's Connection names, and the
// X-Forwarded-* and Forwarded headers rewriteOut sets again.
func forwardHeader(in http.Header) http.Header {
	out := make(http.Header, len(in)+4)
	conn := in["Connection"]
	for k, vv := range in {
		switch k {
		case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
			"Te", "Trailer", "Transfer-Encoding", "Upgrade",
			"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto":
			continue
		}
		if conn != nil && connectionLists(conn, k) {
			continue
		}
		out[k] = vv
	}
	if httpguts.HeaderValuesContainsToken(in["Te"], "trailers") {
		out["Te"] = teTrailers
	}
	return out
}

// removeHopByHop is ReverseProxy's removal of hop-by-hop headers from a response.
func removeHopByHop(h http.Header) {
	for _, f := range h["Connection"] {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				h.Del(sf)
			}
		}
	}
	for _, k := range [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"} {
		delete(h, k)
	}
}

// fwdTrace relays the target's informational answers (103 Early Hints) to the caller
// while the round trip runs, and ignores any that arrive after it.
type fwdTrace struct {
	trace httptrace.ClientTrace
	w     http.ResponseWriter
	mu    sync.Mutex
	done  bool
}

func (t *fwdTrace) got1xx(code int, header textproto.MIMEHeader) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil
	}
	h := t.w.Header()
	for k, vv := range header {
		h[k] = append(h[k], vv...)
	}
	t.w.WriteHeader(code)
	clear(h)
	return nil
}

// upgradeType is the protocol h switches to, as ReverseProxy reads it.
func upgradeType(h http.Header) string {
	if !httpguts.HeaderValuesContainsToken(h["Connection"], "Upgrade") {
		return ""
	}
	return h.Get("Upgrade")
}
