package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// secretChange records one Secret write so that it can be undone: prev is the content
// before the write, nil when the Secret did not exist.
type secretChange struct {
	name string
	prev *credential.Secret
}

// putSecrets writes the desired Secrets (nil ones are skipped). If a write fails, the
// writes done so far are undone.
func (s *Service) putSecrets(ctx context.Context, cred, prevCred, params, prevParams *credential.Secret) ([]secretChange, error) {
	var changes []secretChange
	for _, w := range []struct{ want, prev *credential.Secret }{{cred, prevCred}, {params, prevParams}} {
		if w.want == nil {
			continue
		}
		if _, _, err := s.secrets.Put(ctx, *w.want); err != nil {
			s.undo(ctx, changes)
			return nil, fmt.Errorf("write secret %s: %w", w.want.Name, err)
		}
		changes = append(changes, secretChange{name: w.want.Name, prev: w.prev})
	}
	return changes, nil
}

// undo restores the Secrets changed by a use case whose Application write failed, newest
// first. It uses a fresh context: the request's may be the reason the write failed.
func (s *Service) undo(ctx context.Context, changes []secretChange) {
	ctx = context.WithoutCancel(ctx)
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		var err error
		if c.prev == nil {
			if err = s.secrets.Delete(ctx, c.name); errors.Is(err, credential.ErrNotFound) {
				err = nil
			}
		} else {
			prev := c.prev.DeepCopy()
			prev.ResourceVersion = ""
			_, _, err = s.secrets.Put(ctx, prev)
		}
		if err != nil {
			s.logger.WarnContext(ctx, "could not roll back secret after a failed application update; it is not referenced by a stored service",
				"secret", c.name, "error", err)
		}
	}
}

// readSecret returns the named Secret, or nil when it does not exist.
func (s *Service) readSecret(ctx context.Context, name string) (*credential.Secret, error) {
	if name == "" || application.CheckName(name) != "" {
		return nil, nil
	}
	sec, err := s.secrets.Get(ctx, name)
	switch {
	case errors.Is(err, credential.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	return &sec, nil
}

// referencedSecrets returns the credential and request-parameter Secrets the stored
// service's API entry refers to, reusing the already read conventional ones.
func (s *Service) referencedSecrets(ctx context.Context, svc *application.Service, conventionalCred, conventionalParams *credential.Secret) (cred, params *credential.Secret, err error) {
	e := apiEntry(svc)
	if e == nil {
		return nil, nil, nil
	}
	pick := func(name string, conventional *credential.Secret) (*credential.Secret, error) {
		if conventional != nil && conventional.Name == name {
			return conventional, nil
		}
		return s.readSecret(ctx, name)
	}
	if e.Credentials != nil {
		if cred, err = pick(e.Credentials.SecretName, conventionalCred); err != nil {
			return nil, nil, err
		}
	}
	if params, err = pick(e.RequestParametersSecretName, conventionalParams); err != nil {
		return nil, nil, err
	}
	return cred, params, nil
}

// deleteUnreferenced deletes a Secret that no stored service refers to any more. A
// failure leaves an unreferenced Secret behind and is only logged: the update it follows
// has succeeded.
func (s *Service) deleteUnreferenced(ctx context.Context, name string) {
	if err := s.secrets.Delete(ctx, name); err != nil && !errors.Is(err, credential.ErrNotFound) {
		s.logger.WarnContext(ctx, "could not delete unreferenced secret", "secret", name, "error", err)
	}
}
