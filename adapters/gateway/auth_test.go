package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/domain/application"
)

// tokenServer is an OAuth token endpoint that counts its calls and issues numbered
// tokens living expiresIn seconds.
type tokenServer struct {
	calls     atomic.Int32
	expiresIn int
	delay     time.Duration
	status    int
	mu        sync.Mutex
	last      *http.Request
	lastForm  map[string][]string
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.calls.Add(1)
	_ = r.ParseForm()
	s.mu.Lock()
	s.last, s.lastForm = r, r.PostForm
	s.mu.Unlock()
	time.Sleep(s.delay)
	if s.status != 0 {
		w.WriteHeader(s.status)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"leaked-detail"}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	resp := map[string]any{"access_token": fmt.Sprintf("token-%d", n), "token_type": "bearer"}
	if s.expiresIn > 0 {
		resp["expires_in"] = s.expiresIn
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func (s *tokenServer) request() (*http.Request, map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastForm
}

func oauthSecret(e *env, t *testing.T, name string) {
	e.putSecret(t, name, map[string]string{
		"clientId": "client-1", "clientSecret": "s3cret",
		"headers": `{"X-Token-Extra":["h1"]}`, "queryParameters": `{"audience":["orders"]}`,
	})
}

func TestOAuthSingleFetchAndExpiry(t *testing.T) {
	e := newEnv(t, nil)
	// The token's lifetime passes on a clock the test moves, not on the wall clock.
	var skew atomic.Int64
	gateway.SetClock(e.gw, func() time.Time { return time.Now().Add(time.Duration(skew.Load())) })
	up := newEcho(t)
	ts := &tokenServer{expiresIn: 60, delay: 100 * time.Millisecond}
	tok := httptest.NewServer(ts)
	t.Cleanup(tok.Close)
	oauthSecret(e, t, "shop-oauth")
	e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialOAuth, SecretName: "shop-oauth", AuthenticationURL: tok.URL + "/oauth/token"}))

	var wg sync.WaitGroup
	auths := make([]string, 50)
	for i := range auths {
		wg.Go(func() {
			resp := e.do(t, "GET", "/shop/orders-api/x", nil)
			auths[i] = readEcho(t, resp).Header.Get("Authorization")
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), ts.calls.Load(), "50 concurrent requests share one token fetch")
	for _, a := range auths {
		assert.Equal(t, "Bearer token-1", a)
	}
	r, form := ts.request()
	assert.Equal(t, "client_credentials", form["grant_type"][0])
	assert.Equal(t, "h1", r.Header.Get("X-Token-Extra"), "extra headers on the token call")
	assert.Equal(t, "orders", r.URL.Query().Get("audience"), "extra query parameters on the token call")
	user, pass, ok := r.BasicAuth()
	require.True(t, ok)
	assert.Equal(t, "client-1", user)
	assert.Equal(t, "s3cret", pass)
	assert.Empty(t, form["client_secret"], "credentials in one place only (kyma#7901)")

	got := readEcho(t, e.do(t, "GET", "/shop/orders-api/x", nil))
	assert.Equal(t, "Bearer token-1", got.Header.Get("Authorization"), "a token is reused until shortly before it expires")
	skew.Store(int64(55 * time.Second)) // past the refresh point: 60 s minus a tenth
	got = readEcho(t, e.do(t, "GET", "/shop/orders-api/x", nil))
	assert.Equal(t, "Bearer token-2", got.Header.Get("Authorization"), "an expired token is fetched again")
	assert.Equal(t, int32(2), ts.calls.Load())
}

func TestOAuthTokenFailure(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	ts := &tokenServer{status: http.StatusUnauthorized}
	tok := httptest.NewServer(ts)
	t.Cleanup(tok.Close)
	oauthSecret(e, t, "shop-oauth")
	e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialOAuth, SecretName: "shop-oauth", AuthenticationURL: tok.URL + "/token"}))
	msg := errorBody(t, e.do(t, "GET", "/shop/orders-api", nil), http.StatusBadGateway)
	assert.Contains(t, msg, "failed to get token from "+tok.URL+"/token")
	assert.Contains(t, msg, "incorrect response code '401'")
	assert.NotContains(t, msg, "s3cret")
	assert.NotContains(t, msg, "leaked-detail")
	assert.NotContains(t, msg, "audience")

	// Unreachable token endpoint.
	e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialOAuth, SecretName: "shop-oauth", AuthenticationURL: "http://token.invalid/token"}))
	msg = errorBody(t, e.do(t, "GET", "/shop/orders-api", nil), http.StatusBadGateway)
	assert.Contains(t, msg, "failed to get token from http://token.invalid/token")
}

func TestOAuthWithCert(t *testing.T) {
	serverCA, clientCA, otherCA := newCA(t, "server-ca"), newCA(t, "client-ca"), newCA(t, "other-ca")
	e := newEnv(t, func(c *gateway.Config) { c.RootCAs = serverCA.pool })
	up := newEcho(t)
	ts := &tokenServer{expiresIn: 3600}
	tok := newTLSServer(t, serverCA, clientCA, ts)

	certPEM, keyPEM := clientCA.client(t, "client-1")
	otherCert, otherKey := otherCA.client(t, "client-1")
	expCert, expKey := clientCA.expiredClient(t, "client-1")
	for name, pair := range map[string][2][]byte{"mtls-good": {certPEM, keyPEM}, "mtls-other": {otherCert, otherKey}, "mtls-expired": {expCert, expKey}} {
		e.putSecret(t, name, map[string]string{"clientId": "client-1", "clientSecret": "not-sent", "crt": string(pair[0]), "key": string(pair[1])})
		e.put(t, app(name, up.URL, &application.Credentials{Type: application.CredentialOAuthWithCert, SecretName: name, AuthenticationURL: tok.URL + "/token"}))
	}

	got := readEcho(t, e.do(t, "GET", "/mtls-good/orders-api", nil))
	assert.Equal(t, "Bearer token-1", got.Header.Get("Authorization"))
	r, form := ts.request()
	assert.Equal(t, []string{"client-1"}, form["client_id"])
	assert.Empty(t, form["client_secret"], "RFC 8705: no client secret")
	_, _, hasBasic := r.BasicAuth()
	assert.False(t, hasBasic)
	require.Len(t, r.TLS.PeerCertificates, 1)
	assert.Equal(t, "client-1", r.TLS.PeerCertificates[0].Subject.CommonName)

	for _, name := range []string{"mtls-other", "mtls-expired"} {
		msg := errorBody(t, e.do(t, "GET", "/"+name+"/orders-api", nil), http.StatusBadGateway)
		assert.Contains(t, msg, "failed to get token from "+tok.URL+"/token", name)
	}
	assert.Equal(t, int32(1), ts.calls.Load(), "rejected handshakes never reach the handler")
}

func TestCertificateGenAndTLSVerification(t *testing.T) {
	serverCA, clientCA, otherCA := newCA(t, "server-ca"), newCA(t, "client-ca"), newCA(t, "other-ca")
	e := newEnv(t, func(c *gateway.Config) { c.RootCAs = serverCA.pool })
	target := newTLSServer(t, serverCA, clientCA, echoHandler())
	untrusted := newTLSServer(t, otherCA, nil, echoHandler())

	certPEM, keyPEM := clientCA.client(t, "gateway-client")
	otherCert, otherKey := otherCA.client(t, "gateway-client")
	expCert, expKey := clientCA.expiredClient(t, "gateway-client")
	for name, pair := range map[string][2][]byte{"cert-good": {certPEM, keyPEM}, "cert-other": {otherCert, otherKey}, "cert-expired": {expCert, expKey}} {
		e.putSecret(t, name, map[string]string{"crt": string(pair[0]), "key": string(pair[1])})
		e.put(t, app(name, target.URL+"/api", &application.Credentials{Type: application.CredentialCertificateGen, SecretName: name}))
	}
	got := readEcho(t, e.do(t, "GET", "/cert-good/orders-api/x", nil))
	assert.Equal(t, "/api/x", got.RequestURI)
	for _, name := range []string{"cert-other", "cert-expired"} {
		msg := errorBody(t, e.do(t, "GET", "/"+name+"/orders-api", nil), http.StatusBadGateway)
		assert.Contains(t, msg, "failed to call target", name)
	}

	// No certificate at all (Access-Token skips the configured authentication).
	msg := errorBody(t, e.do(t, "GET", "/cert-good/orders-api", nil, "Access-Token", "Bearer x"), http.StatusBadGateway)
	assert.Contains(t, msg, "failed to call target")

	// Verification is on by default and skipVerify turns it off per Application.
	e.put(t, app("strict", untrusted.URL, nil))
	lax := app("lax", untrusted.URL, nil)
	lax.Spec.SkipVerify = true
	e.put(t, lax)
	msg = errorBody(t, e.do(t, "GET", "/strict/orders-api", nil), http.StatusBadGateway)
	assert.Contains(t, msg, "certificate")
	readEcho(t, e.do(t, "GET", "/lax/orders-api", nil))
}

// csrfTarget requires the current CSRF token and its cookie; it can be told to reject
// the first N tokens it sees, and counts fetches and target calls.
type csrfTarget struct {
	fetches, calls atomic.Int32
	rejectFirst    int32
	alwaysReject   bool
	// nodeCookie adds a cookie whose name changes with every fetch, as a load balancer's
	// affinity cookie may.
	nodeCookie bool
}

func (c *csrfTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/csrf" {
		if r.Header.Get("X-Csrf-Token") != "fetch" || r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		n := c.fetches.Add(1)
		w.Header().Set("X-Csrf-Token", fmt.Sprintf("csrf-%d", n))
		http.SetCookie(w, &http.Cookie{Name: "session", Value: fmt.Sprintf("s%d", n)})
		if c.nodeCookie {
			http.SetCookie(w, &http.Cookie{Name: fmt.Sprintf("node%d", n), Value: "1"})
		}
		return
	}
	n := c.calls.Add(1)
	tok := r.Header.Get("X-Csrf-Token")
	cookie, err := r.Cookie("session")
	if c.alwaysReject || n <= c.rejectFirst || err != nil || "csrf-"+strings.TrimPrefix(cookie.Value, "s") != tok {
		w.Header().Set("X-Csrf-Token", "Required")
		w.WriteHeader(http.StatusForbidden)
		return
	}
	echoHandler().ServeHTTP(w, r)
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	ct := &csrfTarget{rejectFirst: 1}
	up := httptestServer(ct)
	t.Cleanup(up.Close)
	e.putSecret(t, "shop-basic", map[string]string{"username": "u", "password": "p"})
	e.put(t, app("shop", up.URL+"/api", &application.Credentials{Type: application.CredentialBasic, SecretName: "shop-basic",
		CSRFInfo: &application.CSRFInfo{TokenEndpointURL: up.URL + "/csrf"}}))

	// The first token is rejected: the gateway fetches a new one and retries once,
	// replaying the body.
	got := readEcho(t, e.do(t, "POST", "/shop/orders-api/orders", strings.NewReader("order-1"), "Cookie", "mine=1; session=old"))
	assert.Equal(t, "csrf-2", got.Header.Get("X-Csrf-Token"))
	assert.Equal(t, "mine=1; session=s2", got.Header.Get("Cookie"), "CSRF cookies replace same-named caller cookies")
	assert.Equal(t, "order-1", got.Body)
	assert.Equal(t, int32(2), ct.fetches.Load())
	assert.Equal(t, int32(2), ct.calls.Load())

	// The cached token is reused.
	readEcho(t, e.do(t, "GET", "/shop/orders-api/orders", nil))
	assert.Equal(t, int32(2), ct.fetches.Load())

	// A target that keeps rejecting: exactly one retry, then its answer passes through.
	ct.alwaysReject = true
	calls := ct.calls.Load()
	resp := e.do(t, "POST", "/shop/orders-api/orders", strings.NewReader("x"))
	body(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "Required", resp.Header.Get("X-Csrf-Token"))
	assert.Equal(t, calls+2, ct.calls.Load())
}

// TestCSRFRetryDropsStaleCookies: the retry sends the caller's cookies and the new CSRF
// response's cookies, not the cookies of the rejected token as well.
func TestCSRFRetryDropsStaleCookies(t *testing.T) {
	e := newEnv(t, nil)
	ct := &csrfTarget{rejectFirst: 1, nodeCookie: true}
	up := httptestServer(ct)
	t.Cleanup(up.Close)
	e.putSecret(t, "shop-basic", map[string]string{"username": "u", "password": "p"})
	e.put(t, app("shop", up.URL+"/api", &application.Credentials{Type: application.CredentialBasic, SecretName: "shop-basic",
		CSRFInfo: &application.CSRFInfo{TokenEndpointURL: up.URL + "/csrf"}}))
	got := readEcho(t, e.do(t, "POST", "/shop/orders-api/orders", strings.NewReader("order-1"), "Cookie", "mine=1"))
	assert.Equal(t, "csrf-2", got.Header.Get("X-Csrf-Token"))
	assert.Equal(t, "mine=1; session=s2; node2=1", got.Header.Get("Cookie"))

	// Without caller cookies, too.
	ct.rejectFirst = ct.calls.Load() + 1
	got = readEcho(t, e.do(t, "GET", "/shop/orders-api/orders", nil))
	assert.Equal(t, "session=s3; node3=1", got.Header.Get("Cookie"))
}

func TestCSRFFetchFailure(t *testing.T) {
	e := newEnv(t, nil)
	up := newEcho(t)
	e.putSecret(t, "shop-basic", map[string]string{"username": "u", "password": "p"})
	e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialBasic, SecretName: "shop-basic",
		CSRFInfo: &application.CSRFInfo{TokenEndpointURL: up.URL + "/nothing-here?x=1"}}))
	// The echo answers 200 to everything, so point the CSRF endpoint at a 404 server.
	nf := httptestServer(http.NotFoundHandler())
	t.Cleanup(nf.Close)
	e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialBasic, SecretName: "shop-basic",
		CSRFInfo: &application.CSRFInfo{TokenEndpointURL: nf.URL + "/csrf?x=1"}}))
	msg := errorBody(t, e.do(t, "GET", "/shop/orders-api", nil), http.StatusBadGateway)
	assert.Equal(t, "failed to get CSRF token from "+nf.URL+"/csrf: incorrect response code '404'", msg)
}
