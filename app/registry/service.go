package registry

import (
	"context"
	"log/slog"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

// Service is the management use cases over the Application repository and the Secret
// store. It is safe for concurrent use.
//
// Errors of the ports are returned as they are: adapters already name the operation
// and the object ("get application orders: application not found"), and wrapping them
// again would only repeat it in every API error message.
type Service struct {
	apps    ports.ApplicationRepository
	secrets ports.SecretStore
	log     *slog.Logger
}

// NewService returns the use cases over apps and secrets. A nil dependency is a
// programming error and panics.
func NewService(apps ports.ApplicationRepository, secrets ports.SecretStore, logger *slog.Logger) *Service {
	if apps == nil || secrets == nil || logger == nil {
		panic("registry.NewService: nil dependency")
	}
	return &Service{apps: apps, secrets: secrets, log: logger}
}

// ApplyApplication validates app and creates or replaces it. It returns the stored
// Application (with its new ResourceVersion) and whether it was created. Errors wrap
// application.ErrInvalid (with an *application.ValidationError naming every bad
// field) or application.ErrConflict (app.ResourceVersion is stale) or a store error.
func (s *Service) ApplyApplication(ctx context.Context, app application.Application) (application.Application, bool, error) {
	if err := app.Validate(); err != nil {
		return application.Application{}, false, err
	}
	stored, created, err := s.apps.Put(ctx, app)
	if err != nil {
		return application.Application{}, false, err
	}
	s.log.InfoContext(ctx, "application applied", "application", stored.Name,
		"created", created, "resource_version", stored.ResourceVersion, "services", len(stored.Spec.Services))
	return stored, created, nil
}

// GetApplication returns the named Application; the error wraps
// application.ErrNotFound when it does not exist.
func (s *Service) GetApplication(ctx context.Context, name string) (application.Application, error) {
	return s.apps.Get(ctx, name)
}

// ListApplications returns every Application, sorted by name.
func (s *Service) ListApplications(ctx context.Context) ([]application.Application, error) {
	return s.apps.List(ctx)
}

// DeleteApplication removes the named Application; the error wraps
// application.ErrNotFound when it does not exist. Secrets it refers to are kept, as in
// Kubernetes, because other Applications may share them.
func (s *Service) DeleteApplication(ctx context.Context, name string) error {
	if err := s.apps.Delete(ctx, name); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "application deleted", "application", name)
	return nil
}

// ApplySecret validates sec and creates or replaces it. It returns the stored Secret
// and whether it was created. Errors wrap credential.ErrInvalid (naming the bad key,
// never a value), credential.ErrConflict (stale ResourceVersion) or a store error.
func (s *Service) ApplySecret(ctx context.Context, sec credential.Secret) (credential.Secret, bool, error) {
	if err := sec.Validate(); err != nil {
		return credential.Secret{}, false, err
	}
	if err := checkSecretMetadata(sec); err != nil {
		return credential.Secret{}, false, err
	}
	stored, created, err := s.secrets.Put(ctx, sec)
	if err != nil {
		return credential.Secret{}, false, err
	}
	// Key names only: values never reach a log.
	s.log.InfoContext(ctx, "secret applied", "secret", stored.Name,
		"created", created, "resource_version", stored.ResourceVersion, "keys", stored.Keys())
	return stored, created, nil
}

// GetSecret returns the named Secret, values included; callers decide what to show.
// The error wraps credential.ErrNotFound when it does not exist.
func (s *Service) GetSecret(ctx context.Context, name string) (credential.Secret, error) {
	return s.secrets.Get(ctx, name)
}

// ListSecrets returns every Secret, sorted by name.
func (s *Service) ListSecrets(ctx context.Context) ([]credential.Secret, error) {
	return s.secrets.List(ctx)
}

// DeleteSecret removes the named Secret; the error wraps credential.ErrNotFound when
// it does not exist. Applications that refer to it keep doing so, as in Kubernetes; the
// gateway reports the missing Secret on their calls.
func (s *Service) DeleteSecret(ctx context.Context, name string) error {
	if err := s.secrets.Delete(ctx, name); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "secret deleted", "secret", name)
	return nil
}

// checkSecretMetadata holds a Secret's labels and resource version to the rules an
// Application's metadata follows (credential.Secret.Validate checks only the name and
// data keys), so every Secret stored here can also be written to a cluster and a
// malformed version is a bad request rather than a conflict.
func checkSecretMetadata(sec credential.Secret) error {
	if reason := application.CheckResourceVersion(sec.ResourceVersion); reason != "" {
		return &credential.KeyError{Key: "metadata.resourceVersion", Reason: reason}
	}
	if errs := application.CheckLabels("metadata.labels", sec.Labels); len(errs) > 0 {
		return &credential.KeyError{Key: errs[0].Field, Reason: errs[0].Reason}
	}
	return nil
}
