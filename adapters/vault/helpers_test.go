package vault_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/internal/realservers"
)

// recorder is an http.RoundTripper that remembers "METHOD /path?query" of every request,
// in order, so tests can count what the adapter asks Vault.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	line := req.Method + " " + req.URL.Path
	if req.URL.RawQuery != "" {
		line += "?" + req.URL.RawQuery
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, line)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

func (r *recorder) count(substr string) int {
	n := 0
	for _, l := range r.requests() {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// apiConfig points a Vault client configuration at v without retries, so that a sealed
// Vault fails fast, and records its requests.
func apiConfig(t *testing.T, v *realservers.Vault) (*api.Config, *recorder) {
	t.Helper()
	cfg := api.DefaultConfig()
	require.NoError(t, cfg.Error)
	cfg.Address = v.Addr
	cfg.MaxRetries = 0
	rec := &recorder{next: cfg.HttpClient.Transport}
	cfg.HttpClient.Transport = rec
	return cfg, rec
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content+"\n"), 0o600))
	return p
}

// rootClient is a token-file client with the dev server's root token.
func rootClient(t *testing.T, v *realservers.Vault, logger *slog.Logger) (*vault.Client, *recorder) {
	t.Helper()
	cfg, rec := apiConfig(t, v)
	c, err := vault.NewClient(t.Context(), vault.ClientConfig{
		API:    cfg,
		Auth:   vault.AuthConfig{Method: vault.AuthToken, TokenFile: writeFile(t, "token", realservers.VaultRootToken)},
		Logger: logger,
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, rec
}

func newStore(t *testing.T, c *vault.Client, cfg vault.SecretStoreConfig) *vault.SecretStore {
	t.Helper()
	s, err := vault.NewSecretStore(c, cfg)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// syncBuffer is a log sink safe for the concurrent writes of the poller and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func debugLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func writeFileAt(path, content string) error {
	return os.WriteFile(path, []byte(content+"\n"), 0o600)
}
