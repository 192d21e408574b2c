package ports

//go:generate go tool mockgen -source=compass.go -destination=../mocks/compass_mock.go -package=mocks -typed

import (
	"context"

	"github.com/appconnector/appconnector/domain/compass"
)

// CompassConnectionStore stores the single CompassConnection. Implementations are
// safe for concurrent use, hand out copies, assign the UID on Create and a new
// ResourceVersion on every successful write.
type CompassConnectionStore interface {
	// Get returns the connection, or an error wrapping compass.ErrNotFound.
	Get(ctx context.Context) (compass.Connection, error)

	// Create stores c (its Name is set to compass.ConnectionName) with its status, and
	// returns the stored state. An existing connection gives compass.ErrAlreadyExists.
	Create(ctx context.Context, c compass.Connection) (compass.Connection, error)

	// Update replaces spec and status. c.ResourceVersion must equal the stored one,
	// otherwise the error wraps compass.ErrConflict; a missing connection gives
	// compass.ErrNotFound.
	Update(ctx context.Context, c compass.Connection) (compass.Connection, error)

	// Delete removes the connection (the way to pair again), or returns an error
	// wrapping compass.ErrNotFound.
	Delete(ctx context.Context) error

	// Watch streams changes with the same contract as ApplicationRepository.Watch:
	// an EventPut for the existing connection if there is one, EventSynced, then every
	// later change in order.
	Watch(ctx context.Context) (<-chan Event[compass.Connection], error)
}

// ConnectorEndpoint says where and how to call the Compass Connector: with a one-time
// token (the token-secured URL) or with the runtime's client certificate (the
// certificate-secured URL).
type ConnectorEndpoint struct {
	URL string
	// Token is sent as the Connector-Token header; empty for certificate-secured calls.
	Token string
	// Credentials is the runtime certificate presented over mTLS; nil for token calls.
	Credentials *compass.Credentials
	// RequestID is sent as x-request-id to correlate the call with the agent's round.
	RequestID string
}

// CompassConnector is the Compass Connector's GraphQL API (compass.md 2).
type CompassConnector interface {
	// Configuration runs the configuration query. For a revoked certificate Compass
	// answers with an empty configuration rather than an error, so an answer without
	// management URLs is not an error here either: the caller decides.
	Configuration(ctx context.Context, ep ConnectorEndpoint) (compass.Configuration, error)
	// SignCSR runs signCertificateSigningRequest with the PEM CSR (the adapter encodes
	// it as Compass expects) and returns the decoded PEM results.
	SignCSR(ctx context.Context, ep ConnectorEndpoint, csrPEM []byte) (compass.CertificationResult, error)
	// RevokeCertificate runs revokeCertificate: the presenting certificate is revoked
	// (that one only; other certificates of the runtime keep working).
	RevokeCertificate(ctx context.Context, ep ConnectorEndpoint) error
}

// DirectorEndpoint says where the Director is and how to call it: over mTLS with the
// runtime certificate, with the Tenant header.
type DirectorEndpoint struct {
	URL         string
	Tenant      string
	Credentials compass.Credentials
	RequestID   string
}

// Director is the part of the Compass Director's GraphQL API the runtime uses.
type Director interface {
	// ApplicationsForRuntime returns every Application assigned to the runtime,
	// reading every page of applications, bundles, API and event definitions. A refused
	// call (wrong tenant, revoked certificate) is an error, never an empty answer.
	ApplicationsForRuntime(ctx context.Context, ep DirectorEndpoint, runtimeID string) ([]compass.DirectorApplication, error)
	// RuntimeLabels returns the runtime's labels (values as decoded from JSON).
	RuntimeLabels(ctx context.Context, ep DirectorEndpoint, runtimeID string) (map[string]any, error)
	// SetRuntimeLabel sets one label of the runtime to a string value.
	SetRuntimeLabel(ctx context.Context, ep DirectorEndpoint, runtimeID, key, value string) error
}
