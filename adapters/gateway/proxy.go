package gateway

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"

	"github.com/appconnector/appconnector/adapters/httperr"
	dgw "github.com/appconnector/appconnector/domain/gateway"
)

// statusText holds "500".."599" so the 5xx rewrite does not format numbers per response.
var statusText = func() (s [100][]string) {
	for i := range s {
		s[i] = []string{strconv.Itoa(500 + i)}
	}
	return s
}()

// newReverseProxy returns the proxy shared by both listeners. Everything per request
// comes from the request state; the proxy itself is never modified after creation
// (Kyma reassigned its shared proxy's response hook per request, a data race).
func newReverseProxy(cfg *Config, logger *slog.Logger) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      &authTransport{cfg: cfg},
		ModifyResponse: modifyResponse,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			st, _ := r.Context().Value(stateKey{}).(*reqState)
			if st != nil && st.up != nil && st.up.stalled.Load() {
				// The client stopped sending its body; the server cancelled the request.
				// The answer may still reach it.
				st.status = http.StatusRequestTimeout
				logger.Debug("client stopped sending the request body", "app", st.path.App, "service", st.path.Service, "error", err)
				httperr.Write(w, http.StatusRequestTimeout, fmt.Sprintf("request body: no data received for %s", cfg.BodyIdleTimeout))
				return
			}
			status, msg, gone := upstreamStatus(r, err, cfg)
			if st != nil {
				st.status = status
			}
			if gone {
				logger.Debug("client went away", "path", r.URL.Path)
				return
			}
			var target string
			if st != nil && st.ep != nil {
				target = st.ep.Target.String()
			}
			logger.Warn("target call failed", "target", target, "status", status, "error", err)
			httperr.Write(w, status, msg)
		},
		BufferPool: newCopyBufferPool(),
		ErrorLog:   slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
}

// rewrite builds the outgoing request: target URL, Host, X-Forwarded-* as Kyma sends
// them (client IP appended to X-Forwarded-For; X-Forwarded-Host, X-Forwarded-Proto and
// Forwarded passed through), request parameters (caller wins), Access-Token removed.
// Authorization and CSRF are set by the transport, because fetching them can fail.
func rewrite(pr *httputil.ProxyRequest) {
	rewriteOut(pr.In.Context().Value(stateKey{}).(*reqState), pr.In, pr.Out)
}

// rewriteOut is rewrite for out, a copy of in without in's hop-by-hop and X-Forwarded-*
// headers (as ReverseProxy and forward make it).
func rewriteOut(st *reqState, in, out *http.Request) {
	t := st.ep.Target
	u := out.URL
	u.Scheme = t.Scheme
	u.Host = t.Host
	u.Path = st.urlPath
	u.RawPath = st.rawPath
	u.RawQuery = st.query
	u.ForceQuery = false
	u.Fragment, u.RawFragment = "", ""
	out.Host = ""

	h := out.Header
	// ReverseProxy dropped the X-Forwarded-* headers from out; they are taken from in
	// again unless the caller named them in Connection, which makes them hop-by-hop.
	conn := in.Header["Connection"]
	if clientIP, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		prior, ok := in.Header["X-Forwarded-For"]
		if ok && prior != nil && connectionLists(conn, "X-Forwarded-For") {
			prior = prior[:0]
		}
		if !(ok && prior == nil) {
			if len(prior) > 0 {
				clientIP = strings.Join(prior, ", ") + ", " + clientIP
			}
			h["X-Forwarded-For"] = []string{clientIP}
		}
	}
	for _, k := range [...]string{"X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"} {
		if v, ok := in.Header[k]; ok && !connectionLists(conn, k) {
			h[k] = v
		}
	}
	// An empty Access-Token overrides nothing, as in Kyma (which tests Header.Get != "").
	if v := h["Access-Token"]; len(v) > 0 && v[0] != "" {
		st.accessToken = v[:1:1]
	}
	delete(h, "Access-Token")
	st.ep.Params.ApplyHeaders(h)
}

// connectionLists reports whether the Connection header values name the header name.
func connectionLists(conn []string, name string) bool {
	for _, v := range conn {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(tok), name) {
				return true
			}
		}
	}
	return false
}

// modifyResponse applies section 3.9: 5xx becomes 502 with Target-System-Status, and a
// Location of a redirect or 201 on the target is mapped back onto the gateway.
func modifyResponse(resp *http.Response) error {
	code := resp.StatusCode
	st := resp.Request.Context().Value(stateKey{}).(*reqState)
	if len(resp.Trailer) > 0 && resp.ContentLength >= 0 && resp.Body != nil && resp.Body != http.NoBody {
		// An HTTP/2 target may announce trailers and a length. Passed on, the length
		// makes the server send an HTTP/1.1 client a fixed-length body, which has no
		// room for trailers, so they would be lost; without it the body is chunked and
		// the trailers follow it.
		delete(resp.Header, "Content-Length")
		resp.ContentLength = -1
	}
	if code != http.StatusSwitchingProtocols && resp.Body != nil && resp.Body != http.NoBody {
		// An upgraded connection keeps its body (the proxy needs it writable) and no idle
		// limit: a quiet WebSocket is not a stalled one.
		st.mu.Lock()
		st.resp = respBody{st: st, body: resp.Body, proxyFlushes: proxyFlushes(resp)}
		st.mu.Unlock()
		resp.Body = &st.resp
	}
	if dgw.RewritesLocation(code) {
		if loc := resp.Header["Location"]; len(loc) > 0 {
			if v, ok := st.ep.Target.RewriteLocation(loc[0], resp.Request.URL, st.path.Prefix()); ok {
				resp.Header["Location"] = []string{v}
			}
		}
	}
	if code >= 500 && code <= 599 {
		resp.Header["Target-System-Status"] = statusText[code-500]
		resp.StatusCode = http.StatusBadGateway
		resp.Status = "502 Bad Gateway"
	}
	if code != http.StatusSwitchingProtocols {
		moveHeader(st.w.Header(), resp.Header)
	}
	st.status = resp.StatusCode
	if st.b.metrics != nil {
		st.headersAt = time.Now()
	}
	return nil
}

// moveHeader hands the target's response headers to the client's header map before
// ReverseProxy copies them: its copy adds value by value, canonicalising every name
// again and allocating a slice per header, for names the transport already
// canonicalised and slices nobody modifies afterwards. Content-Type stays for
// ReverseProxy to copy, because it reads it from the response to decide whether to
// flush a text/event-stream. A name the client's map already has (set by a middleware)
// gets the target's values appended, as ReverseProxy's copy would. Upgrade responses
// are left alone: ReverseProxy reads their Upgrade header after ModifyResponse.
func moveHeader(dst, src http.Header) {
	for k, vv := range src {
		if k == "Content-Type" {
			continue
		}
		if prior, ok := dst[k]; ok {
			dst[k] = append(prior, vv...)
		} else {
			dst[k] = vv
		}
		delete(src, k)
	}
}
