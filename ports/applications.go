package ports

//go:generate go tool mockgen -source=applications.go -destination=../mocks/applications_mock.go -package=mocks -typed

import (
	"context"

	"github.com/appconnector/appconnector/domain/application"
)

// ApplicationRepository stores Applications. Implementations are safe for concurrent
// use, hand out copies (a caller may mutate what it gets), and assign a new
// ResourceVersion on every successful write. They also assign the UID: a new unique one
// when an Application is created, kept by every later Put and Update whatever the
// caller sets, so an Application deleted and created again under the same name has
// another UID (Kubernetes' metadata.uid).
type ApplicationRepository interface {
	// Get returns the named Application, or an error wrapping application.ErrNotFound.
	Get(ctx context.Context, name string) (application.Application, error)

	// List returns every Application, sorted by name.
	List(ctx context.Context) ([]application.Application, error)

	// Put creates or replaces app and returns the stored state and whether it was
	// created. An empty name is an error wrapping application.ErrInvalid. If app.ResourceVersion is set, the write only succeeds when it equals the
	// stored version (optimistic concurrency); otherwise, and when the Application does
	// not exist, it returns an error wrapping application.ErrConflict.
	Put(ctx context.Context, app application.Application) (stored application.Application, created bool, err error)

	// Update reads the named Application, calls fn on a copy, and stores the result
	// atomically with respect to every other write. An error from fn aborts the update and
	// is returned unchanged. Returns an error wrapping application.ErrNotFound when the
	// Application does not exist. fn may be called more than once by adapters that retry
	// on conflicts, so it must not have side effects.
	Update(ctx context.Context, name string, fn func(*application.Application) error) (application.Application, error)

	// Delete removes the named Application, or returns an error wrapping
	// application.ErrNotFound.
	Delete(ctx context.Context, name string) error

	// Watch streams changes: first an EventPut for every existing Application, then one
	// EventSynced, then every later change in the order it was committed. No event is
	// dropped, however slowly the receiver reads. The channel is closed when ctx is done
	// or the repository is closed. A ctx that is already done gives ctx.Err().
	Watch(ctx context.Context) (<-chan Event[application.Application], error)
}
