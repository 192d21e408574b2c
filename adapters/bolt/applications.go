package bolt

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/ports"
)

var _ ports.ApplicationRepository = (*ApplicationRepository)(nil)

// ApplicationRepository is the ports.ApplicationRepository of the embedded store.
// Applications are not secret and are stored as plain JSON.
type ApplicationRepository struct {
	s *bucketStore[application.Application]
}

// NewApplicationRepository returns the repository over db's applications bucket. Every
// repository of the same DB shares one set of watchers.
func NewApplicationRepository(db *DB) *ApplicationRepository {
	return &ApplicationRepository{s: newBucketStore(db, codec[application.Application]{
		noun:     "application",
		bucket:   bucketApplications,
		notFound: application.ErrNotFound,
		conflict: application.ErrConflict,
		invalid:  application.ErrInvalid,
		name:     func(a application.Application) string { return a.Name },
		setName:  func(a *application.Application, n string) { a.Name = n },
		rv:       func(a application.Application) string { return a.ResourceVersion },
		setRV:    func(a *application.Application, rv string) { a.ResourceVersion = rv },
		copy:     application.Application.DeepCopy,
		identity: keepUID,
		encode:   encodeApplication,
		decode:   decodeApplication,
	})}
}

func encodeApplication(_ *DB, _ string, app application.Application) ([]byte, error) {
	// Name and version live in the key and the record header.
	app.Name, app.ResourceVersion = "", ""
	b, err := json.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}

func decodeApplication(_ *DB, _ string, payload []byte) (application.Application, error) {
	var app application.Application
	if err := json.Unmarshal(payload, &app); err != nil {
		return app, fmt.Errorf("unmarshal: %w", err)
	}
	return app, nil
}

// Get implements ports.ApplicationRepository.
func (r *ApplicationRepository) Get(ctx context.Context, name string) (application.Application, error) {
	return r.s.get(ctx, name)
}

// List implements ports.ApplicationRepository.
func (r *ApplicationRepository) List(ctx context.Context) ([]application.Application, error) {
	return r.s.list(ctx)
}

// Put implements ports.ApplicationRepository. An empty name fails with an error wrapping
// application.ErrInvalid.
func (r *ApplicationRepository) Put(ctx context.Context, app application.Application) (application.Application, bool, error) {
	return r.s.put(ctx, app)
}

// Update implements ports.ApplicationRepository. fn runs without a lock held, so it may
// use the store; it runs again if another write happened meanwhile. Changes fn makes to
// Name or ResourceVersion are ignored.
func (r *ApplicationRepository) Update(ctx context.Context, name string, fn func(*application.Application) error) (application.Application, error) {
	return r.s.update(ctx, name, fn)
}

// Delete implements ports.ApplicationRepository.
func (r *ApplicationRepository) Delete(ctx context.Context, name string) error {
	return r.s.delete(ctx, name)
}

// Watch implements ports.ApplicationRepository. Channels close when ctx is done or the
// DB is closed.
func (r *ApplicationRepository) Watch(ctx context.Context) (<-chan ports.Event[application.Application], error) {
	return r.s.watch(ctx)
}

// keepUID gives a created Application a new random UID and keeps the stored one on
// every later write, whatever the caller sent.
func keepUID(prev, next *application.Application) {
	if prev != nil && prev.UID != "" {
		next.UID = prev.UID
		return
	}
	next.UID = uuid.NewString()
}
