package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/memory"
)

func TestNotReadyAnswers503(t *testing.T) {
	gw, err := gateway.New(gateway.DefaultConfig(), memory.NewApplicationRepository(), memory.NewSecretStore(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	assert.False(t, gw.Ready())
	w := httptest.NewRecorder()
	gw.StandaloneHandler().ServeHTTP(w, httptest.NewRequest("GET", "/a/b/c", nil))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.JSONEq(t, `{"code":503,"error":"gateway is starting: route table not synced yet"}`, w.Body.String())
}

func TestConfig(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := gateway.New(gateway.Config{ProxyTimeout: -time.Second}, memory.NewApplicationRepository(), memory.NewSecretStore(), logger)
	require.Error(t, err)

	var seen []string
	cfg := gateway.DefaultConfig()
	cfg.Middleware = func(listener string, next http.Handler) http.Handler {
		seen = append(seen, listener)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Listener", listener)
			next.ServeHTTP(w, r)
		})
	}
	gw, err := gateway.New(cfg, memory.NewApplicationRepository(), memory.NewSecretStore(), logger)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{gateway.ListenerStandalone, gateway.ListenerCompass}, seen)
	w := httptest.NewRecorder()
	gw.CompassHandler().ServeHTTP(w, httptest.NewRequest("GET", "/a/b/c", nil))
	assert.Equal(t, "compass", w.Header().Get("X-Listener"))
	srv := gateway.NewServer("127.0.0.1:0", gw.StandaloneHandler(), logger)
	assert.Zero(t, srv.WriteTimeout, "no write deadline: long downloads must not be cut")
	assert.Zero(t, srv.ReadTimeout)
	assert.NotZero(t, srv.ReadHeaderTimeout)
}
