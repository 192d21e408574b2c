package metadata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

// DefaultCentralGatewayURL is the gateway base URL written into centralGatewayUrl when
// Config leaves it empty: the all-in-one process's default --gateway-addr.
const DefaultCentralGatewayURL = "http://127.0.0.1:8080"

// Config configures the registry use cases.
type Config struct {
	// CentralGatewayURL is the base URL through which clients call registered APIs; each
	// API entry gets centralGatewayUrl = <CentralGatewayURL>/<app>/<normalised name>.
	// Empty means DefaultCentralGatewayURL.
	CentralGatewayURL string
}

// Service holds the Application Registry use cases. It is safe for concurrent use.
type Service struct {
	apps       ports.ApplicationRepository
	secrets    ports.SecretStore
	gatewayURL string
	logger     *slog.Logger

	// Replaced in tests.
	newID        func() string
	now          func() time.Time
	generateCert func(commonName string, now time.Time) (keyPEM, certPEM []byte, err error)
}

// NewService returns the registry use cases over apps and secrets. Nil dependencies are
// programming errors and panic.
func NewService(apps ports.ApplicationRepository, secrets ports.SecretStore, cfg Config, logger *slog.Logger) *Service {
	if apps == nil || secrets == nil || logger == nil {
		panic("metadata.NewService: nil dependency")
	}
	base := strings.TrimRight(cfg.CentralGatewayURL, "/")
	if base == "" {
		base = DefaultCentralGatewayURL
	}
	return &Service{
		apps:         apps,
		secrets:      secrets,
		gatewayURL:   base,
		logger:       logger,
		newID:        uuid.NewString,
		now:          time.Now,
		generateCert: generateClientCertificate,
	}
}

// errUnchanged aborts a repository update that has nothing to write.
var errUnchanged = errors.New("unchanged")

// RegisterService validates def, stores its Secrets and appends it to the Application's
// services, and returns the new service id. Errors: *ValidationError for bad input;
// *Error of kind application.ErrNotFound when the Application does not exist,
// application.ErrInvalid when another service has the same (normalised) name,
// application.ErrConflict when another service has the same identifier; anything else is
// a storage failure.
func (s *Service) RegisterService(ctx context.Context, appName string, def ServiceDefinition) (string, error) {
	if err := def.Validate(); err != nil {
		return "", err
	}
	app, err := s.getApplication(ctx, appName)
	if err != nil {
		return "", err
	}
	// Checked here too, before any Secret is written or certificate generated, and again
	// inside the atomic update against concurrent registrations.
	if err := checkUnique(&app, &def); err != nil {
		return "", err
	}

	id := s.newID()
	svc := s.buildService(appName, id, &def)
	var changes []secretChange
	if def.API != nil {
		plan, err := s.planAPISecrets(appName, id, def.API, nil, nil)
		if err != nil {
			return "", err
		}
		setAPISecrets(&svc, plan)
		// New names (they contain the new id): nothing to restore on failure.
		if changes, err = s.putSecrets(ctx, plan.credential, nil, plan.params, nil); err != nil {
			return "", err
		}
	}

	_, err = s.apps.Update(ctx, appName, func(a *application.Application) error {
		if err := checkUnique(a, &def); err != nil {
			return err
		}
		if findService(a, id) >= 0 {
			return conflict("Service with ID %s already exists", id)
		}
		a.Spec.Services = append(a.Spec.Services, svc)
		return validateResult(a)
	})
	if err != nil {
		s.undo(ctx, changes)
		return "", s.applicationError(appName, err)
	}
	s.logger.InfoContext(ctx, "service registered", "application", appName, "service_id", id, "name", def.Name)
	return id, nil
}

// GetService returns the service with id, secret values masked. Errors: *Error of kind
// application.ErrNotFound when the Application or the service does not exist.
func (s *Service) GetService(ctx context.Context, appName, id string) (ServiceDefinition, error) {
	app, err := s.getApplication(ctx, appName)
	if err != nil {
		return ServiceDefinition{}, err
	}
	i := findService(&app, id)
	if i < 0 {
		return ServiceDefinition{}, notFound("Service with ID %s not found", id)
	}
	return s.describe(ctx, &app.Spec.Services[i])
}

// ListServices returns a summary of every service of the Application, never nil. Errors:
// *Error of kind application.ErrNotFound when the Application does not exist.
func (s *Service) ListServices(ctx context.Context, appName string) ([]ServiceSummary, error) {
	app, err := s.getApplication(ctx, appName)
	if err != nil {
		return nil, err
	}
	out := make([]ServiceSummary, 0, len(app.Spec.Services))
	for i := range app.Spec.Services {
		out = append(out, summarize(&app.Spec.Services[i]))
	}
	return out, nil
}

// UpdateService replaces the service with id by def and returns what is stored, secret
// values masked. The identifier is kept; the name cannot change. Without an API the
// service's credential and request-parameter Secrets are deleted. Errors: as
// RegisterService, plus *Error of kind application.ErrNotFound when the service does not
// exist and application.ErrInvalid when def renames it.
func (s *Service) UpdateService(ctx context.Context, appName, id string, def ServiceDefinition) (ServiceDefinition, error) {
	if err := def.Validate(); err != nil {
		return ServiceDefinition{}, err
	}
	app, err := s.getApplication(ctx, appName)
	if err != nil {
		return ServiceDefinition{}, err
	}
	i := findService(&app, id)
	if i < 0 {
		return ServiceDefinition{}, notFound("Service with ID %s not found", id)
	}
	existing := app.Spec.Services[i]
	if def.Name != existing.DisplayName {
		return ServiceDefinition{}, invalid("Cannot change service name to %s for service with ID %s", def.Name, id)
	}

	credName, paramsName := CredentialSecretName(appName, id), RequestParametersSecretName(appName, id)
	prevCred, err := s.readSecret(ctx, credName)
	if err != nil {
		return ServiceDefinition{}, err
	}
	prevParams, err := s.readSecret(ctx, paramsName)
	if err != nil {
		return ServiceDefinition{}, err
	}

	svc := s.buildService(appName, id, &def)
	svc.Identifier = existing.Identifier
	svc.Name = existing.Name
	var plan apiSecrets
	if def.API != nil {
		// Masked values are resolved against the Secrets the service refers to now.
		maskCred, maskParams, err := s.referencedSecrets(ctx, &existing, prevCred, prevParams)
		if err != nil {
			return ServiceDefinition{}, err
		}
		if plan, err = s.planAPISecrets(appName, id, def.API, maskCred, maskParams); err != nil {
			return ServiceDefinition{}, err
		}
		setAPISecrets(&svc, plan)
	}
	changes, err := s.putSecrets(ctx, plan.credential, prevCred, plan.params, prevParams)
	if err != nil {
		return ServiceDefinition{}, err
	}

	_, err = s.apps.Update(ctx, appName, func(a *application.Application) error {
		j := findService(a, id)
		if j < 0 {
			return notFound("Service with ID %s not found", id)
		}
		a.Spec.Services[j] = svc
		return validateResult(a)
	})
	if err != nil {
		s.undo(ctx, changes)
		return ServiceDefinition{}, s.applicationError(appName, err)
	}

	// Only now does nothing refer to Secrets the service no longer needs.
	if plan.credential == nil && prevCred != nil {
		s.deleteUnreferenced(ctx, credName)
	}
	if plan.params == nil && prevParams != nil {
		s.deleteUnreferenced(ctx, paramsName)
	}
	s.logger.InfoContext(ctx, "service updated", "application", appName, "service_id", id)
	return s.describeWith(&svc, plan.credential, plan.params), nil
}

// DeleteService removes the service with id and its Secrets. Deleting an unknown service
// succeeds (and still removes leftover Secrets of that id). Only Secrets the registry
// wrote for this service (labelled app and serviceId) are deleted: the id comes from
// the URL, and "<app>-<id>" for an id such as "basic" names a Secret someone else may
// own. Errors: *Error of kind application.ErrNotFound when the Application does not
// exist.
func (s *Service) DeleteService(ctx context.Context, appName, id string) error {
	_, err := s.apps.Update(ctx, appName, func(a *application.Application) error {
		i := findService(a, id)
		if i < 0 {
			return errUnchanged
		}
		a.Spec.Services = append(a.Spec.Services[:i], a.Spec.Services[i+1:]...)
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return s.applicationError(appName, err)
	}
	// After the Application no longer refers to them. A failure is returned so that the
	// client retries; the retry finds no service and deletes the Secrets again.
	for _, name := range []string{CredentialSecretName(appName, id), RequestParametersSecretName(appName, id)} {
		if application.CheckName(name) != "" {
			continue // an id that cannot name a Secret has none
		}
		if err := s.deleteServiceSecret(ctx, appName, id, name); err != nil {
			return err
		}
	}
	if err == nil {
		s.logger.InfoContext(ctx, "service deleted", "application", appName, "service_id", id)
	}
	return nil
}

// deleteServiceSecret deletes the named Secret if the registry wrote it for service id
// of appName, and leaves any other Secret of that name alone.
func (s *Service) deleteServiceSecret(ctx context.Context, appName, id, name string) error {
	sec, err := s.readSecret(ctx, name)
	if err != nil || sec == nil {
		return err
	}
	if sec.Labels[labelApp] != appName || sec.Labels[labelServiceID] != id {
		s.logger.InfoContext(ctx, "kept secret the registry did not write for this service",
			"application", appName, "service_id", id, "secret", name)
		return nil
	}
	if err := s.secrets.Delete(ctx, name); err != nil && !errors.Is(err, credential.ErrNotFound) {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	return nil
}

func (s *Service) getApplication(ctx context.Context, name string) (application.Application, error) {
	app, err := s.apps.Get(ctx, name)
	if err != nil {
		return application.Application{}, s.applicationError(name, err)
	}
	return app, nil
}

// applicationError turns a repository error into what the API shows: the use case's own
// *Error unchanged, a missing Application as "Application X not found".
func (s *Service) applicationError(name string, err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, application.ErrNotFound):
		return &Error{Kind: application.ErrNotFound, Message: fmt.Sprintf("Application %s not found", name), Err: err}
	default:
		return fmt.Errorf("update application %s: %w", name, err)
	}
}

// checkUnique enforces what Kyma enforced on registration: a unique identifier (409) and
// a unique normalised name, the gateway's routing key (400).
func checkUnique(a *application.Application, def *ServiceDefinition) error {
	if def.Identifier != "" {
		for _, svc := range a.Spec.Services {
			if svc.Identifier == def.Identifier {
				return conflict("Service with Identifier %s already exists", def.Identifier)
			}
		}
	}
	norm := application.NormalizeName(def.Name)
	for _, svc := range a.Spec.Services {
		if application.NormalizeName(svc.DisplayName) == norm {
			return invalid("Service with name %s already exists", def.Name)
		}
	}
	return nil
}

// validateResult refuses to store an Application the rest of the product would reject.
func validateResult(a *application.Application) error {
	if err := a.Validate(); err != nil {
		return &Error{Kind: application.ErrInvalid, Message: "The resulting Application is invalid, " + err.Error(), Err: err}
	}
	return nil
}

func findService(a *application.Application, id string) int {
	for i := range a.Spec.Services {
		if a.Spec.Services[i].ID == id {
			return i
		}
	}
	return -1
}
