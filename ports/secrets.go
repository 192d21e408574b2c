package ports

//go:generate go tool mockgen -source=secrets.go -destination=../mocks/secrets_mock.go -package=mocks -typed

import (
	"context"

	"github.com/appconnector/appconnector/domain/credential"
)

// SecretStore stores Secrets: credentials and request parameters referenced by
// Applications. Implementations are safe for concurrent use, hand out copies, assign a
// new ResourceVersion on every successful write, and never log secret values.
type SecretStore interface {
	// Get returns the named Secret, or an error wrapping credential.ErrNotFound.
	Get(ctx context.Context, name string) (credential.Secret, error)

	// List returns every Secret, sorted by name.
	List(ctx context.Context) ([]credential.Secret, error)

	// Put creates or replaces s and returns the stored state and whether it was created.
	// An empty name is an error wrapping credential.ErrInvalid. If s.ResourceVersion is set it must equal the stored version, otherwise the error
	// wraps credential.ErrConflict.
	Put(ctx context.Context, s credential.Secret) (stored credential.Secret, created bool, err error)

	// Delete removes the named Secret, or returns an error wrapping credential.ErrNotFound.
	Delete(ctx context.Context, name string) error

	// Watch streams changes with the same contract as ApplicationRepository.Watch.
	Watch(ctx context.Context) (<-chan Event[credential.Secret], error)
}
