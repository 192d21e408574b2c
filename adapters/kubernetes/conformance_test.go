package kubernetes_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/kubernetes"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestApplicationRepositoryConformance(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	porttest.RunApplicationRepository(t, func(t *testing.T) ports.ApplicationRepository {
		return newApplicationRepository(t, k)
	})
}

func TestSecretStoreConformance(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	porttest.RunSecretStore(t, func(t *testing.T) ports.SecretStore {
		s, err := kubernetes.NewSecretStore(t.Context(), k.Config(), k.Namespace(t), discard())
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	})
}

func TestTokenStoreConformance(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	porttest.RunTokenStore(t, func(t *testing.T) ports.TokenStore {
		s, err := kubernetes.NewTokenStore(k.Config(), k.Namespace(t))
		require.NoError(t, err)
		return s
	})
}

func TestRevocationListConformance(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	porttest.RunRevocationList(t, func(t *testing.T) ports.RevocationList {
		l, err := kubernetes.NewRevocationList(t.Context(), k.Config(), k.Namespace(t), discard())
		require.NoError(t, err)
		t.Cleanup(l.Close)
		return l
	})
}
