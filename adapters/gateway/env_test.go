package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }

// env is a gateway over memory stores, served on loopback.
type env struct {
	apps       *memory.ApplicationRepository
	secrets    *memory.SecretStore
	gw         *gateway.Gateway
	standalone *httptest.Server
	compass    *httptest.Server
	client     *http.Client

	// barrier answers the sync requests; syncs counts them.
	barrier *httptest.Server
	syncs   atomic.Int64
}

func newEnv(t testing.TB, mod func(*gateway.Config)) *env {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return newEnvWithLogger(t, mod, logger)
}

func newEnvWithLogger(t testing.TB, mod func(*gateway.Config), logger *slog.Logger) *env {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.ProxyTimeout = 2 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	e := &env{apps: memory.NewApplicationRepository(), secrets: memory.NewSecretStore()}
	e.barrier = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Barrier", r.URL.Path)
		w.WriteHeader(http.StatusNoContent)
	}))
	gw, err := gateway.New(cfg, e.apps, e.secrets, logger)
	require.NoError(t, err)
	e.gw = gw
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	require.NoError(t, gw.WaitReady(wctx))
	e.standalone = httptest.NewServer(gw.StandaloneHandler())
	e.compass = httptest.NewServer(gw.CompassHandler())
	e.client = &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       20 * time.Second,
	}
	t.Cleanup(func() {
		e.standalone.Close()
		e.compass.Close()
		e.barrier.Close()
		cancel()
		require.NoError(t, <-done)
		e.apps.Close()
		e.secrets.Close()
	})
	return e
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// put stores app and waits until the gateway routes by it (the watch is asynchronous).
func (e *env) put(t testing.TB, app application.Application) {
	t.Helper()
	_, _, err := e.apps.Put(context.Background(), app)
	require.NoError(t, err)
	e.sync(t)
}

func (e *env) putSecret(t testing.TB, name string, data map[string]string) {
	t.Helper()
	s := credential.Secret{Name: name, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	_, _, err := e.secrets.Put(context.Background(), s)
	require.NoError(t, err)
	e.sync(t)
}

// sync waits until the gateway routes by every store write made before it. It writes a
// new Secret and the Application "zz-sync" that uses it and targets the barrier server
// under a new path, then polls until a request through the gateway reaches that path.
// Each store's watch delivers in commit order and the route table folds everything
// queued into one publication, so once both barrier writes are routed, so are the
// writes before them.
func (e *env) sync(t testing.TB) {
	t.Helper()
	n := strconv.FormatInt(e.syncs.Add(1), 10)
	secret := "zz-sync-" + n
	_, _, err := e.secrets.Put(context.Background(), secretOf(secret, "username", "u", "password", "p"))
	require.NoError(t, err)
	_, _, err = e.apps.Put(context.Background(), app("zz-sync", e.barrier.URL+"/"+n,
		&application.Credentials{Type: application.CredentialBasic, SecretName: secret}))
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := e.client.Get(e.standalone.URL + "/zz-sync/orders-api")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusNoContent && resp.Header.Get("X-Barrier") == "/"+n {
			return
		}
		require.True(t, time.Now().Before(deadline), "store writes did not reach the gateway's route table")
		time.Sleep(time.Millisecond) // poll interval
	}
}

// do sends a request through the standalone listener.
func (e *env) do(t *testing.T, method, path string, body io.Reader, hdr ...string) *http.Response {
	t.Helper()
	return e.doOn(t, e.standalone, method, path, body, hdr...)
}

func (e *env) doOn(t *testing.T, srv *httptest.Server, method, path string, body io.Reader, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	require.NoError(t, err)
	return resp
}

// echoed is what the echo upstream reports about the request it got.
type echoed struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Body       string
}

// newEcho starts an upstream that answers 200 with a JSON description of the request.
func newEcho(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(echoHandler())
	t.Cleanup(srv.Close)
	return srv
}

func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header, Body: string(b)})
	})
}

func readEcho(t *testing.T, resp *http.Response) echoed {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var e echoed
	require.NoError(t, json.Unmarshal(b, &e), string(b))
	return e
}

// errorBody decodes the gateway's JSON error and checks its shape.
func errorBody(t *testing.T, resp *http.Response, status int) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, status, resp.StatusCode, string(b))
	require.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
	var body struct {
		Code  int    `json:"code"`
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal(b, &body), string(b))
	require.Equal(t, status, body.Code)
	return body.Error
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// app returns an Application with one service "Orders API" (path segment orders-api)
// and one API entry "v1" to target.
func app(name, target string, creds *application.Credentials) application.Application {
	return application.Application{Name: name, Spec: application.Spec{Services: []application.Service{{
		ID: "svc-1", Name: "orders-api-abcde", DisplayName: "Orders API", Description: "d", ProviderDisplayName: "p",
		Entries: []application.Entry{{Type: application.EntryTypeAPI, Name: "v1", TargetURL: target, Credentials: creds}},
	}}}}
}

func boolPtr(b bool) *bool { return &b }

func httptestServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = discardLog()
	srv.Start()
	return srv
}

func secretOf(name string, kv ...string) credential.Secret {
	s := credential.Secret{Name: name, Data: map[string][]byte{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Data[kv[i]] = []byte(kv[i+1])
	}
	return s
}
