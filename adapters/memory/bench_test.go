package memory_test

import (
	"testing"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func BenchmarkApplicationRepository(b *testing.B) {
	porttest.BenchApplicationRepository(b, func(*testing.B) ports.ApplicationRepository {
		return memory.NewApplicationRepository()
	})
}

func BenchmarkSecretStore(b *testing.B) {
	porttest.BenchSecretStore(b, func(*testing.B) ports.SecretStore { return memory.NewSecretStore() })
}
