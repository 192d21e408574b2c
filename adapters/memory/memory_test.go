package memory_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestApplicationRepositoryConformance(t *testing.T) {
	porttest.RunApplicationRepository(t, func(t *testing.T) ports.ApplicationRepository {
		r := memory.NewApplicationRepository()
		t.Cleanup(r.Close)
		return r
	})
}

func TestSecretStoreConformance(t *testing.T) {
	porttest.RunSecretStore(t, func(t *testing.T) ports.SecretStore {
		s := memory.NewSecretStore()
		t.Cleanup(s.Close)
		return s
	})
}

func TestCloseEndsWatches(t *testing.T) {
	r := memory.NewApplicationRepository()
	ch, err := r.Watch(t.Context())
	require.NoError(t, err)
	r.Close()
	porttest.RequireClosed(t, ch)
	_, err = r.Watch(t.Context())
	require.Error(t, err)
	_, _, err = r.Put(context.Background(), application.Application{Name: "still-works"})
	require.NoError(t, err)
}

func TestUpdateFnMayReadTheRepository(t *testing.T) {
	r := memory.NewApplicationRepository()
	ctx := t.Context()
	_, _, err := r.Put(ctx, application.Application{Name: "a"})
	require.NoError(t, err)
	_, err = r.Update(ctx, "a", func(a *application.Application) error {
		_, err := r.Get(ctx, "a")
		return err
	})
	require.NoError(t, err)
}

func TestPutRejectsEmptyNameWithInvalid(t *testing.T) {
	_, _, err := memory.NewSecretStore().Put(t.Context(), credential.Secret{})
	require.ErrorIs(t, err, credential.ErrInvalid)
}
