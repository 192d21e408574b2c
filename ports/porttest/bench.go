package porttest

import (
	"strconv"
	"testing"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

// BenchApplicationRepository measures the reads the gateway and the management API do
// most, on a repository of 100 Applications. newRepo returns an empty repository.
func BenchApplicationRepository(b *testing.B, newRepo func(b *testing.B) ports.ApplicationRepository) {
	b.Run("Get", func(b *testing.B) {
		repo := newRepo(b)
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
	})
}

// BenchSecretStore measures reading and replacing one Secret. newStore returns an empty
// store.
func BenchSecretStore(b *testing.B, newStore func(b *testing.B) ports.SecretStore) {
	b.Run("Get", func(b *testing.B) {
		store := newStore(b)
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
	})
	b.Run("Put", func(b *testing.B) {
		store := newStore(b)
		s := credential.Secret{Name: "s", Data: map[string][]byte{"password": []byte("pw")}}
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := store.Put(b.Context(), s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
