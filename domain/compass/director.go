package compass

// DirectorApplication is one Application the Director assigns to the runtime, with
// every page of its bundles, API and event definitions already read.
type DirectorApplication struct {
	ID           string
	Name         string
	ProviderName string
	Description  string
	Labels       map[string]any
	// AuthIDs are the ids of the Application's system auths: the client ids (certificate
	// CNs) the Application connects with.
	AuthIDs []string
	Bundles []Bundle
}

// Bundle is a Director bundle: one Service of the Application.
type Bundle struct {
	ID                             string
	Name                           string
	Description                    string
	InstanceAuthRequestInputSchema *string
	APIDefinitions                 []APIDefinition
	EventDefinitions               []EventDefinition
	// DefaultInstanceAuth is the credential the runtime uses for the bundle's APIs;
	// nil when the bundle has none.
	DefaultInstanceAuth *Auth
}

// APIDefinition is one API of a bundle.
type APIDefinition struct {
	ID          string
	Name        string
	Description string
	TargetURL   string
}

// EventDefinition is one event catalogue of a bundle.
type EventDefinition struct {
	ID          string
	Name        string
	Description string
}

// Auth is a bundle's defaultInstanceAuth. At most one of Basic and OAuth is set.
type Auth struct {
	Basic                 *BasicCredential
	OAuth                 *OAuthCredential
	AdditionalHeaders     map[string][]string
	AdditionalQueryParams map[string][]string
	// CSRFTokenEndpointURL is requestAuth.csrf.tokenEndpointURL; empty without CSRF.
	CSRFTokenEndpointURL string
}

// BasicCredential is BasicCredentialData.
type BasicCredential struct {
	Username string
	Password string
}

// String never prints the password.
func (c BasicCredential) String() string { return "BasicCredential(" + c.Username + ", redacted)" }

// GoString keeps %#v from printing the password too.
func (c BasicCredential) GoString() string { return c.String() }

// OAuthCredential is OAuthCredentialData.
type OAuthCredential struct {
	ClientID     string
	ClientSecret string
	URL          string
}

// String never prints the secret.
func (c OAuthCredential) String() string {
	return "OAuthCredential(" + c.ClientID + ", " + c.URL + ", redacted)"
}

// GoString keeps %#v from printing the secret too.
func (c OAuthCredential) GoString() string { return c.String() }
