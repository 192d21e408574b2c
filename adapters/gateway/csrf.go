package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/appconnector/appconnector/adapters/telemetry"
	dgw "github.com/appconnector/appconnector/domain/gateway"
)

// csrfToken is a fetched CSRF token with the cookies that came with it.
type csrfToken struct {
	header  []string // {"<token>"}, len == cap
	cookies []dgw.Cookie
	// cookieHeader is the Cookie header when the caller sends none.
	cookieHeader []string
}

// csrfSource fetches CSRF tokens (section 3.7) with the API's own authentication and
// caches them for a bounded time. It is keyed by endpoint and credential identity, not
// by URL alone as in Kyma, so two APIs with different credentials never share a token.
type csrfSource struct {
	cache *cached[*csrfToken]
	url   string
}

// newCSRFSource builds the CSRF source of an entry. auth returns the Authorization
// header to send (nil for none); rt carries TLS settings and the client certificate.
func newCSRFSource(rawURL string, rt http.RoundTripper, auth func(context.Context, *binding) (authHeader, error), cfg *Config, now func() time.Time) (*csrfSource, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("csrfInfo.tokenEndpointURL is not an absolute http(s) URL")
	}
	clean := *u
	clean.RawQuery = ""
	s := &csrfSource{url: clean.String()}
	ttl := cfg.CSRFTokenTTL
	obs := fetchObserver{kind: telemetry.FetchCSRF, span: telemetry.SpanCSRFFetch, tracing: cfg.Tracing}
	s.cache = newCached(cfg.ProxyTimeout, now, obs, func(ctx context.Context, from *binding) (*csrfToken, time.Time, error) {
		tok, err := fetchCSRF(ctx, u, rt, auth, from)
		if err != nil {
			return nil, time.Time{}, &fetchError{what: "CSRF token", url: s.url, err: err}
		}
		return tok, now().Add(ttl), nil
	})
	return s, nil
}

func fetchCSRF(ctx context.Context, u *url.URL, rt http.RoundTripper, auth func(context.Context, *binding) (authHeader, error), from *binding) (*csrfToken, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Csrf-Token", "fetch")
	req.Header.Set("Accept", "*/*")
	req.Header.Set("Cache-Control", "no-cache")
	if auth != nil {
		h, err := auth(ctx, from)
		if err != nil {
			return nil, err
		}
		if h != nil {
			req.Header["Authorization"] = h
		}
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{code: resp.StatusCode}
	}
	tok := &csrfToken{header: []string{resp.Header.Get("X-Csrf-Token")}}
	for _, c := range resp.Cookies() {
		tok.cookies = append(tok.cookies, dgw.Cookie{Name: c.Name, Value: c.Value})
	}
	if len(tok.cookies) > 0 {
		tok.cookieHeader = []string{dgw.MergeCookies(nil, tok.cookies)}
	}
	return tok, nil
}

// apply sets the token and merges its cookies into the caller's.
func (t *csrfToken) apply(h http.Header) {
	h["X-Csrf-Token"] = t.header
	if len(t.cookies) == 0 {
		return
	}
	if caller := h["Cookie"]; len(caller) > 0 {
		h["Cookie"] = []string{dgw.MergeCookies(caller, t.cookies)}
	} else {
		h["Cookie"] = t.cookieHeader
	}
}
