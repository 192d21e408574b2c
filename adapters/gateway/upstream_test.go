package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/domain/application"
)

// rejectingTarget answers 401 to the first rejectFirst calls, recording each body.
type rejectingTarget struct {
	calls       atomic.Int32
	rejectFirst int32
	bodies      chan string
}

func (rt *rejectingTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rt.bodies <- string(b)
	if rt.calls.Add(1) <= rt.rejectFirst {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	_, _ = w.Write([]byte(r.Header.Get("Authorization")))
}

func TestRetryOnAuthFailure(t *testing.T) {
	tests := []struct {
		name      string
		mod       func(*gateway.Config)
		body      io.Reader
		wantCalls int32
		want      int
	}{
		{name: "small body replayed", body: strings.NewReader("small"), wantCalls: 2, want: 200},
		{name: "no body", wantCalls: 2, want: 200},
		{name: "body over limit streams without retry", mod: func(c *gateway.Config) { c.RetryBodyLimit = 4 }, body: strings.NewReader("too large"), wantCalls: 1, want: 401},
		{name: "chunked body over limit", mod: func(c *gateway.Config) { c.RetryBodyLimit = 4 }, body: io.MultiReader(strings.NewReader("too "), strings.NewReader("large")), wantCalls: 1, want: 401},
		{name: "retry disabled", mod: func(c *gateway.Config) { c.RetryOnAuthFailure = false }, body: strings.NewReader("x"), wantCalls: 1, want: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mod)
			target := &rejectingTarget{rejectFirst: 1, bodies: make(chan string, 4)}
			up := httptestServer(target)
			t.Cleanup(up.Close)
			ts := &tokenServer{expiresIn: 3600}
			tok := httptest.NewServer(ts)
			t.Cleanup(tok.Close)
			oauthSecret(e, t, "shop-oauth")
			e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialOAuth, SecretName: "shop-oauth", AuthenticationURL: tok.URL}))

			resp := e.do(t, "POST", "/shop/orders-api", tc.body)
			got := body(t, resp)
			require.Equal(t, tc.want, resp.StatusCode)
			assert.Equal(t, tc.wantCalls, target.calls.Load())
			if tc.wantCalls == 2 {
				assert.Equal(t, "Bearer token-2", got, "the rejected token was replaced")
				first, second := <-target.bodies, <-target.bodies
				assert.Equal(t, first, second, "the body is replayed")
			} else {
				b := <-target.bodies
				if tc.body != nil {
					assert.Contains(t, []string{"too large", "x"}, b, "streamed body arrives whole")
				}
			}
		})
	}
}

func TestNoRetryForBasic(t *testing.T) {
	e := newEnv(t, nil)
	target := &rejectingTarget{rejectFirst: 1, bodies: make(chan string, 4)}
	up := httptestServer(target)
	t.Cleanup(up.Close)
	e.putSecret(t, "b", map[string]string{"username": "u", "password": "p"})
	e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialBasic, SecretName: "b"}))
	resp := e.do(t, "POST", "/shop/orders-api", strings.NewReader("once"))
	body(t, resp)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, int32(1), target.calls.Load(), "a fixed credential cannot be cured by a retry")
}

func TestTimeoutsAndStreaming(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.ProxyTimeout = 300 * time.Millisecond })
	released := make(chan struct{})
	cancelled := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-released:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		// Headers at once, then a body that takes far longer than the proxy timeout.
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 10; i++ {
			_, _ = w.Write(bytes.Repeat([]byte("x"), 1000))
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	})
	mux.HandleFunc("/hang-until-cancel", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		cancelled <- struct{}{}
	})
	mux.HandleFunc("/early-hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("done"))
	})
	up := httptestServer(mux)
	t.Cleanup(func() { close(released); up.Close() })
	e.put(t, app("shop", up.URL, nil))
	e.put(t, app("nowhere", "http://no-such-host.invalid/api", nil))

	t.Run("no headers in time is 504", func(t *testing.T) {
		start := time.Now()
		msg := errorBody(t, e.do(t, "GET", "/shop/orders-api/slow", nil), http.StatusGatewayTimeout)
		assert.Contains(t, msg, "did not answer within 300ms")
		assert.Less(t, time.Since(start), 2*time.Second)
	})
	t.Run("long download is not cut", func(t *testing.T) {
		resp := e.do(t, "GET", "/shop/orders-api/stream", nil)
		assert.Equal(t, 10000, len(body(t, resp)))
	})
	t.Run("unresolvable host is 502", func(t *testing.T) {
		msg := errorBody(t, e.do(t, "GET", "/nowhere/orders-api", nil), http.StatusBadGateway)
		assert.Contains(t, msg, "no-such-host.invalid")
	})
	t.Run("1xx is forwarded", func(t *testing.T) {
		var hints []int
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			hints = append(hints, code)
			return nil
		}}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", e.standalone.URL+"/shop/orders-api/early-hints", nil)
		require.NoError(t, err)
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		assert.Equal(t, "done", body(t, resp))
		assert.Equal(t, []int{http.StatusEarlyHints}, hints)
	})
	t.Run("client disconnect cancels upstream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, "GET", e.standalone.URL+"/shop/orders-api/hang-until-cancel", nil)
		require.NoError(t, err)
		resp, err := e.client.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		cancel()
		_ = resp.Body.Close()
		select {
		case <-cancelled:
		case <-time.After(2 * time.Second):
			t.Fatal("upstream call not cancelled after the client went away")
		}
	})
}

// TestRetryDoesNotHangOnStalledRejection: the body of a rejected (401) answer is only
// read to reuse the connection; a target that stalls in the middle of it must not hold
// the request beyond the proxy timeout.
func TestRetryDoesNotHangOnStalledRejection(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.ProxyTimeout = 300 * time.Millisecond })
	stall := make(chan struct{})
	var calls atomic.Int32
	up := httptestServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			select {
			case <-stall:
			case <-r.Context().Done():
			}
			return
		}
		_, _ = w.Write([]byte(r.Header.Get("Authorization")))
	}))
	t.Cleanup(up.Close)
	t.Cleanup(func() { close(stall) })
	ts := &tokenServer{expiresIn: 3600}
	tok := httptest.NewServer(ts)
	t.Cleanup(tok.Close)
	oauthSecret(e, t, "shop-oauth")
	e.put(t, app("shop", up.URL, &application.Credentials{Type: application.CredentialOAuth, SecretName: "shop-oauth", AuthenticationURL: tok.URL}))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.standalone.URL+"/shop/orders-api", nil)
	require.NoError(t, err)
	start := time.Now()
	resp, err := e.client.Do(req)
	require.NoError(t, err, "the request hung on the discarded body")
	assert.Equal(t, "Bearer token-2", body(t, resp))
	assert.Less(t, time.Since(start), 2*time.Second)
}
