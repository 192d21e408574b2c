package memory_test

import (
	"strconv"
	"testing"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

func BenchmarkApplicationGet(b *testing.B) {
	repo := memory.NewApplicationRepository()
	for i := range 100 {
		app := application.Application{Name: "app-" + strconv.Itoa(i), Spec: application.Spec{
			Services: []application.Service{{Name: "svc", Entries: []application.Entry{{Type: application.EntryTypeAPI, TargetURL: "https://example.com"}}}},
		}}
		if _, _, err := repo.Put(b.Context(), app); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := repo.Get(b.Context(), "app-42"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSecretGet(b *testing.B) {
	store := memory.NewSecretStore()
	if _, _, err := store.Put(b.Context(), credential.Secret{Name: "s", Data: map[string][]byte{
		"clientId": []byte("id"), "clientSecret": []byte("secret"),
	}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.Get(b.Context(), "s"); err != nil {
			b.Fatal(err)
		}
	}
}
