package bolt_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/bolt"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func openDB(t *testing.T, dir string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestApplicationRepositoryConformance(t *testing.T) {
	porttest.RunApplicationRepository(t, func(t *testing.T) ports.ApplicationRepository {
		return bolt.NewApplicationRepository(openDB(t, t.TempDir()))
	})
}

func TestSecretStoreConformance(t *testing.T) {
	porttest.RunSecretStore(t, func(t *testing.T) ports.SecretStore {
		return bolt.NewSecretStore(openDB(t, t.TempDir()))
	})
}
