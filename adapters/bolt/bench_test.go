package bolt_test

import (
	"testing"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

// benchDB opens a database of its own for one benchmark, closed when it ends.
func benchDB(b *testing.B) *bolt.DB {
	b.Helper()
	db, err := bolt.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

func BenchmarkApplicationRepository(b *testing.B) {
	porttest.BenchApplicationRepository(b, func(b *testing.B) ports.ApplicationRepository {
		return bolt.NewApplicationRepository(benchDB(b))
	})
}

func BenchmarkSecretStore(b *testing.B) {
	porttest.BenchSecretStore(b, func(b *testing.B) ports.SecretStore { return bolt.NewSecretStore(benchDB(b)) })
}
