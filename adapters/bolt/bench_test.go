package bolt_test

import (
	"strconv"
	"testing"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

func BenchmarkApplicationGet(b *testing.B) {
	db, err := bolt.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	repo := bolt.NewApplicationRepository(db)
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
	db, err := bolt.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	store := bolt.NewSecretStore(db)
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

func BenchmarkSecretPut(b *testing.B) {
	db, err := bolt.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	store := bolt.NewSecretStore(db)
	s := credential.Secret{Name: "s", Data: map[string][]byte{"password": []byte("pw")}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := store.Put(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
}
