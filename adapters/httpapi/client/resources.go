package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/appconnector/appconnector/adapters/manifest"
	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/credential"
)

// ApplyApplication creates or replaces app (PUT) and returns the stored Application
// and whether it was created.
func (c *Client) ApplyApplication(ctx context.Context, app application.Application) (application.Application, bool, error) {
	if app.Name == "" {
		return application.Application{}, false, errNoName
	}
	body, err := json.Marshal(manifest.NewApplicationDocument(app))
	if err != nil {
		return application.Application{}, false, fmt.Errorf("encode application %s: %w", app.Name, err)
	}
	var doc manifest.ApplicationDocument
	status, err := c.do(ctx, http.MethodPut, objectPath("applications", app.Name), body, &doc)
	if err != nil {
		return application.Application{}, false, err
	}
	return doc.Application(), status == http.StatusCreated, nil
}

// GetApplication returns the named Application.
func (c *Client) GetApplication(ctx context.Context, name string) (application.Application, error) {
	if name == "" {
		return application.Application{}, errNoName
	}
	var doc manifest.ApplicationDocument
	if _, err := c.do(ctx, http.MethodGet, objectPath("applications", name), nil, &doc); err != nil {
		return application.Application{}, err
	}
	return doc.Application(), nil
}

// ListApplications returns every Application, sorted by name.
func (c *Client) ListApplications(ctx context.Context) ([]application.Application, error) {
	var list manifest.ApplicationListDocument
	if _, err := c.do(ctx, http.MethodGet, "/v1/applications", nil, &list); err != nil {
		return nil, err
	}
	return list.Applications(), nil
}

// DeleteApplication deletes the named Application.
func (c *Client) DeleteApplication(ctx context.Context, name string) error {
	if name == "" {
		return errNoName
	}
	_, err := c.do(ctx, http.MethodDelete, objectPath("applications", name), nil, nil)
	return err
}

// ApplySecret creates or replaces s (PUT) and returns its view (key names only) and
// whether it was created.
func (c *Client) ApplySecret(ctx context.Context, s credential.Secret) (manifest.SecretView, bool, error) {
	if s.Name == "" {
		return manifest.SecretView{}, false, errNoName
	}
	body, err := json.Marshal(manifest.NewSecretDocument(s))
	if err != nil {
		return manifest.SecretView{}, false, fmt.Errorf("encode secret %s: %w", s.Name, err)
	}
	var view manifest.SecretView
	status, err := c.do(ctx, http.MethodPut, objectPath("secrets", s.Name), body, &view)
	if err != nil {
		return manifest.SecretView{}, false, err
	}
	return view, status == http.StatusCreated, nil
}

// GetSecret returns the view of the named Secret: its key names, never its values.
func (c *Client) GetSecret(ctx context.Context, name string) (manifest.SecretView, error) {
	if name == "" {
		return manifest.SecretView{}, errNoName
	}
	var view manifest.SecretView
	if _, err := c.do(ctx, http.MethodGet, objectPath("secrets", name), nil, &view); err != nil {
		return manifest.SecretView{}, err
	}
	return view, nil
}

// ListSecrets returns the views of every Secret, sorted by name.
func (c *Client) ListSecrets(ctx context.Context) ([]manifest.SecretView, error) {
	var list manifest.SecretViewList
	if _, err := c.do(ctx, http.MethodGet, "/v1/secrets", nil, &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// DeleteSecret deletes the named Secret.
func (c *Client) DeleteSecret(ctx context.Context, name string) error {
	if name == "" {
		return errNoName
	}
	_, err := c.do(ctx, http.MethodDelete, objectPath("secrets", name), nil, nil)
	return err
}
