package memory

import (
	"context"

	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.SecretStore = (*SecretStore)(nil)

// SecretStore is an in-memory ports.SecretStore.
type SecretStore struct {
	s *store[credential.Secret]
}

// NewSecretStore returns an empty store.
func NewSecretStore() *SecretStore {
	return &SecretStore{s: newStore(kind[credential.Secret]{
		noun:     "secret",
		notFound: credential.ErrNotFound,
		conflict: credential.ErrConflict,
		invalid:  credential.ErrInvalid,
		name:     func(s credential.Secret) string { return s.Name },
		setName:  func(s *credential.Secret, n string) { s.Name = n },
		rv:       func(s credential.Secret) string { return s.ResourceVersion },
		setRV:    func(s *credential.Secret, rv string) { s.ResourceVersion = rv },
		copy:     credential.Secret.DeepCopy,
	})}
}

// Get implements ports.SecretStore.
func (s *SecretStore) Get(_ context.Context, name string) (credential.Secret, error) {
	return s.s.get(name)
}

// List implements ports.SecretStore.
func (s *SecretStore) List(context.Context) ([]credential.Secret, error) {
	return s.s.list(), nil
}

// Put implements ports.SecretStore. An empty name fails with an error wrapping
// credential.ErrInvalid.
func (s *SecretStore) Put(_ context.Context, sec credential.Secret) (credential.Secret, bool, error) {
	return s.s.put(sec)
}

// Delete implements ports.SecretStore.
func (s *SecretStore) Delete(_ context.Context, name string) error {
	return s.s.delete(name)
}

// Watch implements ports.SecretStore.
func (s *SecretStore) Watch(ctx context.Context) (<-chan ports.Event[credential.Secret], error) {
	return s.s.watch(ctx)
}

// Close closes every watch channel; later Watch calls fail. Reads and writes keep working.
func (s *SecretStore) Close() { s.s.close() }
