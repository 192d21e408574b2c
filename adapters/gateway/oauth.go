package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/domain/credential"
	dgw "github.com/appconnector/appconnector/domain/gateway"
)

// authHeader is a ready-to-set Authorization header value. The slice is shared by every
// request that uses it and has len == cap, so nobody appends into it.
type authHeader []string

// tokenSource fetches OAuth 2.0 client-credentials tokens and caches them until shortly
// before they expire.
type tokenSource struct {
	cache *cached[authHeader]
	url   string // token URL without query, for error messages
	// transport is the token client's own, closed when the source is released.
	transport *http.Transport
}

// newTokenSource builds the token source of an OAuth or OAuthWithCert credential. client
// carries the TLS settings (skipVerify, and the client certificate for OAuthWithCert).
// mtls selects RFC 8705 client authentication: client_id in the form, no secret, no
// Basic header.
func newTokenSource(o *credential.OAuth, mtls bool, client *http.Client, cfg *Config, now func() time.Time) (*tokenSource, error) {
	u, err := url.Parse(o.TokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("authenticationUrl is not an absolute http(s) URL")
	}
	p := dgw.CompileParams(credential.RequestParameters{QueryParameters: o.TokenRequest.QueryParameters})
	u.RawQuery = dgw.MergeQuery(u.RawQuery, "", p)
	conf := &clientcredentials.Config{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		TokenURL:     u.String(),
		// Kyma sent the client credentials both in a Basic header and in the form, which
		// servers such as ORY Hydra reject (kyma#7901). Auto-detection tries the header,
		// then the form, and remembers what the server accepted.
		AuthStyle: oauth2.AuthStyleAutoDetect,
	}
	if mtls {
		conf.ClientSecret = ""
		conf.AuthStyle = oauth2.AuthStyleInParams
	}
	if hp := dgw.CompileParams(credential.RequestParameters{Headers: o.TokenRequest.Headers}); hp != nil {
		client = &http.Client{Transport: &headerTransport{base: client.Transport, params: hp}}
	}
	clean := *u
	clean.RawQuery = ""
	ts := &tokenSource{url: clean.String()}
	noExpiry := cfg.TokenTTLWithoutExpiry
	obs := fetchObserver{kind: telemetry.FetchOAuth, span: telemetry.SpanTokenFetch, tracing: cfg.Tracing}
	ts.cache = newCached(cfg.ProxyTimeout, now, obs, func(ctx context.Context, _ *binding) (authHeader, time.Time, error) {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
		tok, err := conf.Token(ctx)
		if err != nil {
			return nil, time.Time{}, &fetchError{what: "token", url: ts.url, err: tokenError(err)}
		}
		return authHeader{tok.Type() + " " + tok.AccessToken}, refreshAt(now(), tok.Expiry, noExpiry), nil
	})
	return ts, nil
}

// refreshAt is when a token obtained at now is fetched again: shortly before it expires
// (a tenth of its lifetime early, at most 30 s), and after noExpiry when the server did
// not say (Kyma kept such tokens, and tokens living 2 s or less, forever).
func refreshAt(now, expiry time.Time, noExpiry time.Duration) time.Time {
	if expiry.IsZero() {
		return now.Add(noExpiry)
	}
	life := expiry.Sub(now)
	if life <= 0 {
		return now // usable for the request at hand, never reused
	}
	early := min(life/10, 30*time.Second)
	return now.Add(life - early)
}

// tokenError turns an oauth2 error into one that names the problem without echoing the
// response body or the token URL's query (which may hold values from the Secret).
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		return &statusError{code: re.Response.StatusCode}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// headerTransport adds the credential's extra token-request headers unless set.
type headerTransport struct {
	base   http.RoundTripper
	params *dgw.Params
}

func (t *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	t.params.ApplyHeaders(r.Header)
	return t.base.RoundTrip(r)
}
