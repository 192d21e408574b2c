package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/appconnector/appconnector/adapters/telemetry"
)

// authTransport injects credentials and the CSRF token into the outgoing request and
// retries once on 401/403 when that can help and the body can be replayed. It reads the
// endpoint from the request's state, so one instance serves every endpoint.
type authTransport struct {
	cfg *Config
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := req.Context().Value(stateKey{}).(*reqState)
	b := st.b
	// The caller's own cookies, before CSRF cookies are merged in: the retry starts from
	// them, so cookies of the rejected CSRF token are not sent again.
	callerCookie := req.Header["Cookie"]
	tokGen, csrfGen, err := t.authorize(req, st)
	if err != nil {
		return nil, err
	}
	rt := b.target
	if st.accessToken != nil {
		rt = b.plain
	}
	rm := b.metrics
	var start time.Time
	if rm != nil {
		start = time.Now()
	}
	resp, err := rt.RoundTrip(req)
	if err != nil || !t.shouldRetry(resp, st) {
		if rm != nil {
			observeUpstream(rm, req, st, resp, err, start)
		}
		return resp, err
	}
	rm.AuthRetry(resp.StatusCode)
	// A rejected token or CSRF token: drop exactly the values used, fetch new ones and
	// send once more. The caller's own Authorization (Access-Token) is kept.
	drain(resp.Body, t.cfg.ProxyTimeout)
	if st.accessToken == nil && b.tokens != nil {
		b.tokens.cache.invalidate(tokGen)
	}
	if b.csrf != nil {
		b.csrf.cache.invalidate(csrfGen)
	}
	retry := req.Clone(req.Context())
	retry.Body = st.newBody()
	if callerCookie != nil {
		retry.Header["Cookie"] = callerCookie
	} else {
		delete(retry.Header, "Cookie")
	}
	if _, _, err := t.authorize(retry, st); err != nil {
		return nil, err
	}
	resp, err = rt.RoundTrip(retry)
	if rm != nil {
		observeUpstream(rm, retry, st, resp, err, start)
	}
	return resp, err
}

// observeUpstream records the target's answer, or why there was none. A call the
// caller abandoned, or whose request body the caller stopped sending, is not the
// target's failure and is not counted as one.
func observeUpstream(rm *telemetry.RouteMetrics, req *http.Request, st *reqState, resp *http.Response, err error, start time.Time) {
	if err == nil {
		rm.ObserveUpstream(resp.StatusCode, time.Since(start))
		return
	}
	if req.Context().Err() != nil && errors.Is(err, context.Canceled) || st.up != nil && st.up.stalled.Load() {
		return
	}
	rm.TargetError(telemetry.ClassifyTargetError(err))
}

// shouldRetry: a 401/403 is retried only when the entry has a token or CSRF token that
// a refetch can replace (Kyma also retried Basic and unauthenticated calls, executing
// non-idempotent requests twice for nothing) and the body is buffered.
func (t *authTransport) shouldRetry(resp *http.Response, st *reqState) bool {
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		return false
	}
	if !t.cfg.RetryOnAuthFailure || !st.replayable {
		return false
	}
	return st.b.csrf != nil || (st.b.tokens != nil && st.accessToken == nil)
}

// authorize sets Authorization and the CSRF token on req and returns the generations of
// the cached values it used.
func (t *authTransport) authorize(req *http.Request, st *reqState) (tokGen, csrfGen uint64, err error) {
	b := st.b
	h := req.Header
	switch {
	case st.accessToken != nil:
		h["Authorization"] = st.accessToken
	case b.basic != nil:
		h["Authorization"] = b.basic
	case b.tokens != nil:
		var v authHeader
		v, tokGen, err = b.tokens.cache.get(req.Context(), b)
		if err != nil {
			return 0, 0, err
		}
		h["Authorization"] = v
	}
	if b.csrf != nil {
		var tok *csrfToken
		tok, csrfGen, err = b.csrf.cache.get(req.Context(), b)
		if err != nil {
			return 0, 0, err
		}
		tok.apply(h)
	}
	return tokGen, csrfGen, nil
}

// drain reads a little of a discarded body so its connection can be reused. A target
// that stalls in the middle of it gets the connection closed after timeout, so the
// retry is not held up indefinitely.
func drain(body io.ReadCloser, timeout time.Duration) {
	stop := time.AfterFunc(timeout, func() { _ = body.Close() })
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	stop.Stop()
	_ = body.Close()
}
