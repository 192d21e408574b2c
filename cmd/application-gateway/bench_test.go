package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
)

// discardRecorder keeps nothing, so the benchmark measures the gateway, not a recorder.
type discardRecorder struct{ h http.Header }

func (d *discardRecorder) Header() http.Header         { return d.h }
func (d *discardRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardRecorder) WriteHeader(int)             {}

// processCPU is the CPU time the process has used so far, every thread included.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHandlerByStore: the same gateway handler (route lookup, Basic credentials
// from a Secret, ReverseProxy to a loopback target) over each store a binary can run on:
// memory and bolt (embedded mode) and the Kubernetes adapters' informers on a real API
// server. cpu-ns/op is the process's CPU time per request (gateway, target, and in
// Kubernetes mode the informers' idle watches), which unlike ns/op does not count time
// spent waiting for a core on a shared machine.
func BenchmarkHandlerByStore(b *testing.B) {
	body := strings.Repeat("x", 1024)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }))
	defer up.Close()
	logger := slog.New(slog.DiscardHandler)
	stores := []struct {
		name string
		open func(b *testing.B) (ports.ApplicationRepository, ports.SecretStore)
	}{
		{"memory", func(b *testing.B) (ports.ApplicationRepository, ports.SecretStore) {
			return memory.NewApplicationRepository(), memory.NewSecretStore()
		}},
		{"bolt", func(b *testing.B) (ports.ApplicationRepository, ports.SecretStore) {
			db, err := bolt.Open(b.TempDir(), logger)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			return bolt.NewApplicationRepository(db), bolt.NewSecretStore(db)
		}},
		{"kubernetes", func(b *testing.B) (ports.ApplicationRepository, ports.SecretStore) {
			k := realservers.KubeAPIServer(b)
			ns := k.Namespace(b)
			apps, err := kubernetes.NewApplicationRepository(b.Context(), k.Config(), logger)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(apps.Close)
			secrets, err := kubernetes.NewSecretStore(b.Context(), k.Config(), ns, logger)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(secrets.Close)
			return apps, secrets
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			apps, secrets := s.open(b)
			ctx := b.Context()
			if _, _, err := secrets.Put(ctx, credential.Secret{Name: "bench-basic", Data: map[string][]byte{"username": []byte("u"), "password": []byte("p")}}); err != nil {
				b.Fatal(err)
			}
			name := "bench-" + s.name // Applications are cluster-wide in Kubernetes
			if _, _, err := apps.Put(ctx, application.Application{Name: name, Spec: application.Spec{Services: []application.Service{{
				ID: "1", Name: "orders", DisplayName: "Orders", Description: "d", ProviderDisplayName: "p",
				Entries: []application.Entry{{Type: application.EntryTypeAPI, TargetURL: up.URL + "/api",
					Credentials: &application.Credentials{Type: application.CredentialBasic, SecretName: "bench-basic"}}},
			}}}}); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = apps.Delete(context.Background(), name) })
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
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
