package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/appconnector/appconnector/adapters/manifest"
	"github.com/appconnector/appconnector/domain/compass"
)

// The CompassConnection document and its names, shared with the server.
const (
	APIVersionCompass     = manifest.APIVersionCompass
	KindCompassConnection = manifest.KindCompassConnection
)

// CompassConnectionDocument is the CompassConnection as the management API serves it.
type CompassConnectionDocument = manifest.CompassConnectionDocument

// NewCompassConnectionDocument wraps c in its Kyma document.
var NewCompassConnectionDocument = manifest.NewCompassConnectionDocument

const pathCompassConnection = "/v1/compassconnection"

// CompassConnection returns the CompassConnection. A 404 (ErrNotFound) means the
// runtime is not paired yet, or the server is not in Compass mode; the message says
// which.
func (c *Client) CompassConnection(ctx context.Context) (compass.Connection, error) {
	var doc CompassConnectionDocument
	if _, err := c.do(ctx, http.MethodGet, pathCompassConnection, nil, &doc); err != nil {
		return compass.Connection{}, err
	}
	return doc.Connection(), nil
}

// PatchCompassConnection sets the flags that are not nil (spec.resyncNow,
// spec.refreshCredentialsNow) and returns the stored connection. The server retries
// its read-modify-write when the agent writes in between.
func (c *Client) PatchCompassConnection(ctx context.Context, resyncNow, refreshCredentialsNow *bool) (compass.Connection, error) {
	if resyncNow == nil && refreshCredentialsNow == nil {
		return compass.Connection{}, fmt.Errorf("%w: nothing to change: give resyncNow or refreshCredentialsNow", ErrInvalid)
	}
	type spec struct {
		ResyncNow             *bool `json:"resyncNow,omitempty"`
		RefreshCredentialsNow *bool `json:"refreshCredentialsNow,omitempty"`
	}
	body, err := json.Marshal(struct {
		Spec spec `json:"spec"`
	}{spec{resyncNow, refreshCredentialsNow}})
	if err != nil {
		return compass.Connection{}, fmt.Errorf("encode compassconnection patch: %w", err)
	}
	var doc CompassConnectionDocument
	if _, err := c.do(ctx, http.MethodPatch, pathCompassConnection, body, &doc); err != nil {
		return compass.Connection{}, err
	}
	return doc.Connection(), nil
}

// DeleteCompassConnection deletes the CompassConnection, so that the agent pairs again
// with the token of the configuration Secret.
func (c *Client) DeleteCompassConnection(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodDelete, pathCompassConnection, nil, nil)
	return err
}
