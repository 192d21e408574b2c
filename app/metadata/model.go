package metadata

import "encoding/json"

// Masked replaces every secret value (OAuth client id and secret, Basic user name and
// password, request parameter values) in what the use cases return. Sending it back
// unchanged in an update keeps the stored value, so a read-modify-write round trip does
// not overwrite credentials with stars.
const Masked = "********"

// ServiceDefinition is a service as the registry API describes it (Kyma's ServiceDetails).
// On input, at least one of API and Events is set. On output (GetService, UpdateService)
// secret values are replaced by Masked, and specs and documentation are absent because
// they are not stored.
type ServiceDefinition struct {
	Provider         string
	Name             string
	Description      string
	ShortDescription string
	// Identifier is an optional external id, unique within the Application. It is set on
	// registration and kept on update.
	Identifier    string
	Labels        map[string]string
	API           *API
	Events        *Events
	Documentation *Documentation
}

// API is the API part of a service: where the gateway forwards to and how it
// authenticates there.
type API struct {
	TargetURL   string
	Credentials *Credentials
	// Spec is an OpenAPI or OData document; it must be a JSON object. Validated, not stored.
	Spec             json.RawMessage
	SpecificationURL string
	APIType          string
	// RequestParameters are added to every call to the target. Headers and
	// QueryParameters (deprecated in Kyma) are used when RequestParameters is nil.
	RequestParameters *RequestParameters
	Headers           map[string][]string
	QueryParameters   map[string][]string
	// SpecificationCredentials and SpecificationRequestParameters served Kyma's spec
	// download; they are validated and otherwise ignored, as specs are not fetched.
	SpecificationCredentials       *SpecificationCredentials
	SpecificationRequestParameters *RequestParameters
}

// RequestParameters are extra headers and query parameters.
type RequestParameters struct {
	Headers         map[string][]string
	QueryParameters map[string][]string
}

func (p *RequestParameters) isEmpty() bool {
	return p == nil || len(p.Headers) == 0 && len(p.QueryParameters) == 0
}

// Credentials holds at most one of OAuth, Basic and CertificateGen.
type Credentials struct {
	OAuth          *OAuth
	Basic          *Basic
	CertificateGen *CertificateGen
}

// SpecificationCredentials holds at most one of OAuth and Basic.
type SpecificationCredentials struct {
	OAuth *OAuth
	Basic *Basic
}

// OAuth is an OAuth 2.0 client-credentials grant against URL. RequestParameters are sent
// on the token request only.
type OAuth struct {
	URL               string
	ClientID          string
	ClientSecret      string
	RequestParameters *RequestParameters
	CSRFInfo          *CSRFInfo
}

// Basic is HTTP Basic authentication.
type Basic struct {
	Username string
	Password string
	CSRFInfo *CSRFInfo
}

// CertificateGen asks the registry to generate a client certificate with CommonName; the
// gateway presents it to the target. Certificate is output only: the base64 of the PEM
// certificate, so the target's owner can trust it.
type CertificateGen struct {
	CommonName  string
	Certificate string
	CSRFInfo    *CSRFInfo
}

// CSRFInfo makes the gateway fetch a CSRF token from TokenEndpointURL before each call.
type CSRFInfo struct {
	TokenEndpointURL string
}

// Events is the event part of a service. Spec (an AsyncAPI document, a JSON object) is
// required on input, validated and not stored; on output it is the empty object {}.
type Events struct {
	Spec json.RawMessage
}

// Documentation describes a service for humans. Validated, not stored.
type Documentation struct {
	DisplayName string
	Description string
	Type        string
	Tags        []string
	Docs        []Document
}

// Document is one documentation source.
type Document struct {
	Title  string
	Type   string
	Source string
}

// ServiceSummary is one item of ListServices.
type ServiceSummary struct {
	ID          string
	Provider    string
	Name        string
	Description string
	Identifier  string
	Labels      map[string]string
}
