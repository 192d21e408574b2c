package memory

import (
	"context"

	"github.com/google/uuid"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.ApplicationRepository = (*ApplicationRepository)(nil)

// ApplicationRepository is an in-memory ports.ApplicationRepository.
type ApplicationRepository struct {
	s *store[application.Application]
}

// NewApplicationRepository returns an empty repository.
func NewApplicationRepository() *ApplicationRepository {
	return &ApplicationRepository{s: newStore(kind[application.Application]{
		noun:     "application",
		notFound: application.ErrNotFound,
		conflict: application.ErrConflict,
		invalid:  application.ErrInvalid,
		name:     func(a application.Application) string { return a.Name },
		setName:  func(a *application.Application, n string) { a.Name = n },
		rv:       func(a application.Application) string { return a.ResourceVersion },
		setRV:    func(a *application.Application, rv string) { a.ResourceVersion = rv },
		copy:     application.Application.DeepCopy,
		identity: keepUID,
	})}
}

// Get implements ports.ApplicationRepository.
func (r *ApplicationRepository) Get(_ context.Context, name string) (application.Application, error) {
	return r.s.get(name)
}

// List implements ports.ApplicationRepository.
func (r *ApplicationRepository) List(context.Context) ([]application.Application, error) {
	return r.s.list(), nil
}

// Put implements ports.ApplicationRepository. An empty name fails with an error wrapping
// application.ErrInvalid.
func (r *ApplicationRepository) Put(_ context.Context, app application.Application) (application.Application, bool, error) {
	return r.s.put(app)
}

// Update implements ports.ApplicationRepository. fn runs without a lock held, so it may
// read the repository; it runs again if another write happened meanwhile. Changes fn
// makes to Name or ResourceVersion are ignored.
func (r *ApplicationRepository) Update(ctx context.Context, name string, fn func(*application.Application) error) (application.Application, error) {
	return r.s.update(ctx, name, fn)
}

// Delete implements ports.ApplicationRepository.
func (r *ApplicationRepository) Delete(_ context.Context, name string) error {
	return r.s.delete(name)
}

// Watch implements ports.ApplicationRepository.
func (r *ApplicationRepository) Watch(ctx context.Context) (<-chan ports.Event[application.Application], error) {
	return r.s.watch(ctx)
}

// Close closes every watch channel; later Watch calls fail. Reads and writes keep working.
func (r *ApplicationRepository) Close() { r.s.close() }

// keepUID gives a created Application a new random UID and keeps the stored one on
// every later write, whatever the caller sent.
func keepUID(prev, next *application.Application) {
	if prev != nil && prev.UID != "" {
		next.UID = prev.UID
		return
	}
	next.UID = uuid.NewString()
}
