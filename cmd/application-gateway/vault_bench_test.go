package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
)

// countingTransport counts the requests a Vault client makes, so the benchmark can
// show that none is made per proxied request.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// vaultSecretStore opens the vault adapter's SecretStore on a fresh dev server with its
// root token, counting the client's requests.
func vaultSecretStore(tb testing.TB, poll time.Duration) (*vault.SecretStore, *realservers.Vault, *countingTransport) {
	tb.Helper()
	v := realservers.StartVault(tb)
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		tb.Fatal(cfg.Error)
	}
	cfg.Address = v.Addr
	ct := &countingTransport{next: cfg.HttpClient.Transport}
	cfg.HttpClient.Transport = ct
	tokenFile := filepath.Join(tb.TempDir(), "vault-token")
	if err := os.WriteFile(tokenFile, []byte(realservers.VaultRootToken), 0o600); err != nil {
		tb.Fatal(err)
	}
	c, err := vault.NewClient(tb.Context(), vault.ClientConfig{API: cfg, Auth: vault.AuthConfig{Method: vault.AuthToken, TokenFile: tokenFile}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	s, err := vault.NewSecretStore(c, vault.SecretStoreConfig{Prefix: "gw", PollInterval: poll})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s, v, ct
}

// BenchmarkHandlerVaultSecrets: BenchmarkHandlerByStore's handler with Applications in
// memory and the Basic credentials in a real Vault dev server (the vault adapter's
// SecretStore, default 5 s poll), next to the all-memory embedded case run in the same
// process so the two are compared under the same load on a shared machine. It fails if
// Vault is asked anything per proxied request.
func BenchmarkHandlerVaultSecrets(b *testing.B) {
	body := strings.Repeat("x", 1024)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }))
	defer up.Close()
	logger := slog.New(slog.DiscardHandler)
	var vaultCalls *countingTransport
	stores := []struct {
		name string
		open func(b *testing.B) ports.SecretStore
	}{
		{"memory", func(b *testing.B) ports.SecretStore { return memory.NewSecretStore() }},
		{"vault", func(b *testing.B) ports.SecretStore {
			s, _, ct := vaultSecretStore(b, vault.DefaultPollInterval)
			vaultCalls = ct
			return s
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			vaultCalls = nil
			apps, secrets := memory.NewApplicationRepository(), s.open(b)
			ctx := b.Context()
			if _, _, err := secrets.Put(ctx, credential.Secret{Name: "bench-basic", Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}}); err != nil {
				b.Fatal(err)
			}
			name := "bench-" + s.name
			if _, _, err := apps.Put(ctx, application.Application{Name: name, Spec: application.Spec{Services: []application.Service{{
				ID: "1", Name: "orders", DisplayName: "Orders", Description: "d", ProviderDisplayName: "p",
				Entries: []application.Entry{{Type: application.EntryTypeAPI, TargetURL: up.URL + "/api",
					Credentials: &application.Credentials{Type: application.CredentialBasic, SecretName: "bench-basic"}}},
			}}}}); err != nil {
				b.Fatal(err)
			}
			gw, err := gateway.New(gateway.DefaultConfig(), apps, secrets, logger)
			if err != nil {
				b.Fatal(err)
			}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- gw.Run(runCtx) }()
			defer func() { stop(); <-done }()

			h := gw.StandaloneHandler()
			req := httptest.NewRequest(http.MethodGet, "/"+name+"/orders/v1/orders/4711?$top=10", nil)
			req.RemoteAddr = "127.0.0.1:5555"
			deadline := time.Now().Add(10 * time.Second)
			for {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("not routed: %d %s", rec.Code, rec.Body)
				}
				time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
			}
			w := &discardRecorder{h: http.Header{}}
			var before int64
			if vaultCalls != nil {
				before = vaultCalls.n.Load()
			}
			b.ReportAllocs()
			cpu := processCPU()
			start := time.Now()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			if vaultCalls != nil {
				// The poller runs every 5 s whatever the load: 1 LIST + 1 metadata read per
				// Secret per poll. More than that means requests reach Vault.
				calls := vaultCalls.n.Load() - before
				// A window shorter than the interval can still hold a poll at either end.
				polls := int64(time.Since(start)/vault.DefaultPollInterval) + 2
				b.ReportMetric(float64(calls), "vault-calls")
				if calls > 2*polls {
					b.Fatalf("%d Vault requests during %d proxied requests (%d polls): Vault is called per request", calls, b.N, polls)
				}
			}
		})
	}
}
